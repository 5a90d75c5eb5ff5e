#!/bin/bash
# tests/daemon.sh: liaisond as a process, without an MTA: the pid file's
# lock keeps a second daemon off a running one's socket (and, with no pid
# file, a probe of the socket itself; a stale socket is no obstacle), a pid file that
# is a symbolic link is refused, a stale one is not in the way, the socket
# is made mode 666, bursts of SIGHUP reload without stopping the milter
# (libmilter's own signal thread would stop it if one reached it),
# start-up errors show on the terminal with a failing status even without
# -f (and a failure after detaching, the pid not written, is the start
# command's status too), a SIGHUP or SIGTERM while the daemon starts waits
# for it to serve instead of ending it, and SIGTERM leaves nothing behind.
set -u
. "$(dirname "$0")/lib.sh"

LIAISOND="$BUILDDIR/src/liaisond"
D="$SCRATCH/d"
SOCK="$D/run/l.sock"
PIDFILE="$D/run/liaisond.pid"
mkdir -p "$D/run" "$D/spool"
chmod 755 "$SCRATCH" "$D"
# A copy the daemon's user can read after dropping privileges (a reload
# rereads it), wherever the tree is (under /root, say).
cp "$CORPUS/directory.json" "$D/directory.json"
chmod 644 "$D/directory.json"
RUN_AS=""
if [ "$(id -u)" = 0 ]; then
    RUN_AS=nobody
    chown nobody "$D" "$D/run" "$D/spool"
fi

# conf FILE [LINE...]: a configuration in the scratch folder.
conf() {
    local file=$1 line; shift
    {
        echo "socket = unix:$SOCK"
        echo "intake = liaisons@ietf.test"
        echo "database = $D/liaison.db"
        echo "directory = $D/directory.json"
        echo "spool_dir = $D/spool"
        echo "pidfile = $PIDFILE"
        echo "sender = no"
        [ -n "$RUN_AS" ] && echo "user = $RUN_AS"
        for line in "$@"; do echo "$line"; done
    } >"$file"
}
conf "$D/liaisond.conf"

# wait_gone PID: until the process is gone (bounded, 60 s: libmilter
# daemons take up to about 10 s after SIGTERM, more in an ASan build on
# a loaded machine).
wait_gone() {
    for _ in $(seq 1 600); do kill -0 "$1" 2>/dev/null || return 0; sleep 0.1; done
    return 1
}

# start_fg LOG: liaisond in the foreground, its pid in LPID, until it
# says it started and its socket is there (bounded, 60 s: 10 s was short
# for an ASan build on a loaded machine), or it ends.
LPID=
t_cleanup '[ -n "$LPID" ] && kill -KILL $LPID 2>/dev/null'
start_fg() {
    "$LIAISOND" -f -c "$D/liaisond.conf" >"$1" 2>&1 &
    LPID=$!
    for _ in $(seq 1 600); do
        grep -q "started (pid $LPID)" "$1" && [ -S "$SOCK" ] && return
        kill -0 "$LPID" 2>/dev/null || return
        sleep 0.1
    done
}

start_fg "$D/a.log"
check_grep "first daemon started" "started \(pid $LPID\)" "$D/a.log"
[ "$(stat -c %a "$SOCK" 2>/dev/null)" = 666 ] && ok "socket mode 666" \
    || fail "socket mode" "$(stat -c %a "$SOCK" 2>&1)"
[ "$(cat "$PIDFILE" 2>/dev/null)" = "$LPID" ] && ok "pid file holds the daemon's pid" \
    || fail "pid file" "$(cat "$PIDFILE" 2>&1)"
ino=$(stat -c %i "$SOCK")

# ---- a second daemon on the same pid file and socket -----------------------
# (timeout: a daemon that is let start stays in the foreground.)
check_exit "second daemon refused (EX_UNAVAILABLE)" 69 timeout 20 "$LIAISOND" -f -c "$D/liaisond.conf"
check_grep "second daemon: says who runs" "another liaisond is running \(pid $LPID, pid file $PIDFILE\)" "$SCRATCH/err"
[ "$(stat -c %i "$SOCK" 2>/dev/null)" = "$ino" ] && kill -0 "$LPID" 2>/dev/null \
    && ok "second daemon: the first keeps its socket" || fail "second daemon" "socket replaced or first daemon gone"

