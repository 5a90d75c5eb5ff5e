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

local dirfile = lib.dir .. "/directory.json"
run("cp '" .. CORPUS .. "/directory.json' '" .. dirfile .. "'")
local conn = lib.start(lib.conf("reload.conf", { directory = dirfile }))

-- s01, its headers sent, when the directory breaks and SIGHUP comes.
local headers, body = lib.read_message(CORPUS .. "/s01-appendix-a.eml")
lib.begin(conn, "s01", "<greta.jonsson@itu.test>", "<liaisons@ietf.test>", headers, "HUP1")
local f = assert(io.open(dirfile, "wb"))
f:write('{ "intake": [ broken ] }\n')
f:close()
mt.signal(1)
lib.await_log("reload failed", 10, 0.2)
check(#lib.log_lines("reload failed, keeping the previous settings: directory "
                     .. dirfile .. ":1:") == 1, "the failed reload logged, naming file and line")

lib.finish(conn, "s01", body)
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
