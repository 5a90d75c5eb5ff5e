#!/bin/bash
# tests/run-all.sh: the whole test suite from a clean clone, as CI runs it:
# install the dependencies, build, run `make check` (cmocka unit tests, the
# corpus golden comparison, the shell tests against the real programs,
# Postfix and SQLite), run the README's demo and check what it shows, run
# it again in an ASan + UBSan build, run the unit
# tests, the corpus ingest and publish and liaisond through Postfix (test-milter.sh)
# under valgrind, run clang's static analyzer over src/, fuzz the parsers
# for a minute each (tests/fuzz/run.sh), then `make distcheck`.
# The last line is "N passed, N failed" over all of it.
#
# Sourced (`. tests/run-all.sh`), it only defines its functions (bounded,
# step, tally...) and runs nothing, for a test of them
# (tests/postfix/test-stage-cleanup.sh); the caller sets TOP and LOGDIR.
set -u
PASSED=0
FAILED=0

# Add the cmocka-style counts of the logs named to the totals; a test log
# with no count line (a crash) counts as one failure, and so does one with
# no failure counted whose test failed all the same (a script's bare exit 1).
tally() {
    local f p q
    for f in "$@"; do
        [ -f "$f" ] || continue
        p=$(grep -ahoE '^\[  PASSED  \] [0-9]+' "$f" | awk '{s+=$NF} END {print s+0}')
        q=$(grep -ahoE '^\[  FAILED  \] [0-9]+' "$f" | awk '{s+=$NF} END {print s+0}')
        if [ "$p" -eq 0 ] && [ "$q" -eq 0 ] && ! grep -q ':test-result: PASS' "${f%.log}.trs" 2>/dev/null; then
            q=1
        elif [ "$q" -eq 0 ] && grep -Eq ':test-result: (FAIL|ERROR)' "${f%.log}.trs" 2>/dev/null; then
            q=1
        fi
        PASSED=$((PASSED + p)); FAILED=$((FAILED + q))
    done
}

# check_failed RC NAME: after the tally of a `make check` that exited RC,
# count one failure when it failed but its logs added none (FAILED still
# $FAILED_BEFORE): a test program that did not build leaves no log at all,
# and would otherwise vanish from the summary.
check_failed() {
    if [ "$1" -ne 0 ] && [ "$FAILED" -eq "$FAILED_BEFORE" ]; then
        echo "   $2 failed (exit $1) with no failure in the test logs (a test not built?); errors in tests/logs/$2.log:"
        grep -E 'error|Error' "$LOGDIR/$2.log" | tail -n 10 | sed 's/^/   | /'
        FAILED=$((FAILED + 1))
    fi
}

# The seconds since the start, after each stage: the margin to CI's
# 90-minute limit.
elapsed() { echo "   ($SECONDS s elapsed)"; }

# Every stage runs under a time limit, so that one that hangs (a test
# waiting on a lock, a thread starved under valgrind) costs its own limit
# and not the rest of CI's 90 minutes: the run still ends with its
# summary line.  A stage may take at most its own cap, and never past
# RUN_ALL_DEADLINE seconds from the start (default 84 minutes, which
# leaves the summary and CI's clean-up their margin).
RUN_ALL_DEADLINE=${RUN_ALL_DEADLINE:-5040}

# What a stage started and left running is stopped when it ends.  Its
# process group is timeout(1)'s, but Postfix's master daemonises into a
# session of its own, a test killed at the cap never runs its EXIT trap's
# clean-up, and when run-all itself is killed (CI cancelling the job) the
# stage's timeout is never told.  So each stage gets a registry,
# LIAISON_TEST_REGISTRY, where pf-start writes "postfix DIR" and the tests'
# liaisond launches "pid PID START" (tests/lib.sh, t_register_pid), and a
# mark in its environment, LIAISON_STAGE, that every process it starts
# inherits (Postfix's master clears its environment: the registry names
# it).  stage_sweep stops what either names, and nothing else: never the
# system's Postfix, never a process of another stage or of nobody's.
STAGE_N=0
STAGE_PID=
STAGE_REG=
STAGE_MARK=

