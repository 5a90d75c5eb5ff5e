-- tests/miltertest/intake.lua: liaisond at the milter protocol level, with
-- miltertest standing in for the MTA.  Globals from run.sh (-D): LIAISOND,
-- CONF, SOCK, CORPUS, LIB.  Asserts the negotiated steps, the early ACCEPT of
-- other mail, and for a corpus statement the recipients added
-- (MT_RCPTADD), X-Liaison-ID (MT_HDRADD, a forged one removed) and the
-- Subject tag (MT_HDRCHANGE).

local lib = dofile(LIB)
local check, read_message = lib.check, lib.read_message

local conn = lib.start()
check(mt.test_option(conn, SMFIP_NOCONNECT) and mt.test_option(conn, SMFIP_NOHELO)
      and mt.test_option(conn, SMFIP_NOUNKNOWN), "connect, HELO and unknown negotiated away")
check(not mt.test_option(conn, SMFIP_NODATA), "DATA step kept (no lone DATA macros over TCP)")
check(mt.test_action(conn, SMFIF_ADDRCPT) and mt.test_action(conn, SMFIF_ADDHDRS)
      and mt.test_action(conn, SMFIF_CHGHDRS), "actions: add recipient, add and change header")
check(not mt.test_action(conn, SMFIF_CHGBODY), "the body is never changed")

-- Other mail: accepted at DATA, nothing more is sent.
mt.macro(conn, SMFIC_MAIL, "i", "MT0001")
check(mt.mailfrom(conn, "<someone@example.test>") == nil
      and mt.getreply(conn) == SMFIR_CONTINUE, "other mail: MAIL FROM continues")
check(mt.rcptto(conn, "<other@ietf.test>") == nil
      and mt.getreply(conn) == SMFIR_CONTINUE, "other mail: RCPT TO continues")
check(mt.data(conn) == nil and mt.getreply(conn) == SMFIR_ACCEPT,
      "other mail: ACCEPT at DATA")

-- The RCPT path as a client may type it, which the MTA hands on as typed
-- and delivers to liaisons@ all the same: a quoted local part, a source
-- route, a domain's trailing dot, no domain (the MTA adds its own), the
-- percent hack.  Intake, not stepped out of at DATA.
for _, rcpt in ipairs({ '<"liaisons"@ietf.test>', '<@mx.ietf.test:liaisons@ietf.test>',
                        '<"Liaisons"@IETF.test>', '<liaisons@ietf.test.>', '<liaisons>',
                        '<liaisons%ietf.test@ietf.test>' }) do
    check(mt.mailfrom(conn, "<someone@example.test>") == nil
          and mt.getreply(conn) == SMFIR_CONTINUE, rcpt .. ": MAIL FROM continues")
    check(mt.rcptto(conn, rcpt) == nil and mt.getreply(conn) == SMFIR_CONTINUE,
          rcpt .. ": RCPT TO continues")
    check(mt.data(conn) == nil and mt.getreply(conn) == SMFIR_CONTINUE,
          rcpt .. ": intake, DATA continues")
    check(mt.abort(conn) == nil, rcpt .. ": aborted")
end
-- With the recipient as the MTA resolved it ({rcpt_addr}, as Postfix
-- sends it): the percent hack at the MX's own name is intake; a path with
-- no domain goes where the MTA says, here not to liaisons@.
for _, case in ipairs({ { '<liaisons%ietf.test@mx.ietf.test>', 'liaisons@ietf.test', SMFIR_CONTINUE },
                        { '<liaisons>', 'liaisons@other.test', SMFIR_ACCEPT },
                        { '<liaisons%ietf.test@stranger.test>', 'liaisons%ietf.test@stranger.test',
                          SMFIR_ACCEPT } }) do
    local rcpt, resolved, at_data = case[1], case[2], case[3]
    local what = rcpt .. " resolved to " .. resolved
    check(mt.mailfrom(conn, "<someone@example.test>") == nil
          and mt.getreply(conn) == SMFIR_CONTINUE, what .. ": MAIL FROM continues")
    mt.macro(conn, SMFIC_RCPT, "i", "MT0009", "{rcpt_addr}", resolved)
    check(mt.rcptto(conn, rcpt) == nil and mt.getreply(conn) == SMFIR_CONTINUE,
          what .. ": RCPT TO continues")
    check(mt.data(conn) == nil and mt.getreply(conn) == at_data,
          what .. (at_data == SMFIR_CONTINUE and ": intake, DATA continues" or ": ACCEPT at DATA"))
    if at_data == SMFIR_CONTINUE then check(mt.abort(conn) == nil, what .. ": aborted") end
end
mt.macro(conn, SMFIC_RCPT, "i", "MT0009")

-- A quoted local part that is another mailbox is not intake.
check(mt.mailfrom(conn, "<someone@example.test>") == nil
      and mt.getreply(conn) == SMFIR_CONTINUE, "quoted other: MAIL FROM continues")
check(mt.rcptto(conn, '<"liaisons x"@ietf.test>') == nil
      and mt.getreply(conn) == SMFIR_CONTINUE, "quoted other: RCPT TO continues")
check(mt.data(conn) == nil and mt.getreply(conn) == SMFIR_ACCEPT,
      "quoted other: ACCEPT at DATA")

-- s01 to liaisons+ccamp@ (plus-addressed intake), with a forged tracking
-- header that must go.
local headers, body = read_message(CORPUS .. "/s01-appendix-a.eml")
mt.macro(conn, SMFIC_MAIL, "i", "MT0002")
check(mt.mailfrom(conn, "<greta.jonsson@itu.test>") == nil, "s01: MAIL FROM")
check(mt.rcptto(conn, "<liaisons+ccamp@ietf.test>") == nil
      and mt.getreply(conn) == SMFIR_CONTINUE, "s01: RCPT TO intake")