# ---- a second daemon on the same socket, with no pid file --------------------
# The pid file's lock cannot help here: the socket itself is probed.
conf "$D/nopid.conf"
sed -i '/^pidfile = /d' "$D/nopid.conf"
check_exit "no pid file, same socket: refused (EX_UNAVAILABLE)" 69 timeout 20 "$LIAISOND" -f -c "$D/nopid.conf"
check_grep "no pid file, same socket: says why" "socket $SOCK: a milter is serving on it already" "$SCRATCH/err"
[ "$(stat -c %i "$SOCK" 2>/dev/null)" = "$ino" ] && kill -0 "$LPID" 2>/dev/null \
    && ok "no pid file, same socket: the first keeps its socket" \
    || fail "no pid file, same socket" "socket replaced or first daemon gone"

# ---- bursts of SIGHUP --------------------------------------------------------
# milter_answers: a milter option negotiation over $SOCK completes (miltertest
# standing in for the MTA).  The socket file outlives a listener that died,
# so only an answer shows that the milter still serves.
cat >"$SCRATCH/negotiate.lua" <<'EOL'
local conn = mt.connect("unix:" .. SOCK, 20, 0.1)
if conn == nil then error("no connection to " .. SOCK) end
local err = mt.negotiate(conn, nil, nil, nil)
if err ~= nil then error("negotiation: " .. err) end
mt.disconnect(conn)
EOL
milter_answers() {
    timeout 30 miltertest -D "SOCK=$SOCK" -s "$SCRATCH/negotiate.lua" >"$SCRATCH/mt.out" 2>&1
}
for _ in $(seq 1 300); do
    kill -HUP "$LPID"; kill -HUP "$LPID"; kill -HUP "$LPID"
done
# The reloads are the daemon's to do in its own time: a fixed second,
# waited here before, is not enough for an ASan or valgrind build on a
# loaded machine to do the first.  Until its "reloaded" line (or its end;
# at most 60 s, for a daemon that never reloads).
for _ in $(seq 1 600); do
    grep -q "reloaded $D/liaisond.conf" "$D/a.log" && break
    kill -0 "$LPID" 2>/dev/null || break
    sleep 0.1
done
if kill -0 "$LPID" 2>/dev/null && [ -S "$SOCK" ] && ! grep -q "stopped on its own\|stopping" "$D/a.log"; then
    ok "900 SIGHUPs in bursts of 3: the daemon lives, its socket is there"
else
    fail "SIGHUP bursts" "$(grep -E 'stopp|error' "$D/a.log" | tail -2)"
fi
# Coalesced bursts may reload far fewer than 900 times, but never not at all.
reloads=$(grep -c "reloaded $D/liaisond.conf" "$D/a.log")
[ "$reloads" -ge 1 ] && ok "SIGHUP bursts: reloaded ($reloads times)" \
    || fail "SIGHUP bursts" "no 'reloaded' line in $D/a.log"
if ! command -v miltertest >/dev/null; then
    fail "SIGHUP bursts: the milter answers" "miltertest not installed (contrib/install-deps.sh)"
elif milter_answers; then
    ok "SIGHUP bursts: the milter still answers (option negotiation over $SOCK)"
else
    fail "SIGHUP bursts: the milter answers" "$(tail -3 "$SCRATCH/mt.out")"
fi

# ---- SIGTERM -----------------------------------------------------------------
kill -TERM "$LPID"
wait "$LPID"; rc=$?
[ "$rc" = 0 ] && ok "SIGTERM: exit 0" || fail "SIGTERM" "exit $rc"
LPID=
[ ! -e "$PIDFILE" ] && [ ! -e "$SOCK" ] && ok "SIGTERM: pid file and socket removed" \
    || fail "SIGTERM" "left: $(ls "$D/run")"

