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

-- Start liaisond (LIAISOND -f -c CONF), connect to SOCK and negotiate; the
-- connection.
function lib.start()
    mt.startfilter(LIAISOND, "-f", "-c", CONF)
    local conn = mt.connect("unix:" .. SOCK, 300, 0.1)
    lib.check(conn ~= nil, "connect to liaisond")
    lib.check(mt.negotiate(conn, nil, nil, nil) == nil, "negotiate")
    return conn
end

-- One intake message, what naming it in the checks: envelope sender and
-- recipient, headers as read_message gives them, the body with CRLF line
-- ends, and the MTA's queue id qid (macro i) when given.  Every step must
-- continue, the end of message included (accepted).
function lib.send(conn, what, from, rcpt, headers, body, qid)
    if qid ~= nil then mt.macro(conn, SMFIC_MAIL, "i", qid) end
    lib.check(mt.mailfrom(conn, from) == nil, what .. ": MAIL FROM")
    lib.check(mt.rcptto(conn, rcpt) == nil, what .. ": RCPT TO intake")
    lib.check(mt.data(conn) == nil and mt.getreply(conn) == SMFIR_CONTINUE,
              what .. ": DATA continues")
    for _, h in ipairs(headers) do mt.header(conn, h[1], h[2]) end
    mt.eoh(conn)
    mt.bodystring(conn, body)
    lib.check(mt.eom(conn) == nil and mt.getreply(conn) == SMFIR_CONTINUE, what .. ": recorded")
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

-- The first line a shell command writes.
function lib.run(cmd)
    local p = assert(io.popen(cmd))
    local out = p:read("*l")
    p:close()
    return out
end

return lib