# stage_same PID START: PID is still the process that was recorded, the
# one that started at START (clock ticks since boot, /proc/PID/stat's
# 22nd field), not a later one that got its pid.
stage_same() {
    local line f
    { read -r line <"/proc/$1/stat"; } 2>/dev/null || return 1
    read -r -a f <<<"${line##*) }"
    [ "${f[19]}" = "$2" ] && [ "${f[0]}" != Z ]
}

# stage_marked MARK: the pids of the processes whose environment holds
# LIAISON_STAGE=MARK, one a line.
stage_marked() {
    local e p
    for e in /proc/[0-9]*/environ; do
        p=${e#/proc/}; p=${p%/environ}
        [ "$p" = "$$" ] && continue
        grep -qxz "LIAISON_STAGE=$1" "$e" 2>/dev/null && echo "$p"
    done
}

# stage_alive PID: PID is a process, and not a zombie.
stage_alive() {
    [ -d "/proc/$1" ] && ! grep -qs '^State:[[:space:]]*Z' "/proc/$1/status"
}

# stage_sweep: stop what the last stage left running: each Postfix of its
# registry (pf-stop DIR: postfix -c DIR/etc stop, then what is left of
# that instance killed by pid), then each process it recorded or that
# carries its mark (SIGTERM, then SIGKILL after 10 s); the registry then
# removed.  Says on standard error what it had to stop.
stage_sweep() {
    local kind a b p left pids=
    if [ -n "$STAGE_REG" ] && [ -f "$STAGE_REG" ]; then
        while read -r kind a b; do
            case $kind in
                postfix)
                    # Only an instance pf-start wrote: never /etc/postfix.
                    grep -qs 'written by pf-start' "$a/etc/main.cf" || continue
                    "$TOP/tests/postfix/pf-stop" "$a" 2>&1 | grep -v 'is not running' >&2 ;;
                pid) stage_same "$a" "$b" && pids="$pids $a" ;;
            esac
        done <"$STAGE_REG"
    fi
    [ -n "$STAGE_MARK" ] && pids="$pids $(stage_marked "$STAGE_MARK")"
    # shellcheck disable=SC2086 # a list of pids, one a line, each once
    pids=$(printf '%s\n' $pids | sort -un | tr '\n' ' ')
    if [ -n "${pids// /}" ]; then
        echo "run-all: stopping what the stage left running: $pids" >&2
        # shellcheck disable=SC2086 # a list of pids
        kill -TERM $pids 2>/dev/null
        for _ in $(seq 1 100); do
            left=
            for p in $pids; do stage_alive "$p" && left="$left $p"; done
            [ -z "$left" ] && break
            sleep 0.1
        done
        # shellcheck disable=SC2086
        [ -n "$left" ] && kill -KILL $left 2>/dev/null
    fi
    [ -n "$STAGE_REG" ] && rm -f "$STAGE_REG"
    STAGE_REG='' STAGE_MARK=''
}

# run_all_killed SIG: run-all itself told to stop (CI cancelling the job):
# the running stage's timeout(1) told too, which signals its process
# group, what the stage started stopped, and run-all ends as the signal
# asks.
run_all_killed() {
    local p=$STAGE_PID
    trap - "$1" EXIT
    echo "run-all: SIG$1; stopping the running stage" >&2
    if [ -n "$p" ]; then
        kill -TERM "$p" 2>/dev/null
        # timeout forwards the signal to its group; what ignores it is
        # killed after 10 s, by the group (timeout's pid is its pgid).
        for _ in $(seq 1 100); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
        kill -KILL -- "-$p" 2>/dev/null
        wait "$p" 2>/dev/null
    fi
    stage_sweep
    [ "$1" = INT ] && exit 130
    exit 143
}
# run_all_traps: run-all's own traps, set by the script (not when it is
# sourced, where the caller's traps stay).
run_all_traps() {
    trap 'run_all_killed TERM' TERM
    trap 'run_all_killed INT' INT
    trap 'run_all_killed HUP' HUP
    trap 'stage_sweep' EXIT
}

