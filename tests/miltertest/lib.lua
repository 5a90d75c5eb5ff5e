-- tests/miltertest/lib.lua: what the miltertest scripts here share.  Each
-- loads it with `local lib = dofile(LIB)` (run.sh gives LIB with -D); it
-- is no test of its own, and run.sh does not run it.

local lib = {}

-- Fail the script with a message; otherwise one "ok" line, which run.sh
-- counts.
function lib.check(cond, what)
    if not cond then
        error("FAIL: " .. what)
    end
    mt.echo("ok   - " .. what)
end

-- A message file as an MTA hands it to a milter: its headers as an ordered
-- list of {name, value} (folded lines kept in the value) and its body with
-- CRLF line ends.
function lib.read_message(path)
    local f = assert(io.open(path, "rb"))
    local text = f:read("*a")
    f:close()
    local head, body = text:match("^(.-)\n\n(.*)$")
    local headers = {}
    for line in (head .. "\n"):gmatch("([^\n]*)\n") do
        if line:match("^[ \t]") and #headers > 0 then
            headers[#headers][2] = headers[#headers][2] .. "\n" .. line
        else
            local name, value = line:match("^([^:]+):[ \t]?(.*)$")
            table.insert(headers, { name, value })
        end
    end
    return headers, (body:gsub("\r?\n", "\r\n"))
end

-- The folder run.sh made for this script: CONF, the database and the
-- socket are in it, and a script may write its own files there.
lib.dir = CONF:gsub("/[^/]*$", "")

-- The database run.sh's configuration names (in lib.dir).
lib.db = lib.dir .. "/liaison.db"

-- A copy of CONF named NAME in lib.dir with the settings of SETTINGS
-- (name = value) in place of CONF's own, or added; its path.
function lib.conf(name, settings)
    local f = assert(io.open(CONF, "rb"))
    -- A newline before the first line too, so that it matches as the others.
    local text = "\n" .. f:read("*a")
    f:close()
    if text:sub(-1) ~= "\n" then text = text .. "\n" end
    for key, value in pairs(settings) do
        local line = key .. " = " .. value
        local n
        text, n = text:gsub("\n" .. key .. " = [^\n]*", function() return "\n" .. line end)
        if n == 0 then text = text .. line .. "\n" end
    end
    text = text:sub(2)
    local path = lib.dir .. "/" .. name
    f = assert(io.open(path, "wb"))
    f:write(text)
    f:close()
    return path
end

-- Connect to SOCK and negotiate, both checked under the names given
-- (WHAT, NEGOTIATED); TRIES attempts 0.1 s apart (300, a daemon still
-- starting, unless given).  The connection.
function lib.connect(what, negotiated, tries)
    local conn = mt.connect("unix:" .. SOCK, tries or 300, 0.1)
    lib.check(conn ~= nil, what)
    lib.check(mt.negotiate(conn, nil, nil, nil) == nil, negotiated)
    return conn
end

-- Start liaisond (LIAISOND -f -c CONF, or the configuration given),
-- connect to SOCK and negotiate; the connection.
function lib.start(conf)
    mt.startfilter(LIAISOND, "-f", "-c", conf or CONF)
    return lib.connect("connect to liaisond", "negotiate")
end

-- One intake message, what naming it in the checks: envelope sender and
-- recipient, headers as read_message gives them, the body with CRLF line
-- ends, and the MTA's queue id qid (macro i) when given.  Every step must
-- continue, the end of message included (accepted).
function lib.send(conn, what, from, rcpt, headers, body, qid)
    lib.begin(conn, what, from, rcpt, headers, qid)
    mt.eoh(conn)
    mt.bodystring(conn, body)
    lib.check(mt.eom(conn) == nil and mt.getreply(conn) == SMFIR_CONTINUE, what .. ": recorded")
end

-- The start of lib.send, for a message to be in hand while something
-- else happens: up to its headers, no end of headers sent.
function lib.begin(conn, what, from, rcpt, headers, qid)
    if qid ~= nil then mt.macro(conn, SMFIC_MAIL, "i", qid) end
    lib.check(mt.mailfrom(conn, from) == nil, what .. ": MAIL FROM")
    lib.check(mt.rcptto(conn, rcpt) == nil, what .. ": RCPT TO intake")
    lib.check(mt.data(conn) == nil and mt.getreply(conn) == SMFIR_CONTINUE,
              what .. ": DATA continues")
    for _, h in ipairs(headers) do mt.header(conn, h[1], h[2]) end
end

-- The rest of a message lib.begin began, each step checked: end of
-- headers and body answered, the end of message accepted (recorded).
function lib.finish(conn, what, body)
    lib.check(mt.eoh(conn) == nil and mt.getreply(conn) == SMFIR_CONTINUE,
              what .. ": end of headers answered")
    lib.check(mt.bodystring(conn, body) == nil, what .. ": body sent")
    lib.check(mt.eom(conn) == nil and mt.getreply(conn) == SMFIR_CONTINUE,
              what .. ": recorded and accepted")
end

-- Every line of liaisond's log so far (OUT) that contains text, a plain
-- search.
function lib.log_lines(text)
    local found = {}
    local f = assert(io.open(OUT, "rb"))
    for line in f:lines() do
        if line:find(text, 1, true) then table.insert(found, line) end
    end
    f:close()
    return found
end

-- Wait until liaisond's log has a line containing TEXT, looking every
-- STEP seconds for at most SECONDS; the lines found then.  The daemon's
-- own pace decides (a signal taken, a stop), so no fixed sleep.
function lib.await_log(text, seconds, step)
    local waited = 0
    while #lib.log_lines(text) == 0 and waited < seconds do
        mt.sleep(step)
        waited = waited + step
    end
    return lib.log_lines(text)
end

-- The first line a shell command writes.
function lib.run(cmd)
    local p = assert(io.popen(cmd))
    local out = p:read("*l")
    p:close()
    return out
end

return lib
