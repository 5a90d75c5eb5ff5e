-- tests/miltertest/log-id.lua: the lines that the core (ingest) logs about
-- an intake message carry the MTA's queue id, as liaisond's own do, so
-- that an admin can grep one message's story out of the mail log
-- (liaisond(8), LOGGING).  With ack_per_day = 0 (log-id.conf) every
-- acknowledgement is withheld, which ingest logs inside its transaction:
-- that line used to carry the statement's Message-ID instead.  Globals
-- from run.sh (-D): LIAISOND, CONF, SOCK, CORPUS, OUT (liaisond's log), LIB.

local lib = dofile(LIB)
local check, log_lines = lib.check, lib.log_lines

-- Send the corpus message name as one intake message, queue id qid.
local function send(conn, name, qid)
    local headers, body = lib.read_message(CORPUS .. "/" .. name)
    lib.send(conn, qid, "<greta.jonsson@itu.test>", "<liaisons@ietf.test>", headers, body, qid)
end

local conn = lib.start()
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
