# tests/lib.sh: what the shell tests share: where the programs are, a
# scratch directory removed on exit, and checks that count and report in
# the same closing format as cmocka ("[  PASSED  ] N test(s).").
set -u
# The source tree: LIAISON_SRCDIR (make check sets it), else the one this
# file is in, at whatever depth the test that sources it lives; exported
# for the helpers a test runs.
SRCDIR=${LIAISON_SRCDIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}
export LIAISON_SRCDIR=$SRCDIR
BUILDDIR=${LIAISON_BUILDDIR:-$SRCDIR}
CTL="$BUILDDIR/src/liaisonctl"
CORPUS="$SRCDIR/tests/corpus"
# How many messages the corpus holds, and how many of them its
# expected.json says become statements: the counts a test of the whole
# corpus asserts, so that a message added to it needs no test edited.
CORPUS_MESSAGES=$(ls "$CORPUS"/s*.eml | wc -l)
CORPUS_STATEMENTS=$(grep -c '"kind": *"statement"' "$CORPUS/expected.json")
export LIAISON_DIRECTORY="$CORPUS/directory.json"
T_PASS=0
T_FAIL=0
T_CLEANUP=""
SCRATCH=$(mktemp -d "${TMPDIR:-/tmp}/liaison-test.XXXXXX")

# Run on exit: the test's own cleanups, then the scratch directory; the
# script's exit status is 1 when any check failed (an EXIT trap must say
# so with exit: its last command's status is otherwise ignored).
t_exit() {
    local rc=$?
    eval "$T_CLEANUP"
    rm -rf "$SCRATCH"
    if [ "$T_FAIL" -gt 0 ]; then
        echo "[  FAILED  ] $T_FAIL test(s)."
        rc=1
    fi
    echo "[  PASSED  ] $T_PASS test(s)."
    exit "$rc"
}
trap 't_exit' EXIT

# Register a shell command to run at exit (unmounts, killed daemons).
t_cleanup() { T_CLEANUP="$1; $T_CLEANUP"; }

# t_register_pid PID: record a daemon the test started in the registry of
# the run-all.sh stage it runs in (LIAISON_TEST_REGISTRY; nothing outside
# run-all), "pid PID START" with the process's start time from /proc, so
# that the stage's clean-up stops it even when this test's own EXIT trap
# never runs (the stage killed) and never kills a later process that got
# the same pid.  pf-start records its instances there the same way.
t_register_pid() {
    local line f
    [ -n "${LIAISON_TEST_REGISTRY:-}" ] || return 0
    { read -r line <"/proc/$1/stat"; } 2>/dev/null || return 0
    read -r -a f <<<"${line##*) }"
    echo "pid $1 ${f[19]}" >>"$LIAISON_TEST_REGISTRY"
}

# relay_conf FILE PORT [LINE...]: a liaisonctl configuration for mail out
# through a relay on 127.0.0.1:PORT, with the database $DB, the corpus
# directory and the tool's addresses under .test, and extra lines.
relay_conf() {
    local file=$1 port=$2 line; shift 2
    {
        echo "intake = liaisons@ietf.test"
        echo "database = $DB"
        echo "directory = $CORPUS/directory.json"
        echo "mail_from = liaisons@ietf.test"
        echo "hostname = lt.ietf.test"
        echo "base_url = https://datatracker.ietf.test/liaison/"
        echo "relay_host = 127.0.0.1"
        echo "relay_port = $port"
        for line in "$@"; do echo "$line"; done
    } >"$file"
}

# db_lock DB [USER]: another process, sqlite3 (run as USER when given),
# takes DB's write lock and holds it until db_unlock.  Returns 0 once it
# has it, which it says through a FIFO: no fixed sleep that a loaded
# machine could turn into a race.  One lock at a time.
# free_port BASE: the first port from BASE to BASE+99 where nothing
# listens on 127.0.0.1, printed; 1 when there is none.
free_port() {
    local p
    for p in $(seq "$1" $(($1 + 99))); do
        if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then echo "$p"; return 0; fi
    done
    return 1
}

# await_listen PID PORT: 0 once something listens on 127.0.0.1:PORT (a
# bare connection is all it makes, so a smtp-sink dumps nothing for it);
# 1 when process PID ends first or it never does.  The listening is the
# event; the bound (60 s) only ends a wait for a server that hangs: 10 s
# was less than a server started 12 s late on a loaded machine needed.
await_listen() {
    for _ in $(seq 1 600); do
        kill -0 "$1" 2>/dev/null || return 1
        (exec 3<>"/dev/tcp/127.0.0.1/$2") 2>/dev/null && return 0
        sleep 0.1
    done
    return 1
}