check(mt.data(conn) == nil and mt.getreply(conn) == SMFIR_CONTINUE, "s01: DATA continues")
check(mt.header(conn, "X-Liaison-ID", "999") == nil, "s01: forged X-Liaison-ID sent")
check(mt.header(conn, "X-Liaison-Not-Recorded", "forged") == nil, "s01: forged X-Liaison-Not-Recorded sent")
local subject
for _, h in ipairs(headers) do
    check(mt.header(conn, h[1], h[2]) == nil and mt.getreply(conn) == SMFIR_CONTINUE,
          "s01: header " .. h[1])
    if h[1]:lower() == "subject" then subject = h[2] end
end
check(mt.eoh(conn) == nil and mt.getreply(conn) == SMFIR_CONTINUE, "s01: end of headers")
check(mt.bodystring(conn, body) == nil and mt.getreply(conn) == SMFIR_CONTINUE, "s01: body")
check(mt.eom(conn) == nil, "s01: end of message")
check(mt.getreply(conn) == SMFIR_CONTINUE, "s01: CONTINUE (accepted) at end of message")
for _, rcpt in ipairs({ "<ccamp-chairs@ietf.test>", "<ccamp@ietf.test>", "<rtg-ads@ietf.test>",
                        "<itu-t-sg15-manager@ietf.test>", "<greta.jonsson@itu.test>",
                        "<m.betts@itu.test>" }) do
    check(mt.eom_check(conn, MT_RCPTADD, rcpt), "s01: MT_RCPTADD " .. rcpt)
end
check(mt.eom_check(conn, MT_HDRADD, "X-Liaison-ID"), "s01: MT_HDRADD X-Liaison-ID")
check(not mt.eom_check(conn, MT_HDRADD, "X-Liaison-Not-Recorded"), "s01: recorded, no X-Liaison-Not-Recorded")
check(mt.eom_check(conn, MT_HDRCHANGE, "X-Liaison-Not-Recorded") or mt.eom_check(conn, MT_HDRDELETE, "X-Liaison-Not-Recorded"),
      "s01: forged X-Liaison-Not-Recorded removed")
local id = mt.getheader(conn, "X-Liaison-ID", 0)
check(id ~= nil and id:match("^%s*1$") ~= nil, "s01: X-Liaison-ID is 1 (got '" .. tostring(id) .. "')")
check(mt.eom_check(conn, MT_HDRCHANGE, "X-Liaison-ID") or mt.eom_check(conn, MT_HDRDELETE, "X-Liaison-ID"),
      "s01: forged X-Liaison-ID removed")
check(mt.eom_check(conn, MT_HDRCHANGE, "Subject"), "s01: MT_HDRCHANGE Subject")
check(mt.eom_check(conn, MT_HDRCHANGE, "Subject", "[LS 1] " .. subject)
      or mt.eom_check(conn, MT_HDRCHANGE, "Subject", " [LS 1] " .. subject),
      "s01: Subject is '[LS 1] " .. subject .. "'")

-- An auto-reply to intake: recorded, routed to no one, no header.
headers, body = read_message(CORPUS .. "/s10-auto-reply.eml")
lib.send(conn, "s10", "<tpaulsen@ietf.test>", "<liaisons@ietf.test>", headers, body)
for _, rcpt in ipairs({ "<lars@ietf.test>", "<ippm-chairs@ietf.test>", "<iesg@ietf.test>",
                        "<tpaulsen@ietf.test>" }) do
    check(not mt.eom_check(conn, MT_RCPTADD, rcpt), "s10: not routed to " .. rcpt)
end
check(not mt.eom_check(conn, MT_HDRADD, "X-Liaison-ID"), "s10: no X-Liaison-ID")
check(not mt.eom_check(conn, MT_HDRCHANGE, "Subject"), "s10: Subject unchanged")

-- Not mail at all (a binary header block): kept for a person, nothing
-- recorded, and a forged tracking header it carries still removed.
check(mt.mailfrom(conn, "<x@spam.test>") == nil, "binary: MAIL FROM")
check(mt.rcptto(conn, "<liaisons@ietf.test>") == nil, "binary: RCPT TO intake")
check(mt.data(conn) == nil and mt.getreply(conn) == SMFIR_CONTINUE, "binary: DATA continues")
check(mt.header(conn, "X-Junk", string.rep("\1\2\3\4", 10)) == nil, "binary: a header of control bytes")
check(mt.header(conn, "X-Liaison-ID", "42") == nil, "binary: forged X-Liaison-ID sent")
mt.eoh(conn)
mt.bodystring(conn, "hello\r\n")
check(mt.eom(conn) == nil and mt.getreply(conn) == SMFIR_CONTINUE, "binary: accepted, not recorded")
check(mt.eom_check(conn, MT_HDRCHANGE, "X-Liaison-ID") or mt.eom_check(conn, MT_HDRDELETE, "X-Liaison-ID"),
      "binary: forged X-Liaison-ID removed")
check(not mt.eom_check(conn, MT_HDRADD, "X-Liaison-ID"), "binary: no X-Liaison-ID added")
check(mt.eom_check(conn, MT_HDRADD, "X-Liaison-Not-Recorded",
                   "not a mail message: The input is not mail: its header block is binary data.")
      or mt.eom_check(conn, MT_HDRADD, "X-Liaison-Not-Recorded",
                      " not a mail message: The input is not mail: its header block is binary data."),
      "binary: the reason in X-Liaison-Not-Recorded")

mt.disconnect(conn)