# ---- signals while the daemon starts -----------------------------------------
# The directory file is a FIFO, so that liaisond, starting, waits in its
# open() until the test writes the directory into it.  A signal sent then
# used to meet SIGHUP's and SIGTERM's default action, the end of the
# process: systemd counts a daemon started at exec, so a reload right after
# a start could kill it.  Now each waits for the daemon to serve.
mkfifo "$D/dir.fifo"
sed -e "s|^directory = .*|directory = $D/dir.fifo|" "$D/liaisond.conf" >"$D/slow.conf"
# SIGTERM's case keeps the user it starts as (root, under make check as
# root): a stop asked for before libmilter listened once made libmilter
# bind its socket again, which fails as root (exit 70).
sed -e '/^user = /d' -e "s|^database = .*|database = $D/slow-term.db|" "$D/slow.conf" >"$D/slow-TERM.conf"
cp "$D/slow.conf" "$D/slow-HUP.conf"
# in_open PID: until PID waits in an open() (the FIFO's; bounded, 60 s,
# for an ASan build started on a loaded machine).
in_open() {
    for _ in $(seq 1 600); do
        [ "$(cut -d' ' -f1 "/proc/$1/syscall" 2>/dev/null)" = 257 ] && return 0
        sleep 0.1
    done
    return 1
}
# feed: the directory into the FIFO, once liaisond opens it (bounded).
feed() { timeout 20 sh -c 'cat "$1" >"$2"' sh "$CORPUS/directory.json" "$D/dir.fifo"; }
for sig in HUP TERM; do
    "$LIAISOND" -f -c "$D/slow-$sig.conf" >"$D/sig$sig.log" 2>&1 &
    LPID=$!
    if in_open "$LPID"; then
        kill -"$sig" "$LPID"
        ok "SIG$sig while starting: sent while liaisond waits to read its directory"
    else
        fail "SIG$sig while starting" "liaisond never waited in open(): $(tail -2 "$D/sig$sig.log")"
    fi
    feed || fail "SIG$sig while starting" "the directory was not read"
    if [ "$sig" = HUP ]; then
        # The reload reads the directory again.
        feed || fail "SIGHUP while starting" "the directory was not read again"
        for _ in $(seq 1 100); do grep -q "reloaded" "$D/sigHUP.log" && break; sleep 0.1; done
        if kill -0 "$LPID" 2>/dev/null && grep -q "started (pid $LPID)" "$D/sigHUP.log" \
            && grep -q "reloaded $D/slow-HUP.conf" "$D/sigHUP.log"; then
            ok "SIGHUP while starting: the daemon starts, then reloads"
        else
            fail "SIGHUP while starting" "alive: $(kill -0 "$LPID" 2>/dev/null && echo yes || echo no); $(tail -3 "$D/sigHUP.log")"
        fi
        kill -TERM "$LPID"
    fi
    if wait_gone "$LPID"; then
        wait "$LPID"; rc=$?
    else
        kill -KILL "$LPID"; rc=timeout
    fi
    LPID=
    is "SIG$sig while starting: then a clean stop, exit 0" 0 "$rc"
done
grep -q "stopping" "$D/sigTERM.log" && ok "SIGTERM while starting: the daemon says it stops" \
    || fail "SIGTERM while starting" "$(tail -3 "$D/sigTERM.log")"

# ---- a stale socket (its daemon killed) is no obstacle ----------------------
python3 -c 'import socket,sys; s=socket.socket(socket.AF_UNIX); s.bind(sys.argv[1])' "$SOCK"
[ -S "$SOCK" ] && ok "stale socket left in place" || fail "stale socket" "not made"
start_fg "$D/stale.log"
check_grep "stale socket: the daemon starts on it" "started \(pid $LPID\)" "$D/stale.log"
kill -TERM "$LPID"; wait "$LPID"; LPID=

# ---- pid files that are not what they should be ------------------------------
echo keep >"$SCRATCH/target"
ln -s "$SCRATCH/target" "$PIDFILE"
check_exit "pid file that is a symbolic link: refused (EX_CANTCREAT)" 73 timeout 20 "$LIAISOND" -f -c "$D/liaisond.conf"
check_grep "symbolic link: says why" "pid file .*is a symbolic link, refused" "$SCRATCH/err"
[ "$(cat "$SCRATCH/target")" = keep ] && [ ! -e "$SOCK" ] && ok "symbolic link: its target untouched, no socket" \
    || fail "symbolic link" "target now: $(cat "$SCRATCH/target")"
