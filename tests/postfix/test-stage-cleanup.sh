#!/bin/bash
# tests/postfix/test-stage-cleanup.sh: a stage of tests/run-all.sh leaves
# nothing running once it ends.  With run-all's functions alone (sourced),
# a stage does what the tests do, a private Postfix (pf-start) and a
# liaisond -f (recorded as pf-lib.sh's start_liaisond records it), and a
# liaisond that detaches as daemon.sh's do; then it is stopped, once by its
# cap (bounded's timeout) and once by run-all itself being killed (CI
# cancelling the job).  After each, no master or other process of that
# Postfix and no liaisond of the stage runs, and the stage's registry is
# gone.  A system Postfix, if one runs, is still running at the end.
set -u
. "$(dirname "$0")/../lib.sh"
. "$SRCDIR/tests/postfix/pf-lib.sh"
pf_require timeout
pf_setup stage 11310
pf_conf
# The detached one: its own socket and pid file, the same database.
sed -e "s|^socket = .*|socket = unix:$RUN/run/detached.sock|" \
    -e "s|^pidfile = .*|pidfile = $RUN/run/detached.pid|" "$RUN/liaisond.conf" >"$RUN/detached.conf"

# run-all's functions, its logs (and the stages' registries) under RUN.
TOP=$SRCDIR
LOGDIR="$RUN/logs"
mkdir -p "$LOGDIR"
export TOP LOGDIR
. "$SRCDIR/tests/run-all.sh"

# The stage (run by bounded in a shell of its own): Postfix, then the two
# liaisonds, their pids written to RUN/pids.N once all three serve, then
# a wait longer than any cap here.
stage_pf_liaisond() {
    local n=$1 lpid
    "$PF/pf-start" "$RUN/pf" "$PORT" "unix:$SOCK" >"$RUN/pf-start.$n" 2>&1 || exit 1
    "$LIAISOND" -f -c "$RUN/liaisond.conf" >>"$RUN/liaisond.log" 2>&1 &
    lpid=$!
    t_register_pid "$lpid"
    "$LIAISOND" -c "$RUN/detached.conf" >>"$RUN/detached.log" 2>&1 || exit 1
    for _ in $(seq 1 100); do [ -S "$SOCK" ] && break; sleep 0.1; done
    echo "$(sed -n '1s/[^0-9]//gp' "$RUN/pf/queue/pid/master.pid") $lpid $(cat "$RUN/run/detached.pid")" \
        >"$RUN/pids.$n"
    sleep 600
}
export -f stage_pf_liaisond t_register_pid
export RUN PORT SOCK PF LIAISOND

# running PID: PID is a live process (not a zombie).
running() { [ -d "/proc/$1" ] && ! grep -qs '^State:[[:space:]]*Z' "/proc/$1/status"; }

# in_session SID: the live processes of session SID (the master's smtpd,
# qmgr, pickup...), their pids.
in_session() {
    local f line s
    for f in /proc/[0-9]*/stat; do
        { read -r line <"$f"; } 2>/dev/null || continue
        read -r -a s <<<"${line##*) }"
        [ "${s[3]}" = "$1" ] && [ "${s[0]}" != Z ] && echo "${f//[^0-9]/}"
    done
}

# await_file FILE: until FILE exists (bounded: 60 s).
await_file() {
    for _ in $(seq 1 600); do [ -s "$1" ] && return 0; sleep 0.1; done
    return 1
}

# left_after N HOW: the checks after stage N stopped HOW: its Postfix
# master, that master's session, both liaisonds, its mark and registry.
left_after() {
    local n=$1 how=$2 master lpid dpid
    read -r master lpid dpid <"$RUN/pids.$n"
    t_cleanup "kill -KILL $lpid $dpid 2>/dev/null"
    running "$master" && fail "$how: the stage's Postfix master stopped" "master $master still runs" \
        || ok "$how: the stage's Postfix master stopped"
    is "$how: nothing left of its session (smtpd, qmgr...)" "" "$(in_session "$master")"
    /usr/lib/postfix/sbin/master -c "$RUN/pf/etc" -t 2>/dev/null \
        && ok "$how: postfix -c RUN/pf/etc: no master running" \
        || fail "$how: no master for RUN/pf/etc" "master -t says one runs"
    running "$lpid" && fail "$how: the stage's liaisond -f stopped" "$lpid still runs" \
        || ok "$how: the stage's liaisond -f stopped"
    running "$dpid" && fail "$how: the stage's detached liaisond stopped" "$dpid still runs" \
        || ok "$how: the stage's detached liaisond stopped"
    is "$how: the stage's registry removed" "" "$(ls "$LOGDIR/registry")"
}

sys_master=$(sed -n '1s/[^0-9]//gp' /var/spool/postfix/pid/master.pid 2>/dev/null)
[ -n "$sys_master" ] && ! running "$sys_master" && sys_master=

# ---- stopped by its cap --------------------------------------------------
bounded 20 stage_pf_liaisond 1 >"$RUN/stage1.out" 2>&1
is "a stage past its cap: 124" 124 "$?"
check "stage 1 had started Postfix and both liaisonds" test -s "$RUN/pids.1"
left_after 1 "cap"
is "cap: no process carries the stage's mark" "" "$(stage_marked "$$.1")"

# ---- run-all killed while the stage runs ---------------------------------
rm -f "$SOCK"
bash -c '. "$TOP/tests/run-all.sh"; run_all_traps; bounded 600 stage_pf_liaisond 2' \
    >"$RUN/stage2.out" 2>&1 &
ra=$!
t_cleanup "kill -KILL $ra 2>/dev/null"
if await_file "$RUN/pids.2"; then
    ok "stage 2 started Postfix and both liaisonds"
    kill -TERM "$ra"
    wait "$ra"
    is "run-all killed with SIGTERM: 143" 143 "$?"
    left_after 2 "run-all killed"
    is "run-all killed: no process carries the stage's mark" "" "$(stage_marked "$ra.1")"
else
    fail "stage 2 started" "$(cat "$RUN/stage2.out" "$RUN/pf-start.2" 2>/dev/null | tail -5)"
fi

if [ -n "$sys_master" ]; then
    running "$sys_master" && ok "the system's Postfix master still runs" \
        || fail "the system's Postfix" "its master $sys_master is gone"
fi
[ "$T_FAIL" -gt 0 ] && sed 's/^/    /' "$RUN/stage1.out" "$RUN/stage2.out"
exit 0
