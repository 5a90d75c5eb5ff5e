-- tests/miltertest/stop.lua: SIGTERM lets the messages in hand end
-- (liaisond(8), SIGNALS).  A message is in hand, its headers sent, when
-- the daemon is told to stop; its MTA sends the rest afterwards, and it is
-- recorded and answered.  Debian's libmilter serves its sessions from a
-- worker pool whose controller stops reading them at smfi_stop(): called
-- at the SIGTERM, it left that message unanswered until the grace period
-- ran out and the daemon exited.  Meanwhile a message that begins on
-- another connection is no message in hand: intake mail is deferred
-- (451), other mail still accepted at DATA.  Globals from run.sh (-D):
-- LIAISOND, CONF, SOCK, CORPUS, OUT (liaisond's log), LIB.

local lib = dofile(LIB)
local check, run = lib.check, lib.run

local conn = lib.start()
local other = lib.connect("a second connection", "negotiate on it", 10)

local headers, body = lib.read_message(CORPUS .. "/s01-appendix-a.eml")
lib.begin(conn, "in hand", "<greta.jonsson@itu.test>", "<liaisons@ietf.test>", headers, "STOP1")

mt.signal(15)
lib.await_log("stopping: ", 10, 0.1)
check(#lib.log_lines("stopping: 1 message(s) in hand") == 1, "the SIGTERM is taken, one message in hand")

-- New mail on the other connection, the first message still in hand.
mt.macro(other, SMFIC_MAIL, "i", "STOP2")
check(mt.mailfrom(other, "<someone@example.test>") == nil, "late other mail: MAIL FROM")
check(mt.rcptto(other, "<other@ietf.test>") == nil, "late other mail: RCPT TO")
check(mt.data(other) == nil and mt.getreply(other) == SMFIR_ACCEPT,
      "late other mail: ACCEPT at DATA")
mt.macro(other, SMFIC_MAIL, "i", "STOP3")
check(mt.mailfrom(other, "<greta.jonsson@itu.test>") == nil, "late intake: MAIL FROM")
check(mt.rcptto(other, "<liaisons@ietf.test>") == nil, "late intake: RCPT TO")
local r = mt.data(other) == nil and mt.getreply(other)
check(r == SMFIR_REPLYCODE or r == SMFIR_TEMPFAIL, "late intake: deferred at DATA")
check(#lib.log_lines(": STOP3: temporary failure: liaisond is stopping") == 1,
      "late intake: the reason logged with its queue id")

-- The message in hand ends as usual.
lib.finish(conn, "in hand", body)
check(mt.eom_check(conn, MT_HDRADD, "X-Liaison-ID"), "in hand: X-Liaison-ID added")
check(run("sqlite3 '" .. lib.db .. "' \"SELECT group_concat(message_id) FROM message"
           .. " WHERE direction = 'in'\"") == "<sg15-ls-0412@itu.test>",
      "in hand: in the database, the late intake message not")
-- The daemon ends once that message is done (libmilter's listener takes
-- a few seconds to notice the stop): its connections are gone.
mt.disconnect(conn, false)
mt.disconnect(other, false)
lib.await_log("liaisond stopped", 20, 0.5)
check(#lib.log_lines("liaisond stopped") == 1, "the daemon stopped")
check(#lib.log_lines("unfinished") == 0, "no message left unfinished")