# bounded CAP CMD...: run CMD (a program or an exported function) for at
# most CAP seconds, or what is left before the deadline if less; kill its
# whole process group when time is up, and then whatever else it started
# (stage_sweep).  CMD's status, or 124 when it was stopped or never
# started for want of time.
bounded() {
    local cap=$1 left rc; shift
    left=$((RUN_ALL_DEADLINE - SECONDS))
    [ "$left" -lt "$cap" ] && cap=$left
    if [ "$left" -lt 30 ]; then
        echo "   not run: ${left} s left before the run's deadline (RUN_ALL_DEADLINE=$RUN_ALL_DEADLINE)" | tee -a "$LOGDIR/timeouts.log"
        return 124
    fi
    STAGE_N=$((STAGE_N + 1))
    STAGE_MARK="$$.$STAGE_N"
    mkdir -p "$LOGDIR/registry"
    STAGE_REG="$LOGDIR/registry/stage-$STAGE_N"
    : >"$STAGE_REG"
    # timeout(1) makes its own process group and signals all of it, so
    # the children of a killed stage (make's tests, valgrind) go too.  In
    # the background, waited for: a trapped signal interrupts wait, where
    # it would wait for a foreground command to end first.
    LIAISON_TEST_REGISTRY=$STAGE_REG LIAISON_STAGE=$STAGE_MARK \
        timeout -k 30 "$cap" bash -c '"$@"' bounded "$@" &
    STAGE_PID=$!
    wait "$STAGE_PID"
    rc=$?
    STAGE_PID=
    stage_sweep
    if [ "$rc" -eq 124 ] || [ "$rc" -eq 137 ]; then
        echo "   stopped after $cap s: $*" | tee -a "$LOGDIR/timeouts.log"
        rc=124
    fi
    return "$rc"
}

# One named step that passes or fails as a whole, within CAP seconds
# (step -t CAP NAME CMD...; 20 minutes unless given).
step() {
    local cap=1200
    if [ "$1" = -t ]; then cap=$2; shift 2; fi
    local name=$1; shift
    echo "== $name"
    if bounded "$cap" "$@" >"$LOGDIR/$name.log" 2>&1; then
        PASSED=$((PASSED + 1)); echo "   ok"
    else
        FAILED=$((FAILED + 1)); echo "   FAILED (last lines of tests/logs/$name.log:)"
        tail -n 30 "$LOGDIR/$name.log" | sed 's/^/   | /'
    fi
    elapsed
}

# Sourced: the functions only.
[ "${BASH_SOURCE[0]}" != "$0" ] && return 0

cd "$(dirname "$0")/.."
TOP=$(pwd)
LOGDIR="$TOP/tests/logs"
rm -rf "$LOGDIR"; mkdir -p "$LOGDIR"
run_all_traps

echo "== dependencies"
bounded 1800 contrib/install-deps.sh || { elapsed; echo "0 passed, 1 failed"; exit 1; }
elapsed

# Both builds are out of the source tree (build/ and build-asan/), so that
# they can live side by side; the source tree itself stays unconfigured.
if [ -f Makefile ]; then
    echo "the source tree is configured in place; running make distclean first"
    make distclean >/dev/null 2>&1 || true
fi

echo "== build"
rm -rf build; mkdir build
if ! ( autoreconf -fi && cd build && ../configure -q && make -j"$(nproc)" ) >"$LOGDIR/build.log" 2>&1; then
    tail -n 40 "$LOGDIR/build.log"
    elapsed
    echo "0 passed, 1 failed"
    exit 1
fi
if grep -E 'warning:' "$LOGDIR/build.log" >/dev/null; then
    echo "   compiler warnings:"; grep -E 'warning:' "$LOGDIR/build.log" | sed 's/^/   | /'