rm -f "$PIDFILE"

# A pid file that is a FIFO: refused, and left where it is.
mkfifo "$PIDFILE"
check_exit "pid file that is a FIFO: refused (EX_CANTCREAT)" 73 timeout 20 "$LIAISOND" -f -c "$D/liaisond.conf"
[ -p "$PIDFILE" ] && ok "FIFO: not removed" || fail "FIFO" "the FIFO is gone"
rm -f "$PIDFILE"

# A pid file left by a daemon that was killed: unlocked, so not in the way.
echo 999999 >"$PIDFILE"
start_fg "$D/b.log"
check_grep "stale pid file: started" "started \(pid $LPID\)" "$D/b.log"
kill -TERM "$LPID"; wait "$LPID"; LPID=

# ---- help -------------------------------------------------------------------
check_exit "--help: exit 0" 0 "$LIAISOND" --help
check_grep "--help: lists the configuration keys on stdout" "^configuration keys" "$SCRATCH/out"
check_exit "an unknown option: exit 64" 64 "$LIAISOND" --bogus
[ "$(wc -l <"$SCRATCH/err")" -le 3 ] && grep -q "^usage: liaisond" "$SCRATCH/err" \
    && ok "an unknown option: the usage line only, on stderr" \
    || fail "an unknown option" "$(wc -l <"$SCRATCH/err") lines on stderr"

# ---- liaisond -n: what would fail later fails the check ----------------------
conf "$D/n.conf" "relay_user = u" "relay_password = hunter2"
check_exit "-n: a good configuration" 0 "$LIAISOND" -n -c "$D/n.conf"
check_grep "-n: the password is not shown" '^relay_password = \(set, not shown\)$' "$SCRATCH/out"
grep -q hunter2 "$SCRATCH/out" "$SCRATCH/err" && fail "-n: password" "printed in clear" \
    || ok "-n: the password appears nowhere"
