# shellcheck shell=bash
# tests/postfix/pf-lib.sh: what the tests of liaisond on a private Postfix
# share (test-milter.sh, test-sender.sh, test-killed.sh, test-load.sh,
# test-size.sh, test-locked.sh, test-relay.sh, test-pipe.sh).  Sourced
# after tests/lib.sh.
#
#   pf_require TOOL...     skip (exit 77) unless root and the tools exist
#                          (postfix, sqlite3 and jq always)
#   pf_setup NAME BASE     a run directory /tmp/liaison-NAME.XXXXXX with
#                          db/, spool/ and run/ owned by the user liaisond
#                          runs as, and a free port on 127.0.0.1 from BASE
#                          upwards (BASE..BASE+99); liaisond and Postfix
#                          stopped and everything removed on exit (KEEP=1
#                          keeps the run directory)
#   pf_conf [LINE...]      write RUN/liaisond.conf, with extra lines; the
#                          notification and acknowledgement are off
#                          (notify = no, acknowledge = no) unless PF_MAIL=on
#                          (PF_MAIL=on pf_conf ...: mail out left at
#                          liaisond's defaults, for tests of that mail)
#   start_liaisond [VAR=VALUE...]   start liaisond -f as root (it drops to
#                          RUN_USER), with extra environment, and wait for
#                          its "started" line; stop_liaisond: SIGTERM, wait,
#                          a failure recorded unless it exits 0 (status 1);
#                          its pid is recorded in run-all's stage registry
#                          (t_register_pid), as pf-start records Postfix
#   LIAISOND_WRAPPER       a command liaisond runs under, split on spaces,
#                          e.g. "valgrind -q --leak-check=full
#                          --error-exitcode=99 --log-file=/tmp/vg.%p"
#                          (tests/run-all.sh); its start and stop may then
#                          take a minute each instead of 10 and 15 s
#   pf_start               the private Postfix with liaisond as its milter
#   send FILE SENDER RCPT...  one SMTP transaction with swaks
#   sql ...                sqlite3 on the database as RUN_USER
#   message_id_of FILE     the Message-ID (with its <>) in FILE's header
#   sender_of FILE         the address in FILE's From header
#   send_corpus SEND MTA   every corpus message to liaisons@ through SEND
#   routed_of NAME, copies_of NAME, kind_of NAME
#                          what corpus/routing.json and expected.json say
#                          corpus message NAME is routed to and recorded as
PF="$SRCDIR/tests/postfix"
LIAISOND="$BUILDDIR/src/liaisond"
PATH=$PATH:/usr/sbin:/sbin
RUN_USER=nobody

pf_skip() { echo "SKIP: $*"; trap - EXIT; rm -rf "$SCRATCH"; exit 77; }

pf_require() {
    local tool
    for tool in postfix sqlite3 jq "$@"; do
        command -v "$tool" >/dev/null || pf_skip "$tool not installed"
    done
    [ "$(id -u)" = 0 ] || pf_skip "needs root to run a private Postfix"
}

# Reachable by the postfix user (virtual(8) delivers as postfix) and by the
# unprivileged user liaisond runs as.
pf_setup() {
    local name=$1 base=$2 p
    # Under /tmp, which the postfix user can traverse wherever the build is
    # (a clone under /root would not be).
    RUN=$(mktemp -d "/tmp/liaison-$name.XXXXXX")
    mkdir -p "$RUN/db" "$RUN/spool" "$RUN/run"
    chmod 755 "$RUN" "$RUN/run"
    chown "$RUN_USER" "$RUN/db" "$RUN/spool" "$RUN/run"
    DB="$RUN/db/liaison.db"
    SOCK="$RUN/run/liaisond.sock"
    PIDFILE="$RUN/run/liaisond.pid"
    # Each test searches from its own base, so that tests run in parallel
    # (make -j check) do not race for the same port.
    PORT=$(free_port "$base") || { fail "free port" "none in $base..$((base + 99))"; exit 1; }
    t_cleanup 'stop_liaisond; "$PF/pf-stop" "$RUN/pf" >/dev/null 2>&1; pf_logs_if_failed; [ "${KEEP:-}" = 1 ] && echo "kept $RUN" || rm -rf "$RUN"'
}

# After a failure, the end of liaisond's log and of Postfix's in the test's
# own log, which CI keeps: RUN goes when the test ends.
pf_logs_if_failed() {
    [ "$T_FAIL" -gt 0 ] || return 0
    local f
    for f in "$RUN/liaisond.log" "$RUN/pf/maillog"; do
        [ -s "$f" ] || continue
        echo "--- the last 40 lines of $f:"
        tail -n 40 "$f"
    done
}

# The notification and acknowledgement are off: most of these tests count
# the copies of intake mail; mail out has tests/mailout.sh.  PF_MAIL=on
# leaves them on (liaisond's defaults), for test-sender.sh.
pf_conf() {
    # A copy the unprivileged user can read wherever the clone is: liaisond
    # rereads the directory on SIGHUP, after dropping root.
    install -m 644 "$CORPUS/directory.json" "$RUN/directory.json"
    {
        echo "socket = unix:$SOCK"
        echo "intake = liaisons@ietf.test"
        echo "database = $DB"
        echo "directory = $RUN/directory.json"
        echo "spool_dir = $RUN/spool"
        echo "user = $RUN_USER"
        echo "pidfile = $PIDFILE"
        if [ "${PF_MAIL:-off}" != on ]; then
            echo "notify = no"
            echo "acknowledge = no"
        fi
        local line
        for line in "$@"; do echo "$line"; done
    } >"$RUN/liaisond.conf"
}

