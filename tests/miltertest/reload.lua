-- tests/miltertest/reload.lua: a SIGHUP that finds the directory file
-- broken keeps the previous settings (liaisond(8), SIGNALS): the log says
-- so and names the file and line; a message in hand at the SIGHUP and one
-- that begins after it are both recorded and routed through the directory
-- loaded at start; the connection is not dropped.  The daemon runs on a
-- copy of run.sh's configuration whose directory is a copy of the
-- corpus's that this script can break.  Globals from run.sh (-D):
-- LIAISOND, CONF, SOCK, CORPUS, OUT (liaisond's log), LIB.

local lib = dofile(LIB)
local check, run = lib.check, lib.run

local dir = CONF:gsub("/liaisond%.conf$", "")
local dirfile = dir .. "/directory.json"
local conf = dir .. "/reload.conf"
run("cp '" .. CORPUS .. "/directory.json' '" .. dirfile .. "'")
local f = assert(io.open(CONF, "rb"))
local text = f:read("*a")
f:close()
f = assert(io.open(conf, "wb"))
f:write((text:gsub("\ndirectory = [^\n]*", "\ndirectory = " .. dirfile)))
f:close()

mt.startfilter(LIAISOND, "-f", "-c", conf)
local conn = mt.connect("unix:" .. SOCK, 300, 0.1)
check(conn ~= nil, "connect to liaisond")
check(mt.negotiate(conn, nil, nil, nil) == nil, "negotiate")

-- s01, its headers sent, when the directory breaks and SIGHUP comes.
local headers, body = lib.read_message(CORPUS .. "/s01-appendix-a.eml")
mt.macro(conn, SMFIC_MAIL, "i", "HUP1")
check(mt.mailfrom(conn, "<greta.jonsson@itu.test>") == nil, "s01: MAIL FROM")
check(mt.rcptto(conn, "<liaisons@ietf.test>") == nil, "s01: RCPT TO intake")
check(mt.data(conn) == nil and mt.getreply(conn) == SMFIR_CONTINUE, "s01: DATA continues")
for _, h in ipairs(headers) do mt.header(conn, h[1], h[2]) end
f = assert(io.open(dirfile, "wb"))
f:write('{ "intake": [ broken ] }\n')
f:close()
mt.signal(1)
local waited = 0
while #lib.log_lines("reload failed") == 0 and waited < 10 do
    mt.sleep(0.2)
    waited = waited + 0.2
end
check(#lib.log_lines("reload failed, keeping the previous settings: directory "
                     .. dirfile .. ":1:") == 1, "the failed reload logged, naming file and line")

check(mt.eoh(conn) == nil and mt.getreply(conn) == SMFIR_CONTINUE, "s01: end of headers")
check(mt.bodystring(conn, body) == nil, "s01: body")
check(mt.eom(conn) == nil and mt.getreply(conn) == SMFIR_CONTINUE, "s01: recorded")
check(mt.eom_check(conn, MT_RCPTADD, "<ccamp-chairs@ietf.test>")
      and mt.eom_check(conn, MT_RCPTADD, "<itu-t-sg15-manager@ietf.test>"),
      "s01: routed through the directory loaded at start")

-- A message that begins after the failed reload, on the same connection,
-- to a plus-addressed intake address in capitals.
headers, body = lib.read_message(CORPUS .. "/s02-datatracker-mail.eml")
lib.send(conn, "s02", "<llavalle@bbf.test>", "<LIAISONS+IPPM@IETF.TEST>", headers, body, "HUP2")
check(mt.eom_check(conn, MT_RCPTADD, "<ippm-chairs@ietf.test>"),
      "s02: routed through the directory loaded at start")
check(#lib.log_lines("reloaded ") == 0, "no reload took effect")
mt.disconnect(conn)