# n_case NAME STATUS LINE [PATTERN]: liaisond -n on the configuration with
# LINE in place of its key's line exits STATUS, and says PATTERN.
n_case() {
    conf "$D/n.conf"; sed -i "/^${3%% *} = /d" "$D/n.conf"; echo "$3" >>"$D/n.conf"
    check_exit "-n: $1" "$2" "$LIAISOND" -n -c "$D/n.conf"
    [ $# -lt 4 ] || check_grep "-n: $1: says why" "$4" "$SCRATCH/err"
}
n_case "inet socket without a host refused" 78 "socket = inet:18891" \
    "no @HOST: libmilter would listen on every interface"
n_case "unknown user" 78 "user = liaisond-no-such-user" "user = liaisond-no-such-user: no such user"
n_case "tickle_before not a list of days" 78 "tickle_before = 14,seven" "not a list of days"
n_case "message_max over SQLite's limit" 78 "message_max = 2G" "must be 1 to 990000000 bytes"
n_case "intake not an address" 78 "intake = liaisons" "not an address"
n_case "a comment after a path refused" 78 "socket = unix:$SOCK   # the milter's socket" \
    "a comment must be on a line of its own"
n_case "a comment after a host name refused" 78 "relay_host = smtp.example.test   # our relay"
n_case "a display name may hold ' #'" 0 "mail_from_name = Liaisons #1"
conf "$D/n.conf"; printf '  busy_timeout_ms = 100\n' >>"$D/n.conf"
check_exit "-n: an indented setting refused" 78 "$LIAISOND" -n -c "$D/n.conf"
check_grep "-n: says it would continue the line above" '"busy_timeout_ms = ..." is indented' "$SCRATCH/err"
conf "$D/n.conf" "relay_starttls = yes" "relay_ca_file = $D/no-such-ca.pem"
check_exit "-n: a relay_ca_file that cannot be read" 78 "$LIAISOND" -n -c "$D/n.conf"
check_grep "-n: names the CA file" "relay_ca_file = $D/no-such-ca.pem: No such file" "$SCRATCH/err"
n_case "a missing spool folder is a warning" 0 "spool_dir = $D/no-such-spool" \
    "spool_dir = $D/no-such-spool: no such folder"

# ---- start-up errors without -f: on the terminal, a failing status -----------
RUN_AS=no-such-user-liaisond conf "$D/baduser.conf"
check_exit "unknown user, detaching: fails before detaching (EX_NOPERM)" 77 \
    "$LIAISOND" -c "$D/baduser.conf"
check_grep "unknown user: said on the terminal" "user no-such-user-liaisond: no such user" "$SCRATCH/err"
[ ! -e "$SOCK" ] && [ ! -e "$PIDFILE" ] && ok "unknown user: no socket or pid file left" \
    || fail "unknown user" "left: $(ls "$D/run")"

# ---- detaching for real --------------------------------------------------------
check_exit "detaching: the start command exits 0" 0 "$LIAISOND" -c "$D/liaisond.conf"
for _ in $(seq 1 100); do [ -s "$PIDFILE" ] && [ -S "$SOCK" ] && break; sleep 0.1; done
dpid=$(cat "$PIDFILE" 2>/dev/null)
if [ -n "$dpid" ] && kill -0 "$dpid" 2>/dev/null; then
    ok "detached daemon runs (pid $dpid, from its pid file)"
    t_cleanup "kill -KILL $dpid 2>/dev/null"
    kill -TERM "$dpid"
    wait_gone "$dpid" && [ ! -e "$PIDFILE" ] && [ ! -e "$SOCK" ] \
        && ok "detached daemon: SIGTERM, nothing left" || fail "detached daemon" "still there after SIGTERM"
else
    fail "detached daemon" "no live pid in $PIDFILE"
fi

# ---- a start that fails after detaching: the start command says so ---------
# The pid is written after the daemon detaches.  The pid file is on a small
# file system of its own, full before the start: the file is made, but the
# pid cannot be written into it.  The command that started the daemon must
# exit with the daemon's status (73), not 0.
if [ "$(id -u)" != 0 ]; then
    echo "note: not root; the start that fails after detaching is not tried"
elif ! { mkdir -p "$D/pidfs" && mount -t tmpfs -o size=64k,mode=755 tmpfs "$D/pidfs"; }; then
    fail "pid not written after detaching" "root could not mount a tmpfs for the pid file"
else
    t_cleanup "umount -l '$D/pidfs' 2>/dev/null"
    dd if=/dev/zero of="$D/pidfs/filler" bs=4k 2>/dev/null
    sed -e "s|^pidfile = .*|pidfile = $D/pidfs/liaisond.pid|" "$D/liaisond.conf" >"$D/pidfs.conf"
    check_exit "pid not written after detaching: the start command exits 73" 73 \
        timeout 30 "$LIAISOND" -c "$D/pidfs.conf"
    check_grep "pid not written after detaching: the start command says where the reason is" \
        "did not start \(exit 73\); its reason is in the system log" "$SCRATCH/err"
    [ ! -e "$SOCK" ] && ok "pid not written after detaching: no socket left" \
        || fail "pid not written" "socket left"
    umount -l "$D/pidfs"
fi

# ---- relative paths after a reload in a detached daemon ----------------------
# A detached daemon moves to "/"; a SIGHUP rereads the configuration, whose
# relative paths must still be taken from where it started, not from "/"
# (the database would be a new one there, or not writable at all).  The
# reload turns the Subject tag off, so a message without the tag shows it
# happened; the statement must be in the database the daemon started with.
R="$D/rel"
mkdir -p "$R/db" "$R/spool" "$R/run"
cp "$D/directory.json" "$R/directory.json"
chmod 755 "$R"
[ -n "$RUN_AS" ] && chown "$RUN_AS" "$R" "$R/db" "$R/spool" "$R/run"
{
    echo "socket = unix:run/l.sock"
    echo "intake = liaisons@ietf.test"
    echo "database = db/liaison.db"
    echo "directory = directory.json"
    echo "spool_dir = spool"
    echo "pidfile = run/liaisond.pid"
    echo "sender = no"
    [ -n "$RUN_AS" ] && echo "user = $RUN_AS"
} >"$R/liaisond.conf"
cat >"$SCRATCH/statement.lua" <<'EOL'
-- One statement to liaisons@: CONTINUE at the end, X-Liaison-ID added,
-- and the Subject changed only when TAG is "yes".
local conn = mt.connect("unix:" .. SOCK, 50, 0.1)
if conn == nil then error("no connection to " .. SOCK) end
if mt.negotiate(conn, nil, nil, nil) ~= nil then error("negotiation") end
if mt.mailfrom(conn, "<tsbsg15@itu.test>") ~= nil then error("MAIL") end
if mt.rcptto(conn, "<liaisons@ietf.test>") ~= nil then error("RCPT") end
if mt.data(conn) ~= nil or mt.getreply(conn) ~= SMFIR_CONTINUE then error("DATA") end
for _, h in ipairs({ { "From", "ITU-T TSB <tsbsg15@itu.test>" }, { "To", "liaisons@ietf.test" },
                     { "Subject", "LS on relative paths" }, { "Message-ID", "<rel-1@itu.test>" } }) do
    if mt.header(conn, h[1], h[2]) ~= nil then error("header " .. h[1]) end
end
if mt.eoh(conn) ~= nil then error("end of headers") end
if mt.bodystring(conn, "Title: LS on relative paths\r\nFrom: ITU-T Study Group 15\r\n"
                 .. "To: IETF CCAMP WG\r\nPurpose: For information\r\n") ~= nil then error("body") end
if mt.eom(conn) ~= nil then error("end of message") end
local r = mt.getreply(conn)
if r ~= SMFIR_CONTINUE then error("end of message answered " .. tostring(r) .. ", not CONTINUE") end
if not mt.eom_check(conn, MT_HDRADD, "X-Liaison-ID") then error("no X-Liaison-ID added") end
if mt.eom_check(conn, MT_HDRCHANGE, "Subject") ~= (TAG == "yes") then error("Subject tag: not as TAG=" .. TAG) end
mt.disconnect(conn)
EOL
( cd "$R" && timeout 30 "$LIAISOND" -c liaisond.conf ) 2>"$SCRATCH/rel.err"
rc=$?
rpid=$(cat "$R/run/liaisond.pid" 2>/dev/null)
if [ "$rc" = 0 ] && [ -n "$rpid" ] && kill -0 "$rpid" 2>/dev/null; then
    t_cleanup "kill -KILL $rpid 2>/dev/null"
    ok "relative paths: detached daemon runs (pid $rpid)"
    echo "subject_tag = no" >>"$R/liaisond.conf"
    kill -HUP "$rpid"
    # The reload is asynchronous, and the detached daemon logs it only to
    # syslog: the event is the answer without the tag, tried until it
    # comes, 0.5 s apart, up to 60 s (10 s was short for an ASan or
    # valgrind build on a loaded machine).  A try before the reload
    # records the statement; the next ones are the same message, seen before.
    rel_ok=
    for _ in $(seq 1 120); do
        sleep 0.5
        timeout 30 miltertest -D "SOCK=$R/run/l.sock" -D TAG=no -s "$SCRATCH/statement.lua" >"$SCRATCH/rel.out" 2>&1 \
            && { rel_ok=1; break; }
    done
    if [ -n "$rel_ok" ]; then
        ok "relative paths: after SIGHUP, reloaded (no Subject tag) and the statement accepted"
    else
        fail "relative paths: after SIGHUP" "$(tail -3 "$SCRATCH/rel.out")"
    fi
    check "relative paths: recorded in the database the daemon started with" \
        test "$(count_rows "$R/db/liaison.db" statement)" = 1
    check "relative paths: no database made under /" test ! -e /db/liaison.db
    kill -TERM "$rpid"
    wait_gone "$rpid" || fail "relative paths" "daemon still there after SIGTERM"
else
    fail "relative paths: detached daemon" "exit $rc: $(cat "$SCRATCH/rel.err")"
fi
