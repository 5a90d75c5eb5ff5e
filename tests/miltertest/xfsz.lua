-- tests/miltertest/xfsz.lua: a write past the file size limit (a systemd
-- unit's LimitFSIZE, a shell's ulimit -f) fails, it does not kill the
-- daemon.  liaisond runs under ulimit -f 2048 (1 MiB in sh's 512-byte
-- blocks); spool_memory_max is 4k here (run.sh), so a message of 1.5 MB
-- spills to a spool file that cannot grow past 1 MiB.  SIGXFSZ's default
-- action ended the process there (the MTA saw the connection drop, and
-- every other message in hand was lost with it); ignored, the write fails
-- with EFBIG, the message is answered TEMPFAIL (the MTA retries it), and
-- the same daemon records the next message.  Globals from run.sh (-D):
-- LIAISOND, CONF, SOCK, CORPUS, OUT (liaisond's log), LIB.

local lib = dofile(LIB)
local check, run = lib.check, lib.run

local db = CONF:gsub("liaisond%.conf$", "liaison.db")
-- exec: the pid miltertest knows (and stops with SIGTERM) is liaisond's.
-- The paths go to sh as its own arguments, never into the script.
mt.startfilter("/bin/sh", "-c", 'ulimit -f 2048 && exec "$0" -f -c "$1"', LIAISOND, CONF)
local conn = mt.connect("unix:" .. SOCK, 300, 0.1)
check(conn ~= nil, "connect to liaisond")
check(mt.negotiate(conn, nil, nil, nil) == nil, "negotiate")

-- Whether the last answer is liaisond's temporary failure: a 451 reply
-- code (smfi_setreply) or a bare TEMPFAIL.
local function tempfailed(conn)
    local r = mt.getreply(conn)
    return r == SMFIR_REPLYCODE or r == SMFIR_TEMPFAIL
end

-- 1.5 MB of body in 60,000-byte chunks, until liaisond answers (at a body
-- chunk, or at the end of the message when no reply to body chunks was
-- negotiated).
check(mt.mailfrom(conn, "<big.sender@itu.test>") == nil, "big: MAIL FROM")
check(mt.rcptto(conn, "<liaisons@ietf.test>") == nil, "big: RCPT TO intake")
check(mt.data(conn) == nil and mt.getreply(conn) == SMFIR_CONTINUE, "big: DATA continues")
mt.header(conn, "From", "Big Sender <big.sender@itu.test>")
mt.header(conn, "To", "liaisons@ietf.test")
mt.header(conn, "Subject", "LS on a very large annex")
mt.header(conn, "Message-ID", "<xfsz-big@itu.test>")
mt.header(conn, "Date", "Mon, 16 Nov 2026 10:00:00 +0000")
mt.eoh(conn)
local line = string.rep("x", 78) .. "\r\n"
local chunk = string.rep(line, 750)     -- 60,000 bytes
local tempfail, sent = false, true
for _ = 1, 25 do
    sent = mt.bodystring(conn, chunk) == nil
    if not sent then break end
    if tempfailed(conn) then
        tempfail = true
        break
    end
end
check(sent, "big: the body chunks sent (the daemon is alive)")
if not tempfail then
    check(mt.eom(conn) == nil, "big: end of message sent (the daemon is alive)")
    tempfail = tempfailed(conn)
end
-- The reply code is 451 when the log says "temporary failure" (552, the
-- other code liaisond sets, is logged as "refused").
check(tempfail and #lib.log_lines("temporary failure: spool: write: File too large") == 1,
      "big: 451 for the spool write's EFBIG, the MTA keeps the message")
mt.disconnect(conn)

-- The same daemon, still running, records a small message.
conn = mt.connect("unix:" .. SOCK, 10, 0.1)
check(conn ~= nil, "connect again: the daemon still serves")
check(mt.negotiate(conn, nil, nil, nil) == nil, "negotiate again")
local headers, body = lib.read_message(CORPUS .. "/s01-appendix-a.eml")
lib.send(conn, "s01", "<greta.jonsson@itu.test>", "<liaisons@ietf.test>", headers, body)
check(run("sqlite3 '" .. db .. "' \"SELECT group_concat(message_id) FROM message"
           .. " WHERE direction = 'in'\"") == "<sg15-ls-0412@itu.test>",
      "s01 recorded, the big message not")
mt.disconnect(conn)