db_lock() {
    local db=$1 user=${2:-}
    rm -f "$SCRATCH/lockfifo"
    mkfifo "$SCRATCH/lockfifo"
    # -bail: if BEGIN IMMEDIATE fails, sqlite3 stops before saying
    # "locked", so a lock not held is never reported as held.
    if [ -n "$user" ]; then
        runuser -u "$user" -- sqlite3 -bail -cmd '.timeout 10000' "$db" \
            <"$SCRATCH/lockfifo" >"$SCRATCH/locker.out" 2>&1 &
    else
        sqlite3 -bail -cmd '.timeout 10000' "$db" <"$SCRATCH/lockfifo" >"$SCRATCH/locker.out" 2>&1 &
    fi
    T_LOCKER=$!
    exec 7>"$SCRATCH/lockfifo"
    t_cleanup "exec 7>&- 2>/dev/null; kill $T_LOCKER 2>/dev/null"
    printf "BEGIN IMMEDIATE;\nSELECT 'locked';\n" >&7
    for _ in $(seq 1 200); do
        grep -qx locked "$SCRATCH/locker.out" 2>/dev/null && return 0
        kill -0 "$T_LOCKER" 2>/dev/null || return 1
        sleep 0.1
    done
    return 1
}

# db_unlock: the process of db_lock lets go (nothing written) and ends.
db_unlock() {
    printf "ROLLBACK;\n.quit\n" >&7
    exec 7>&-
    wait "$T_LOCKER" 2>/dev/null
}

# ok NAME: record a pass.   fail NAME WHY: record a failure.
ok()   { T_PASS=$((T_PASS + 1)); echo "ok   - $1"; }
fail() { T_FAIL=$((T_FAIL + 1)); echo "FAIL - $1: $2"; }

# check NAME COMMAND...: pass when the command succeeds.
check() {
    local name=$1; shift
    if "$@" >/dev/null; then ok "$name"; else fail "$name" "command failed: $*"; fi
}

# check_exit NAME CODE COMMAND...: pass when the command exits with CODE.
check_exit() {
    local name=$1 want=$2 got; shift 2
    "$@" >"$SCRATCH/out" 2>"$SCRATCH/err"; got=$?
    if [ "$got" -eq "$want" ]; then ok "$name"
    else fail "$name" "exit $got, wanted $want; stderr: $(head -c 300 "$SCRATCH/err")"; fi
}

# check_grep NAME PATTERN FILE: pass when FILE has a line matching PATTERN.
check_grep() {
    if grep -Eq -- "$2" "$3"; then ok "$1"
    else fail "$1" "no line matching /$2/ in $3: $(head -c 300 "$3")"; fi
}

# is NAME WANT GOT: pass when the value GOT is WANT.
is() { if [ "$3" = "$2" ]; then ok "$1"; else fail "$1" "got '$3', wanted '$2'"; fi; }

# has NAME PATTERN TEXT: pass when TEXT has a line matching PATTERN.
has() {
    if printf '%s\n' "$3" | grep -Eq -- "$2"; then ok "$1"
    else fail "$1" "no /$2/ in: $(printf '%s' "$3" | head -c 300)"; fi
}

# count_rows DB TABLE: the rows of TABLE, with the sqlite3 CLI.  On an
# error, the error and this subshell's pid, so that two failed counts
# never compare equal (a "nothing written" check must not pass on them).
count_rows() {
    local n
    n=$(sqlite3 "$1" "SELECT count(*) FROM $2" 2>&1) || n="error in $BASHPID: $n"
    echo "$n"
}

# mbox_add MBOX FILE [SENDER]: FILE appended to MBOX as an mboxrd writer
# does: a From_ line, every line of '>'s and "From " given one '>' more,
# a blank line after.
mbox_add() {
    printf 'From %s Sat Nov 28 09:15:00 2026\n' "${3:-archive@lists.ietf.test}" >>"$1"
    sed 's/^\(>*From \)/>\1/' "$2" >>"$1"
    printf '\n' >>"$1"
}

# quoting_statement FILE: a statement whose body has lines an mbox must
# quote ("From ", ">From ", ">>From "), dated 2026-10-01.
quoting_statement() {
    cat >"$1" <<'EOF'
From: Greta Jonsson <greta.jonsson@itu.test>
To: liaisons@ietf.test
Subject: LS on quoting in archives
Date: Thu, 01 Oct 2026 08:00:00 +0000
Message-ID: <q-1@itu.test>

Title: LS on quoting in archives
From: ITU-T Study Group 15
To: IETF CCAMP WG
Purpose: For information

From the start of a line, as some letters begin.
>From a line a mailer quoted once already.
>>From a line quoted twice.
EOF
}