LPID=
# valgrind takes seconds to start liaisond and more to check its heap at
# exit (it keeps the pid: LPID is still liaisond's, "started (pid N)" too).
LIAISOND_WRAPPER=${LIAISOND_WRAPPER:-}
if [ -n "$LIAISOND_WRAPPER" ]; then PF_START_WAIT=600 PF_STOP_WAIT=600
else PF_START_WAIT=100 PF_STOP_WAIT=150; fi
start_liaisond() {
    # shellcheck disable=SC2086 # the wrapper's words
    env "$@" $LIAISOND_WRAPPER "$LIAISOND" -f -v -c "$RUN/liaisond.conf" >>"$RUN/liaisond.log" 2>&1 &
    LPID=$!
    t_register_pid "$LPID"
    for _ in $(seq 1 "$PF_START_WAIT"); do
        grep -q "started (pid $LPID)" "$RUN/liaisond.log" && [ -S "$SOCK" ] && return 0
        kill -0 "$LPID" 2>/dev/null || break
        sleep 0.1
    done
    return 1
}
# Its exit status counts: 0 after SIGTERM; 99 is the wrapper's (valgrind's
# --error-exitcode: a memory error or a definite leak).
stop_liaisond() {
    local rc
    [ -n "$LPID" ] || return 0
    kill -TERM "$LPID" 2>/dev/null
    for _ in $(seq 1 "$PF_STOP_WAIT"); do kill -0 "$LPID" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$LPID" 2>/dev/null
    wait "$LPID" 2>/dev/null; rc=$?
    LPID=
    [ "$rc" = 0 ] && return 0
    if [ "$rc" = 99 ] && [ -n "$LIAISOND_WRAPPER" ]; then
        fail "liaisond under ${LIAISOND_WRAPPER%% *}" "exit 99: memory errors or leaks, in the wrapper's log"
    elif [ "$rc" = 137 ]; then
        fail "liaisond stops on SIGTERM" "still running after $((PF_STOP_WAIT / 10)) s, killed"
    else
        fail "liaisond stops on SIGTERM" "exit $rc"
    fi
    return 1
}

pf_start() {
    if "$PF/pf-start" "$RUN/pf" "$PORT" "unix:$SOCK" >"$SCRATCH/pf.out" 2>&1; then
        ok "private postfix on 127.0.0.1:$PORT with liaisond"
    else
        fail "private postfix starts" "$(cat "$SCRATCH/pf.out")"; exit 1
    fi
}

# send FILE SENDER RCPT...: one SMTP transaction; the exit status of swaks,
# its transcript in SCRATCH/swaks.out (or in $SWAKS_OUT).  SWAKS_TIMEOUT:
# swaks's timeout for each reply (30 s, its default), longer where the
# milter runs under valgrind (tests/run-all.sh).
send() {
    local file=$1 from=$2; shift 2
    local to; to=$(IFS=,; echo "$*")
    swaks --silent 2 --timeout "${SWAKS_TIMEOUT:-30}" -s 127.0.0.1 -p "$PORT" -f "$from" -t "$to" --data "@$file" \
        >"${SWAKS_OUT:-$SCRATCH/swaks.out}" 2>&1
}

# As liaisond's user: a root sqlite3 would leave root-owned -wal/-shm files
# that liaisond could not write.
sql() { runuser -u "$RUN_USER" -- sqlite3 -batch -noheader "$DB" "$@"; }

# send_corpus SEND MTA: every corpus message in order (s09 answers s01),
# each in a transaction of its own to liaisons@ through the function SEND
# (FILE SENDER RCPT, its transcript in SCRATCH/swaks.out), from its From
# address, the bounce (s11) from the null sender; a check for each.
send_corpus() {
    local send_fn=$1 mta=$2 f name from
    for f in "$CORPUS"/s*.eml; do
        name=$(basename "$f" .eml)
        from=$(sender_of "$f")
        case $name in s11-*) from='<>' ;; esac
        if "$send_fn" "$f" "$from" liaisons@ietf.test; then ok "$name: accepted by $mta + liaisond"
        else fail "$name: accepted" "$(tail -3 "$SCRATCH/swaks.out")"; fi
    done
}

# sender_of FILE: the address in FILE's From header, the envelope sender
# the message would have.
sender_of() {
    sed -n '/^$/q; s/^From:.*<\([^>]*\)>.*/\1/p; s/^From: *\([^ <>]*@[^ <>]*\) *$/\1/p' "$1" | head -1
}

message_id_of() {
    sed -n '/^$/q; s/^[Mm]essage-[Ii][Dd]: *\(<[^>]*>\).*/\1/p' "$1" | head -1
}

# routed_of NAME: the addresses corpus/routing.json (worked by hand) says
# the milter adds for corpus message NAME (no .eml), lowercased, one a
# line, sorted; nothing for a message routed to no one.  Tests compare
# deliveries with this, never with what liaisond recorded.
routed_of() {
    jq -r --arg f "$1.eml" '.[$f][]?[0]' "$CORPUS/routing.json" | tr 'A-Z' 'a-z' | sort -u
}

# copies_of NAME: liaisons@ plus routed_of NAME, one a line, sorted.
copies_of() { { echo liaisons@ietf.test; routed_of "$1"; } | sort -u; }

# kind_of NAME: the kind corpus/expected.json gives corpus message NAME.
kind_of() {
    jq -r --arg f "$1.eml" '.[] | select(.file == $f) | .kind' "$CORPUS/expected.json"
}