fi
elapsed

echo "== make check"
bounded 2400 make -C build -j"$(nproc)" check >"$LOGDIR/check.log" 2>&1
rc=$?
sed -n '/^# TOTAL/,/^# ERROR/p' "$LOGDIR/check.log" | sed 's/^/   /'
grep -E '^(FAIL|ERROR):' "$LOGDIR/check.log" | sed 's/^/   /'
FAILED_BEFORE=$FAILED
tally $(find build/tests -name '*.log' ! -name test-suite.log)
check_failed "$rc" check
elapsed

# The README's first command, as a user runs it, its output checked.
echo "== the demo (contrib/demo.sh)"
bounded 900 bash tests/demo-check.sh >"$LOGDIR/demo.log" 2>&1
rc=$?
grep -E '^(FAIL|\[  )' "$LOGDIR/demo.log" | sed 's/^/   /'
FAILED_BEFORE=$FAILED
tally "$LOGDIR/demo.log"
check_failed "$rc" demo
elapsed

echo "== make check, ASan + UBSan build"
rm -rf build-asan; mkdir build-asan
check_asan() {
    cd build-asan && ../configure -q --enable-sanitizers &&
        make -j"$(nproc)" >/dev/null &&
        ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 \
            make -j"$(nproc)" check
}
export -f check_asan
bounded 3000 check_asan >"$LOGDIR/check-asan.log" 2>&1
rc=$?
sed -n '/^# TOTAL/,/^# ERROR/p' "$LOGDIR/check-asan.log" | sed 's/^/   /'
grep -E '^(FAIL|ERROR):|error:' "$LOGDIR/check-asan.log" | head -20 | sed 's/^/   /'
if [ -f build-asan/test-suite.log ]; then
    FAILED_BEFORE=$FAILED
    tally $(find build-asan/tests -name '*.log' ! -name test-suite.log)
    check_failed "$rc" check-asan
else
    echo "   the sanitizer build did not run its tests"; FAILED=$((FAILED + 1))
fi
elapsed

echo "== valgrind"
VG="valgrind -q --leak-check=full --errors-for-leak-kinds=definite --error-exitcode=99 --suppressions=$TOP/tests/valgrind.supp"
for t in build/tests/unit/test_*; do
    case "$t" in *.c|*.h|*.o|*.log|*.trs) continue ;; esac
    [ -x "$t" ] || continue
    step -t 600 "valgrind-$(basename "$t")" env LIAISON_SRCDIR="$TOP" $VG "$t"
