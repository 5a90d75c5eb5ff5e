-- tests/miltertest/limits.lua: message_max (1000 bytes here, limits.conf)
-- holds at exactly the limit and refuses one byte over (552 5.3.4,
-- liaisond(8)), wherever the last byte is.  The size was checked only as
-- each header and each body chunk was spooled, never at the end: the byte
-- spooled last went unchecked - the empty line that ends the header block
-- of a message without a body (which miltertest cannot send: it supplies
-- a body of its own), or a CR that ends the body, held back until the end
-- in case an LF follows in the next chunk (tested here).  A message is
-- measured as liaisond spools it: LF line ends, "Name: value".  Globals
-- from run.sh (-D): LIAISOND, CONF, SOCK, CORPUS, OUT (liaisond's log), LIB.

local lib = dofile(LIB)
local check = lib.check

local MAX = 1000
local conn = lib.start()

-- The bytes liaisond spools for one header, "Name: value\n" (miltertest
-- sends the value's leading space itself when SMFIP_HDR_LEADSPC is on).
local function header_len(name, value)
    return #name + 2 + #value + 1
end

-- One intake message, queue id qid, of total bytes as spooled: a padded
-- header block, its empty line and body (CRLF line ends) that spools as
-- body_len bytes.  The reply at the end of the message.
local function send(qid, total, body, body_len)
    local headers = {
        { "From", "Greta Jonsson <greta.jonsson@itu.test>" },
        { "To", "liaisons@ietf.test" },
        { "Subject", "LS on sizes " .. qid },
        { "Message-ID", "<" .. qid .. "@itu.test>" },
        { "Date", "Mon, 16 Nov 2026 10:00:00 +0000" },
    }
    local used = 1 + body_len
    for _, h in ipairs(headers) do used = used + header_len(h[1], h[2]) end
    local pad = total - used - header_len("X-Pad", "")
    assert(pad >= 0)
    table.insert(headers, { "X-Pad", string.rep("p", pad) })
    mt.macro(conn, SMFIC_MAIL, "i", qid)
    check(mt.mailfrom(conn, "<greta.jonsson@itu.test>") == nil, qid .. ": MAIL FROM")
    check(mt.rcptto(conn, "<liaisons@ietf.test>") == nil, qid .. ": RCPT TO intake")
    check(mt.data(conn) == nil and mt.getreply(conn) == SMFIR_CONTINUE, qid .. ": DATA continues")
    for _, h in ipairs(headers) do mt.header(conn, h[1], h[2]) end
    mt.eoh(conn)
    mt.bodystring(conn, body)
    check(mt.eom(conn) == nil, qid .. ": end of message")
    return mt.getreply(conn)
end

-- Whether liaisond logged qid's refusal as too large.
local function refused(qid)
    return #lib.log_lines(": " .. qid .. ": refused: intake message over message_max") == 1
end

-- Five lines of 80 bytes as spooled (79 and LF).
local lines = string.rep(string.rep("x", 79) .. "\r\n", 5)
check(send("BODYMAX", MAX, lines, 400) == SMFIR_CONTINUE and not refused("BODYMAX"),
      "exactly message_max bytes: accepted")
check(send("BODYOVER", MAX + 1, lines .. "y", 401) == SMFIR_REPLYCODE and refused("BODYOVER"),
      "one byte over in the body: refused")
check(send("CRMAX", MAX, lines .. "\r", 401) == SMFIR_CONTINUE and not refused("CRMAX"),
      "exactly message_max bytes, the last a CR: accepted")
check(send("CROVER", MAX + 1, lines .. "y\r", 402) == SMFIR_REPLYCODE and refused("CROVER"),
      "one byte over, the last a CR: refused")
mt.disconnect(conn)
