-- tests/miltertest/log-id.lua: the lines that the core (ingest) logs about
-- an intake message carry the MTA's queue id, as liaisond's own do, so
-- that an admin can grep one message's story out of the mail log
-- (liaisond(8), LOGGING).  With ack_per_day = 0 (log-id.conf) every
-- acknowledgement is withheld, which ingest logs inside its transaction:
-- that line used to carry the statement's Message-ID instead.  Globals
-- from run.sh (-D): LIAISOND, CONF, SOCK, CORPUS, OUT (liaisond's log).

-- Fail the script with a message.
local function check(cond, what)
    if not cond then
        error("FAIL: " .. what)
    end
    mt.echo("ok   - " .. what)
end

-- Every line of liaisond's log so far that contains text (plain search).
local function log_lines(text)
    local found = {}
    local f = assert(io.open(OUT, "rb"))
    for line in f:lines() do
        if line:find(text, 1, true) then table.insert(found, line) end
    end
    f:close()
    return found
end

-- Send the corpus message name as one intake message, queue id qid.
local function send(conn, name, qid)
    local f = assert(io.open(CORPUS .. "/" .. name, "rb"))
    local text = f:read("*a")
    f:close()
    local head, body = text:match("^(.-)\n\n(.*)$")
    mt.macro(conn, SMFIC_MAIL, "i", qid)
    check(mt.mailfrom(conn, "<greta.jonsson@itu.test>") == nil, qid .. ": MAIL FROM")
    check(mt.rcptto(conn, "<liaisons@ietf.test>") == nil, qid .. ": RCPT TO intake")
    check(mt.data(conn) == nil and mt.getreply(conn) == SMFIR_CONTINUE, qid .. ": DATA continues")
    local headers = {}
    for line in (head .. "\n"):gmatch("([^\n]*)\n") do
        if line:match("^[ \t]") and #headers > 0 then
            headers[#headers][2] = headers[#headers][2] .. "\n" .. line
        else
            local n, v = line:match("^([^:]+):[ \t]?(.*)$")
            table.insert(headers, { n, v })
        end
    end
    for _, h in ipairs(headers) do mt.header(conn, h[1], h[2]) end
    mt.eoh(conn)
    mt.bodystring(conn, (body:gsub("\r?\n", "\r\n")))
    check(mt.eom(conn) == nil and mt.getreply(conn) == SMFIR_CONTINUE, qid .. ": recorded")
end

mt.startfilter(LIAISOND, "-f", "-c", CONF)
local conn = mt.connect("unix:" .. SOCK, 300, 0.1)
check(conn ~= nil, "connect to liaisond")
check(mt.negotiate(conn, nil, nil, nil) == nil, "negotiate")
-- The lines are read after the answer, when the daemon has written them.
send(conn, "s01-appendix-a.eml", "LOGID1")
local withheld = log_lines("no acknowledgement to ")
check(#withheld > 0, "an acknowledgement withheld is logged")
for _, line in ipairs(withheld) do
    check(line:find(": LOGID1: no acknowledgement to ", 1, true) ~= nil,
          "withheld acknowledgement logged with the queue id: " .. line)
end
check(#log_lines(": LOGID1: statement: statement 1,") == 1, "the statement's line has it too")
mt.disconnect(conn)