done
vgdb=$(mktemp -u /tmp/liaison-vg.XXXXXX.db)
# The functions below run in a child shell under bounded(), so what they
# read is exported.
export TOP LOGDIR VG vgdb
vg_corpus() {
    local f rc
    for f in tests/corpus/*.eml; do
        $VG build/src/liaisonctl -d "$vgdb" -D tests/corpus/directory.json ingest "$f" >/dev/null
        rc=$?
        [ "$rc" -eq 0 ] || { echo "$f: exit $rc"; return 1; }
    done
    $VG build/src/liaisonctl -d "$vgdb" list && $VG build/src/liaisonctl -d "$vgdb" show --json 1 >/dev/null &&
        $VG build/src/liaisonctl -d "$vgdb" publish "$vgdb.site" &&
        rm -rf "$vgdb.site"
}
export -f vg_corpus
step -t 900 "valgrind-liaisonctl-corpus" vg_corpus
# The corpus as an mbox behind a message that is not mail (GMime's parse
# started anew after it), imported, then the database backed up, and
# exported and the export imported again by its From_ lines' dates.
vg_archive() {
    local f rc mbox="$vgdb.mbox"
    printf 'From x Sat Nov 28 09:15:00 2026\nnot mail\n\n' >"$mbox"
    for f in tests/corpus/*.eml; do
        printf 'From archive@lists.ietf.test Sat Nov 28 09:15:00 2026\n' >>"$mbox"
        sed 's/^\(>*From \)/>\1/' "$f" >>"$mbox"
        printf '\n' >>"$mbox"
    done
    $VG build/src/liaisonctl -d "$vgdb.a" -D tests/corpus/directory.json import \
        --close-before 2026-11-25 "$mbox" >/dev/null
    rc=$?
    [ "$rc" -eq 65 ] || { echo "import: exit $rc, wanted 65 (one message not mail)"; return 1; }
    $VG build/src/liaisonctl -d "$vgdb.a" backup "$vgdb.b" || return 1
    $VG build/src/liaisonctl -d "$vgdb.a" export "$vgdb.x" >/dev/null || return 1
    $VG build/src/liaisonctl -d "$vgdb.c" -D tests/corpus/directory.json import \
        --from-line-dates "$vgdb.x" >/dev/null
}
export -f vg_archive
step -t 900 "valgrind-liaisonctl-archive" vg_archive
rm -f "$vgdb" "$vgdb-wal" "$vgdb-shm" "$vgdb.mbox" "$vgdb.a" "$vgdb.a-wal" "$vgdb.a-shm" "$vgdb.b" \
    "$vgdb.x" "$vgdb.c" "$vgdb.c-wal" "$vgdb.c-shm"
# liaisond itself: test-milter.sh (the corpus, SIGHUP, a read-only database
# and a full spool, through a private Postfix) with the daemon under
# valgrind (pf-lib.sh's LIAISOND_WRAPPER).  Each daemon is stopped with
# SIGTERM and exits 99 on a memory error or a definite leak, which fails
# the test; valgrind's reports are shown after it.  --vgdb=no: liaisond
# drops root, and could not remove the gdbserver FIFOs valgrind made in /tmp.
# SWAKS_TIMEOUT: the milter under valgrind can answer slower than swaks's
# default 30 s on a loaded 2-core machine.
vg_daemon() {
    local dir="$LOGDIR/valgrind-liaisond" rc f
    mkdir -p "$dir"
    env LIAISON_SRCDIR="$TOP" LIAISON_BUILDDIR="$TOP/build" SWAKS_TIMEOUT=120 \
        LIAISOND_WRAPPER="$VG --vgdb=no --show-leak-kinds=definite --num-callers=30 --log-file=$dir/liaisond.%p.log" \
        bash tests/postfix/test-milter.sh
    rc=$?
    for f in "$dir"/*.log; do
        [ -s "$f" ] && { echo "== $f"; cat "$f"; }
    done
    return "$rc"
}
export -f vg_daemon
step -t 1200 "valgrind-liaisond-milter" vg_daemon

# clang's static analyzer over the product's code (src/, not the tests):
# any finding fails the step, and its report is kept in tests/logs/.
# A subshell: step() runs its command in this shell, and the steps after
# this one run from the top of the tree.
scan_src() (
    rm -rf build-scan && mkdir build-scan && cd build-scan &&
        scan-build ../configure -q &&
        scan-build --status-bugs -o "$LOGDIR/scan-build" make -j"$(nproc)"
)
if command -v scan-build >/dev/null 2>&1; then
    export -f scan_src
    step -t 900 "scan-build" scan_src
else
    echo "== scan-build"; echo "   skipped: scan-build not found (neither passed nor failed)"
fi

# libFuzzer targets (clang, ASan + UBSan), 60 s each over the seed corpus.
if command -v clang >/dev/null 2>&1; then
    step -t 1200 "fuzz" env FUZZ_SECONDS=60 tests/fuzz/run.sh build-fuzz
else
    echo "== fuzz"; echo "   skipped: clang not found (neither passed nor failed)"
fi

echo "== make distcheck"
step -t 2400 "distcheck" make -C build -j"$(nproc)" distcheck

echo
echo "logs: tests/logs/, build/tests/ and build-asan/tests/"
echo "$PASSED passed, $FAILED failed"
[ "$FAILED" -eq 0 ]
