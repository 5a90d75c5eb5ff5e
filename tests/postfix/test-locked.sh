#!/bin/bash
# tests/postfix/test-locked.sh: the database locked by another process,
# on a real Postfix.  liaisond's threads record through one connection,
# one at a time; this proves that a lock held elsewhere (an admin's
# sqlite3, a stuck cron job) costs each message a bounded wait and a
# temporary failure, never a loss, and that the queue behind it drains:
#
#   - a second process holds the write lock (sqlite3, BEGIN IMMEDIATE,
#     driven through a FIFO) for longer than busy_timeout_ms (1000 here);
#   - 4 intake statements sent at once over 4 SMTP sessions: each client
#     gets 451 4.3.0, liaisond logs a temporary failure for each that says
#     the database was busy or locked, nothing is recorded, nothing is
#     delivered;
#   - busy_timeout_ms bounds each message's whole wait, for its turn at
#     liaisond's connection and then in SQLite: every one of the 4 failures
#     is logged "after N ms" with N at most 1.8 times the timeout (parsing
#     and scheduling are what is added).  Were the turn and SQLite each
#     given the whole timeout, the second message would wait about twice
#     it;
#   - the lock released, the same 4 messages sent again: each accepted,
#     recorded once, and delivered to liaisons@ and its routed recipients.
#
# Needs root (Postfix's master runs as root), postfix, swaks and sqlite3;
# skips (exit 77) without them.  KEEP=1 keeps the run directory.
set -u
. "$(dirname "$0")/../lib.sh"
. "$SRCDIR/tests/postfix/pf-lib.sh"

pf_require swaks
pf_setup locked 10910
pf_conf "busy_timeout_ms = 1000"
if start_liaisond; then ok "liaisond starts"
else fail "liaisond starts" "$(tail -5 "$RUN/liaisond.log")"; exit 1; fi
pf_start

FILES="s01-appendix-a.eml s03-itu-template.eml s04-3gpp-template.eml s12-multi-to-folded.eml"
delivered() { find "$RUN/pf/mail/inbox/new" "$RUN/pf/mail/inbox/cur" -type f 2>/dev/null | wc -l; }

# send_all TAG: the 4 statements at once, one SMTP session each; swaks's
# exit status in SCRATCH/TAG.N.rc and its transcript in SCRATCH/TAG.N.out.
send_all() {
    local tag=$1 i=0 f pids=""
    for f in $FILES; do
        i=$((i + 1))
        ( SWAKS_OUT="$SCRATCH/$tag.$i.out" send "$CORPUS/$f" sender@itu.test liaisons@ietf.test
          echo $? >"$SCRATCH/$tag.$i.rc" ) &
        pids="$pids $!"
    done
    # shellcheck disable=SC2086
    wait $pids
}

# liaisond makes and migrates the database at its first message: one
# before the lock, so that the locker locks a database with its schema.
printf 'From: a@itu.test\nTo: liaisons@ietf.test\nSubject: warm-up\nMessage-ID: <warm.%s@itu.test>\n\nwarm-up\n' $$ >"$RUN/warm.eml"
send "$RUN/warm.eml" a@itu.test liaisons@ietf.test \
    && ok "a first message creates the schema" || fail "warm-up" "$(grep -E '^<' "$SCRATCH/swaks.out" | tail -2)"
"$PF/pf-wait-delivered" "$RUN/pf" 1 30 >/dev/null
rows0=$(sql "SELECT count(*) FROM message")
before=$(delivered)

# ---- another process holds the write lock ----------------------------------
# As liaisond's user: a root sqlite3 could leave root-owned -wal/-shm files.
check "another process holds the write lock" db_lock "$DB" "$RUN_USER"

log0=$(wc -l <"$RUN/liaisond.log")
send_all locked
n451=0
for i in 1 2 3 4; do
    if [ "$(cat "$SCRATCH/locked.$i.rc")" != 0 ] && grep -q "451 4.3.0" "$SCRATCH/locked.$i.out"; then
        n451=$((n451 + 1))
    fi
done
[ "$n451" = 4 ] && ok "locked: all 4 clients got 451 4.3.0" \
    || fail "locked: 451 for each" "$n451 of 4; $(grep -h -E '^<\*\* ' "$SCRATCH"/locked.*.out | head -4)"
tail -n "+$((log0 + 1))" "$RUN/liaisond.log" >"$SCRATCH/locked.log"
nbusy=$(grep -c -E "temporary failure: .*(busy|locked)" "$SCRATCH/locked.log")
[ "$nbusy" = 4 ] && ok "locked: 4 temporary failures logged as busy or locked" \
    || fail "locked: reasons" "$nbusy of 4: $(grep 'temporary failure' "$SCRATCH/locked.log" | head -4)"
# Each failure says how long the message waited in all.  Measured: 1001 to
# 1041 ms when the whole wait is bounded; the defect this guards against
# (the turn and SQLite each given the whole timeout) took 1957 ms.  The
# bound, 1800 ms, leaves a loaded CI machine ~750 ms of scheduling and
# stays ~150 ms under the defect.
waits=$(sed -n 's/.*temporary failure: .*(after \([0-9]*\) ms)$/\1/p' "$SCRATCH/locked.log" | sort -n | tr '\n' ' ')
nwaits=$(echo "$waits" | wc -w)
longest=$(echo "$waits" | awk '{ print $NF }')
if [ "$nwaits" = 4 ] && [ "${longest:-99999}" -le 1800 ]; then
    ok "locked: each message waited at most 1.8 times busy_timeout_ms in all (ms: $waits)"
else
    fail "locked: bounded wait" "waits (ms): '$waits', wanted 4 of at most 1800"
fi

# ---- released: the retries go through, once each ------------------------------
db_unlock
[ "$(sql "SELECT count(*) FROM message")" = "$rows0" ] && ok "locked: nothing recorded" \
    || fail "locked: recorded" "$(sql "SELECT count(*) FROM message") message rows, wanted $rows0"
[ "$(delivered)" = "$before" ] && ok "locked: nothing delivered" \
    || fail "locked: delivered" "$(delivered) files, wanted $before"

send_all retry
nok=0
for i in 1 2 3 4; do [ "$(cat "$SCRATCH/retry.$i.rc")" = 0 ] && nok=$((nok + 1)); done
[ "$nok" = 4 ] && ok "released: all 4 retries accepted" \
    || fail "released: retries" "$nok of 4; $(grep -h -E '^<\*\* ' "$SCRATCH"/retry.*.out | head -4)"
want=$before
for f in $FILES; do
    mid=$(message_id_of "$CORPUS/$f")
    n=$(sql "SELECT count(*) FROM message WHERE message_id = '$mid' AND direction = 'in'")
    sid=$(sql "SELECT coalesce(max(statement), 0) FROM message WHERE message_id = '$mid' AND direction = 'in'")
    [ "$n" = 1 ] && [ "$sid" != 0 ] && ok "$f: recorded once, statement $sid" \
        || fail "$f recorded once" "$n rows, statement $sid"
    want=$((want + $(copies_of "${f%.eml}" | wc -l)))      # routing.json's
done
got=$("$PF/pf-wait-delivered" "$RUN/pf" "$want" 60)
[ "$got" = "$want" ] && ok "released: $((want - before)) copies delivered (liaisons@ and the routed recipients of each)" \
    || fail "released: copies" "$got files, wanted $want"
