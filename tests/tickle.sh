#!/bin/bash
# tests/tickle.sh: liaisonctl tickle on a real SQLite database over
# simulated dates (--now): the schedule the policy promises (14, 7, 3, 1,
# 0 days ahead; weekly once overdue with no stop; For Information never;
# no deadline at 30 days then weekly), one reminder row and one outbox row
# per reminder, the lists left out, a second run on the same day and two
# runs at once queuing nothing twice, cron down for days (the missed
# soon-due reminder made up once, an overdue one after a deadline that
# passed meanwhile, never "due"), --dry-run queuing nothing, an
# answered statement reminded again once reopened or given a new
# deadline, and the summary line.  It prints the schedule one action statement with a
# deadline received, as the tests observed it.
. "$(dirname "$0")/lib.sh"

DB="$SCRATCH/liaison.db"
ctl() { "$CTL" -d "$DB" "$@"; }
# q DB SQL: the query's output.  On an error, the error and this
# subshell's pid (status 1), as count_rows does: a query that failed
# must show, and two that failed must never compare equal.
q() {
    local out
    out=$(sqlite3 "$1" "$2" 2>&1) || { echo "error in $BASHPID: $out"; return 1; }
    [ -z "$out" ] || printf '%s\n' "$out"
}

# The corpus, ingested into a fresh database, as if it had all arrived on
# 2026-11-20 (ingest stamps the real time; the schedule needs a fixed one).
fresh_db() {
    local db=$1 f
    rm -f "$db" "$db"-wal "$db"-shm
    for f in "$CORPUS"/s*.eml; do
        "$CTL" -d "$db" ingest "$f" >/dev/null || { fail "ingest $(basename "$f")" "exit $?"; return 1; }
    done
    q "$db" "UPDATE statement SET received = '2026-11-20T09:00:00Z'"
}

# The statement a corpus file became (by its Message-ID).
sid() {
    local mid
    mid=$(grep -i -m1 '^Message-ID:' "$CORPUS/$2" | sed 's/^[^:]*: *//' | tr -d '\r')
    q "$1" "SELECT id FROM statement WHERE message_id = '$mid'"
}

# "DAY POINT" lines of a statement's reminders, in order.
points() { q "$1" "SELECT day || ' ' || point FROM reminder WHERE statement = $2 ORDER BY day, id"; }

# Every day from $1 to $2 (GNU date).
days() {
    local d=$1
    while [ "$(date -d "$d" +%s)" -le "$(date -d "$2" +%s)" ]; do
        echo "$d"
        d=$(date -d "$d + 1 day" +%F)
    done
}

fresh_db "$DB" || exit 1
S_ACTION=$(sid "$DB" s03-itu-template.eml)          # action, deadline 2027-03-15
S_OLD=$(sid "$DB" s01-appendix-a.eml)               # action, deadline 2027-01-15
S_COMMENT=$(sid "$DB" s02-datatracker-mail.eml)     # comment, deadline 2026-12-20
S_NODL=$(sid "$DB" s04-3gpp-template.eml)           # action, no deadline
S_INFO=$(sid "$DB" s05-html-only.eml)               # information
S_RESP=$(sid "$DB" s07-in-response.eml)             # response, no deadline
check "corpus ingested" test -n "$S_ACTION" -a -n "$S_NODL" -a -n "$S_INFO" -a -n "$S_RESP"
LOOKED=$(q "$DB" "SELECT count(*) FROM statement WHERE state = 'open'")

# --- every day from arrival to the end of April 2027 -------------------------
# On 2027-04-01, before that day's run, statement s01 is closed and a
# response is recorded on s02: their reminders must stop there.
: > "$SCRATCH/runs"
for d in $(days 2026-11-20 2027-04-30); do
    if [ "$d" = 2027-04-01 ]; then
        q "$DB" "UPDATE statement SET state = 'closed', closed = '2027-04-01T08:00:00Z' WHERE id = $S_OLD"
        q "$DB" "UPDATE statement SET replied = '2027-04-01T08:00:00Z' WHERE id = $S_COMMENT"
    fi
    ctl tickle --now "$d" > "$SCRATCH/run-$d" 2>&1 || echo "$d exit $?" >> "$SCRATCH/runs.failed"
    sed "s/^/$d  /" "$SCRATCH/run-$d" >> "$SCRATCH/runs"
done
check "every daily run exits 0" test ! -e "$SCRATCH/runs.failed"

# The observed schedule of the action statement with a deadline (s03).
echo "# schedule observed for statement $S_ACTION (s03, For Action, deadline 2027-03-15, received 2026-11-20):"
grep " statement $S_ACTION: " "$SCRATCH/runs" | sed 's/^/#   /'

want_action="2027-03-01 before-14
2027-03-08 before-7
2027-03-12 before-3
2027-03-14 before-1
2027-03-15 before-0
2027-03-22 overdue-1
2027-03-29 overdue-2
2027-04-05 overdue-3
2027-04-12 overdue-4
2027-04-19 overdue-5
2027-04-26 overdue-6"
got=$(points "$DB" "$S_ACTION")
if [ "$got" = "$want_action" ]; then ok "s03: 14, 7, 3, 1, 0 days ahead, then weekly"
else fail "s03 schedule" "got: $(echo $got)"; fi
check_grep "s03: the 7-day line names who" \
    "^2027-03-08  statement $S_ACTION: due in 7 days \(2027-03-15\): to ccamp-chairs@ietf.test; cc h.tanabe@itu.test, rtg-ads@ietf.test, itu-t-sg15-manager@ietf.test$" \
    "$SCRATCH/runs"
check_grep "s03: due today on the deadline" "^2027-03-15  statement $S_ACTION: due today \(2027-03-15\)" "$SCRATCH/runs"
check_grep "s03: overdue by 21 days" "^2027-04-05  statement $S_ACTION: overdue by 21 days \(2027-03-15\)" "$SCRATCH/runs"

# Overdue with no stop after 14 days: s01's deadline is 2027-01-15; day 7,
# 14, 21 ... 70 all came; day 77 (2027-04-02) did not: it was closed on
# 2027-04-01.
got=$(q "$DB" "SELECT group_concat(point, ' ') FROM (SELECT point FROM reminder WHERE statement = $S_OLD AND kind = 'overdue' ORDER BY id)")
want="overdue-1 overdue-2 overdue-3 overdue-4 overdue-5 overdue-6 overdue-7 overdue-8 overdue-9 overdue-10"
if [ "$got" = "$want" ]; then ok "s01: weekly overdue, day 7, 14, 21 ... 70, no stop after 14"
else fail "s01 overdue" "got: $got"; fi
check "s01: overdue-10 on day 70 (2027-03-26)" test "$(q "$DB" "SELECT day FROM reminder WHERE statement = $S_OLD AND point = 'overdue-10'")" = 2027-03-26
check "s01: nothing after it was closed" test "$(q "$DB" "SELECT count(*) FROM reminder WHERE statement = $S_OLD AND day >= '2027-04-01'")" = 0
check "s02: nothing after the response was recorded" test "$(q "$DB" "SELECT count(*) FROM reminder WHERE statement = $S_COMMENT AND day >= '2027-04-01'")" = 0
# Weekly from its deadline (2026-12-20) up to the response: day 7, 14 ...
# 98 (2027-03-28), the last before 2027-04-01.
want=$(for k in $(seq 1 14); do echo "$(date -d "2026-12-20 + $((7 * k)) days" +%F) overdue-$k"; done)
got=$(q "$DB" "SELECT day || ' ' || point FROM reminder WHERE statement = $S_COMMENT AND kind = 'overdue' ORDER BY day, id")
if [ "$got" = "$want" ]; then ok "s02: weekly up to it, 2026-12-27 to 2027-03-28 (14)"
else fail "s02: weekly up to it" "got: $(echo $got)"; fi

# No deadline: at 30 days, then weekly.
got=$(points "$DB" "$S_NODL" | head -3 | tr '\n' ';')
if [ "$got" = "2026-12-20 no-deadline-1;2026-12-27 no-deadline-2;2027-01-03 no-deadline-3;" ]; then
    ok "s04 (no deadline): day 30, then weekly"
else fail "s04 no-deadline" "got: $got"; fi
check "s04: still going at the end of April" test "$(q "$DB" "SELECT count(*) FROM reminder WHERE statement = $S_NODL AND day >= '2027-04-24'")" = 1

# Never: For Information, and a response without a deadline.
check "s05 (information): never tickled" test "$(q "$DB" "SELECT count(*) FROM reminder WHERE statement = $S_INFO")" = 0
check "s07 (response, no deadline): never tickled" test "$(q "$DB" "SELECT count(*) FROM reminder WHERE statement = $S_RESP")" = 0
check "no information statement tickled" test "$(q "$DB" "SELECT count(*) FROM reminder r JOIN statement s ON s.id = r.statement WHERE s.purpose = 'information'")" = 0

# One outbox row and one event per reminder, to the right people.
R=$(count_rows "$DB" reminder)
check "reminders were queued" test "$R" -gt 50
check "one outbox reminder row per reminder" test "$(q "$DB" "SELECT count(*) FROM outbox WHERE kind = 'reminder'")" = "$R"
check "each reminder points at its own outbox row" test "$(q "$DB" "SELECT count(DISTINCT r.outbox) FROM reminder r JOIN outbox o ON o.id = r.outbox AND o.statement = r.statement AND o.kind = 'reminder'")" = "$R"
check "one 'tickled' event per reminder, by the tickler" test "$(q "$DB" "SELECT count(*) FROM event WHERE what = 'tickled' AND actor = 'tickler'")" = "$R"
check "the event says who" test "$(q "$DB" "SELECT count(*) FROM event WHERE what = 'tickled' AND statement = $S_ACTION AND detail LIKE 'due in 7 days (2027-03-15) to ccamp-chairs@ietf.test; cc h.tanabe@itu.test%point before-7%'")" = 1
check "no reminder goes to a list" test "$(q "$DB" "SELECT count(*) FROM outbox o JOIN recipient p ON p.statement = o.statement AND p.role IN ('list', 'info-list') WHERE o.kind = 'reminder' AND (char(10) || o.rcpts || char(10)) LIKE ('%' || char(10) || p.addr || char(10) || '%')")" = 0
check "the assignee and the other copies are there" test "$(q "$DB" "SELECT count(*) FROM outbox o JOIN reminder r ON r.outbox = o.id WHERE r.statement = $S_ACTION AND o.rcpts = 'ccamp-chairs@ietf.test' || char(10) || 'h.tanabe@itu.test' || char(10) || 'rtg-ads@ietf.test' || char(10) || 'itu-t-sg15-manager@ietf.test'")" = 11
check "each reminder mail is auto-generated" test "$(q "$DB" "SELECT count(*) FROM outbox WHERE kind = 'reminder' AND instr(CAST(raw AS TEXT), 'Auto-Submitted: auto-generated') > 0")" = "$R"

# --- a second run on the same day queues nothing --------------------------------
n=$(q "$DB" "SELECT count(*) FROM reminder WHERE day = '2027-03-15'")
before=$(q "$DB" "SELECT count(*) FROM outbox")
check_exit "second run on 2027-03-15: exit 0" 0 ctl tickle --now 2027-03-15
check "second run: no new outbox row" test "$(q "$DB" "SELECT count(*) FROM outbox")" = "$before"
check_grep "second run: summary says already" \
    "^tickle 2027-03-15: [0-9]+ statements looked at; 0 reminders queued \(due 0, overdue 0, no-deadline 0\); $n already queued earlier$" \
    "$SCRATCH/out"
check_grep "first run's summary on 2027-03-15" \
    "^tickle 2027-03-15: $LOOKED statements looked at; $n reminders queued \(due [0-9]+, overdue [0-9]+, no-deadline [0-9]+\); 0 already queued earlier$" \
    "$SCRATCH/run-2027-03-15"

# --- --dry-run: says who, queues nothing ----------------------------------------
DB2="$SCRATCH/dry.db"
fresh_db "$DB2"
check_exit "dry run: exit 0" 0 "$CTL" -d "$DB2" tickle --now 2027-03-08 --dry-run
check_grep "dry run: prints who" \
    "^statement $S_ACTION: due in 7 days \(2027-03-15\): to ccamp-chairs@ietf.test; cc h.tanabe@itu.test, rtg-ads@ietf.test, itu-t-sg15-manager@ietf.test$" \
    "$SCRATCH/out"
check_grep "dry run: summary" \
    "^tickle 2027-03-08 \(dry run\): $LOOKED statements looked at; [1-9][0-9]* reminders would be queued" "$SCRATCH/out"
planned=$(grep -c '^statement ' "$SCRATCH/out")
check "dry run: no reminder row" test "$(count_rows "$DB2" reminder)" = 0
check "dry run: no outbox reminder" test "$(q "$DB2" "SELECT count(*) FROM outbox WHERE kind = 'reminder'")" = 0
check "dry run: no event" test "$(q "$DB2" "SELECT count(*) FROM event WHERE what = 'tickled'")" = 0

# --- two (eight) runs at once queue each reminder once ------------------------
# Each run waits its turn at the write lock for at most busy_timeout_ms:
# the default 5 s is less than seven runs of an ASan build on a loaded
# machine can hold it, and then a run exits 75.  Their turns are what is
# tested, so no event can stand in for the wait: a bound of 60 s.
printf 'busy_timeout_ms = 60000\n' >"$SCRATCH/par.conf"
for i in 1 2 3 4 5 6 7 8; do
    "$CTL" -c "$SCRATCH/par.conf" -d "$DB2" tickle --now 2027-03-08 > "$SCRATCH/par-$i" 2>&1 &
done
fails=0
for job in $(jobs -p); do wait "$job" || fails=$((fails + 1)); done
if [ "$fails" = 0 ]; then ok "8 runs at once: all exit 0"
else fail "8 runs at once: all exit 0" "$fails did not: $(grep -h 'liaisonctl' "$SCRATCH"/par-* | head -2)"; fi
check "8 runs at once: the dry run's reminders, each queued once" test "$(count_rows "$DB2" reminder)" = "$planned"
check "8 runs at once: one outbox row each" test "$(q "$DB2" "SELECT count(*) FROM outbox WHERE kind = 'reminder'")" = "$planned"
check "8 runs at once: one event each" test "$(q "$DB2" "SELECT count(*) FROM event WHERE what = 'tickled'")" = "$planned"
queued=$(cat "$SCRATCH"/par-* | sed -n 's/^tickle 2027-03-08: .* \([0-9]*\) reminders\{0,1\} queued .*/\1/p' | awk '{ s += $1 } END { print s + 0 }')
already=$(cat "$SCRATCH"/par-* | sed -n 's/.*; \([0-9]*\) already queued earlier$/\1/p' | awk '{ s += $1 } END { print s + 0 }')
check "8 runs at once: the summaries add up (queued once, already 7 times)" \
    test "$queued" = "$planned" -a "$already" = "$((planned * 7))"

# --- a missed day: the nearest point, once, late; no backlog -----------------
DB3="$SCRATCH/missed.db"
fresh_db "$DB3"
"$CTL" -d "$DB3" tickle --now 2027-02-27 >/dev/null
"$CTL" -d "$DB3" tickle --now 2027-03-10 > "$SCRATCH/out"
check_grep "missed 2027-03-01..09: before-7 made up on 03-10 as 'due in 5 days'" \
    "^statement $S_ACTION: due in 5 days \(2027-03-15\)" "$SCRATCH/out"
check "missed days: one reminder for s03, not a backlog" test "$(points "$DB3" "$S_ACTION")" = "2027-03-10 before-7"
"$CTL" -d "$DB3" tickle --now 2027-03-11 >/dev/null
check "the day after: nothing new for s03" test "$(q "$DB3" "SELECT count(*) FROM reminder WHERE statement = $S_ACTION")" = 1
"$CTL" -d "$DB3" tickle --now 2027-03-12 >/dev/null
check "then before-3 on its day" test "$(points "$DB3" "$S_ACTION" | tail -1)" = "2027-03-12 before-3"

# --- cron down for days, and run twice a day ------------------------------------
# s03 (deadline 2027-03-15): cron runs twice each day from 02-25, but not
# on 03-01 .. 03-03, the days s03 entered the reminder window (its "due in
# 14 days" point), nor on 03-15 .. 03-17, the deadline and after.  The
# first run back, 03-04, sends the missed soon-due reminder ("due in 11
# days"); the first after the deadline, 03-18, sends an overdue one
# ("overdue by 3 days"), never "due" for a day gone; each once, judged by
# the reminder rows already written, and the second run of each day
# queues nothing.  The first weekly overdue point, 03-22, is skipped: it
# falls less than tickle_overdue_interval (7) after 03-18's, and two
# "overdue" mails four days apart say nothing new; the next is 03-29.
DB8="$SCRATCH/down.db"
fresh_db "$DB8"
: > "$SCRATCH/down-runs"
: > "$SCRATCH/down-second"
for d in $(days 2027-02-25 2027-03-30); do
    case $d in 2027-03-0[123]|2027-03-1[567]) continue ;; esac
    "$CTL" -d "$DB8" tickle --now "$d" > "$SCRATCH/out" 2>&1 || echo "$d exit $?" >> "$SCRATCH/down-runs"
    sed "s/^/$d  /" "$SCRATCH/out" >> "$SCRATCH/down-runs"
    rows=$(q "$DB8" "SELECT count(*) FROM outbox")
    "$CTL" -d "$DB8" tickle --now "$d" > "$SCRATCH/out" 2>&1 || echo "$d exit $?" >> "$SCRATCH/down-runs"
    sed "s/^/$d  /" "$SCRATCH/out" >> "$SCRATCH/down-second"
    [ "$(q "$DB8" "SELECT count(*) FROM outbox")" = "$rows" ] || echo "$d: second run queued mail" >> "$SCRATCH/down-second"
done
check "cron down: every run exits 0" sh -c '! grep -q " exit " "$1"' _ "$SCRATCH/down-runs"
is "cron down: s03's reminders, the missed ones made up once on the first run back" \
    "2027-03-04 before-14 due;2027-03-08 before-7 due;2027-03-12 before-3 due;2027-03-14 before-1 due;2027-03-18 before-0 overdue;2027-03-29 overdue-2 overdue" \
    "$(q "$DB8" "SELECT group_concat(day || ' ' || point || ' ' || kind, ';') FROM (SELECT day, point, kind FROM reminder WHERE statement = $S_ACTION ORDER BY day, id)")"
is "cron down over the window's start: 'due in 11 days' on the first run back, once" \
    "2027-03-04  statement $S_ACTION: due in 11 days (2027-03-15)" \
    "$(grep "statement $S_ACTION: due in 1[0-4] days" "$SCRATCH/down-runs" | cut -d: -f1-2)"
is "cron down over the deadline: 'overdue by 3 days' on the first run after, once" \
    "2027-03-18  statement $S_ACTION: overdue by 3 days (2027-03-15)" \
    "$(grep "statement $S_ACTION: overdue by [1-6] days" "$SCRATCH/down-runs" | cut -d: -f1-2)"
is "cron down over the deadline: no 'due' line for s03 after its deadline" "" \
    "$(grep "^2027-03-1[5-9].* statement $S_ACTION: due" "$SCRATCH/down-runs")"
is "cron down over the deadline: the mail says overdue" 1 \
    "$(q "$DB8" "SELECT count(*) FROM reminder r JOIN outbox o ON o.id = r.outbox WHERE r.statement = $S_ACTION AND r.day = '2027-03-18' AND instr(CAST(o.raw AS TEXT), 'Subject: [LS $S_ACTION] Overdue by 3 days: ') > 0 AND instr(CAST(o.raw AS TEXT), 'Due in') = 0 AND instr(CAST(o.raw AS TEXT), 'Due today') = 0")"
is "cron down: a second run on the same day queues nothing, prints nothing" "" \
    "$(grep -v "^\([0-9-]*\)  tickle \1: [0-9]* statements looked at; 0 reminders queued (due 0, overdue 0, no-deadline 0); [0-9]* already queued earlier$" "$SCRATCH/down-second")"
check_grep "cron down: the second run on 03-18 counts s03's as already queued" \
    "^2027-03-18  tickle 2027-03-18: .*; [1-9][0-9]* already queued earlier$" "$SCRATCH/down-second"
R8=$(count_rows "$DB8" reminder)
check "cron down: one outbox row per reminder" test "$(q "$DB8" "SELECT count(*) FROM outbox WHERE kind = 'reminder'")" = "$R8"
check "cron down: one 'tickled' event per reminder" test "$(q "$DB8" "SELECT count(*) FROM event WHERE what = 'tickled'")" = "$R8"
# Never to a group's list: not among the envelope's recipients, nor in
# To or Cc (the header block, up to its blank line; the body may quote the
# statement's own To, which names the list).
HDR="substr(CAST(o.raw AS TEXT), 1, instr(CAST(o.raw AS TEXT), char(13, 10, 13, 10)))"
check "cron down: every reminder has a header block" \
    test "$(q "$DB8" "SELECT count(*) FROM outbox o WHERE o.kind = 'reminder' AND instr($HDR, 'Cc: ') > 0")" = "$R8"
is "cron down: no reminder goes to a list, by envelope or header" 0 \
    "$(q "$DB8" "SELECT count(*) FROM outbox o JOIN recipient p ON p.statement = o.statement AND p.role IN ('list', 'info-list') WHERE o.kind = 'reminder' AND (instr(char(10) || lower(o.rcpts) || char(10), char(10) || lower(p.addr) || char(10)) > 0 OR instr(lower($HDR), lower(p.addr)) > 0)")"
check "cron down: s03's lists are known (ccamp, netmod), so the check above had something to find" \
    test "$(q "$DB8" "SELECT count(*) FROM recipient WHERE statement = $S_ACTION AND role IN ('list', 'info-list')")" = 2

# --- a deadline extended by a week: the new "due in 7 days" on its day -------
# s03 is due 2027-03-15: "due in 14 days" on 03-01, "due in 7 days" on
# 03-08; on 03-10 the deadline moves a week, to 03-22.  The old date's
# "due in 7 days" is then exactly 7 days old on 03-15, not less: the new
# date's goes out that day, as "due in 7 days", not a day late as "due
# in 6 days".  The new "due in 14 days" (03-08) is held back: the old one
# was sent less than 14 days before.
DB5="$SCRATCH/week.db"
fresh_db "$DB5"
: > "$SCRATCH/week-runs"
for d in $(days 2027-03-01 2027-03-22); do
    "$CTL" -d "$DB5" tickle --now "$d" > "$SCRATCH/out" 2>&1 || echo "$d exit $?" >> "$SCRATCH/week-runs"
    sed "s/^/$d  /" "$SCRATCH/out" >> "$SCRATCH/week-runs"
    [ "$d" = 2027-03-10 ] && "$CTL" -d "$DB5" deadline "$S_ACTION" 2027-03-22 >/dev/null
done
check "a week's extension: every run exits 0" sh -c '! grep -q " exit " "$1"' _ "$SCRATCH/week-runs"
check_grep "a week's extension: 'due in 7 days' on 03-15 for 03-22" \
    "^2027-03-15  statement $S_ACTION: due in 7 days \(2027-03-22\)" "$SCRATCH/week-runs"
is "a week's extension: 14, 7 days, then 7, 3, 1, 0 days before the new date" \
    "2027-03-01 due;2027-03-08 due;2027-03-15 due;2027-03-19 due;2027-03-21 due;2027-03-22 due" \
    "$(q "$DB5" "SELECT group_concat(day || ' ' || kind, ';') FROM (SELECT day, kind FROM reminder WHERE statement = $S_ACTION ORDER BY day, id)")"

# --- a deadline moved while overdue: no second "overdue by 7 days" -----------
# s03 (deadline 2027-03-15) gets "overdue by 7 days" on 03-22; that day its
# deadline moves by one day, to 03-16, still past.  The new date's first
# overdue point (03-23) came one day after the old date's reminder, and the
# tickler sent "overdue by 7 days" again: the same reminder two days
# running.  A move that leaves a statement overdue brings no overdue
# reminder sooner than the interval (7 days) after the last one: 03-23 is
# skipped, 03-30 ("overdue by 14 days") is the next.  s02 (deadline
# 2026-12-20, overdue weekly, last on 03-21) moved the same day to 04-01,
# after the day: no longer overdue, its reminders start again from the new
# date ("due in 9 days" the next day, the 14-day point made up, then 7, 3,
# 1 and 0 days ahead).
DB7="$SCRATCH/moved-overdue.db"
fresh_db "$DB7"
: > "$SCRATCH/moved-runs"
for d in $(days 2027-03-14 2027-04-06); do
    "$CTL" -d "$DB7" tickle --now "$d" > "$SCRATCH/out" 2>&1 || echo "$d exit $?" >> "$SCRATCH/moved-runs"
    sed "s/^/$d  /" "$SCRATCH/out" >> "$SCRATCH/moved-runs"
    if [ "$d" = 2027-03-22 ]; then
        "$CTL" -d "$DB7" deadline "$S_ACTION" 2027-03-16 >/dev/null
        "$CTL" -d "$DB7" deadline "$S_COMMENT" 2027-04-01 >/dev/null
    fi
done
check "moved while overdue: every run exits 0" sh -c '! grep -q " exit " "$1"' _ "$SCRATCH/moved-runs"
is "moved by a day while overdue: one 'overdue by 7 days'" 1 \
    "$(grep -c "statement $S_ACTION: overdue by 7 days" "$SCRATCH/moved-runs")"
is "moved by a day while overdue: weekly from the last reminder, by the new date" \
    "2027-03-22 overdue 7 (2027-03-15);2027-03-30 overdue 14 (2027-03-16);2027-04-06 overdue 21 (2027-03-16)" \
    "$(grep "statement $S_ACTION: overdue" "$SCRATCH/moved-runs" | sed 's/^\([0-9-]*\) .*: overdue by \([0-9]*\) days \(([0-9-]*)\).*/\1 overdue \2 \3/' | tr '\n' ';' | sed 's/;$//')"
is "moved past the day: reminded again from the new date" \
    "2027-03-21 overdue;2027-03-23 due;2027-03-25 due;2027-03-29 due;2027-03-31 due;2027-04-01 due" \
    "$(q "$DB7" "SELECT group_concat(day || ' ' || kind, ';') FROM (SELECT day, kind FROM reminder WHERE statement = $S_COMMENT AND day >= '2027-03-20' ORDER BY day, id)")"

# --- an answered statement reopened, or given a new deadline, is reminded again ---
# liaisonctl(8), README and the mail command's answer say "the reminders
# start again", but the tickler never reminded an answered statement
# again: an answer recorded before a reopen or a new deadline silenced it
# for good.  An answer recorded after them still ends the reminders.
# s03 (deadline 2027-03-15): "due in 14 days" on 03-01, answered and
# closed on 03-02, reopened on 03-05: "due in 7 days" on 03-08 and "due in
# 3 days" on 03-12; answered again on 03-13: nothing after.
# s01 (deadline 2027-01-15): answered on 2027-01-10 and left open, nothing
# while the answer stands; its deadline moved to 2027-02-15 on 01-20:
# "due in 14 days" on 02-01.
DB6="$SCRATCH/answered.db"
fresh_db "$DB6"
printf 'Dear colleagues,\n\nThe IETF answers.\n' > "$SCRATCH/letter.txt"
: > "$SCRATCH/ans-runs"
for d in $(days 2027-01-08 2027-02-02) $(days 2027-03-01 2027-03-16); do
    case $d in
    2027-01-10) "$CTL" -d "$DB6" reply "$S_OLD" "$SCRATCH/letter.txt" >/dev/null ;;
    2027-01-20) "$CTL" -d "$DB6" deadline "$S_OLD" 2027-02-15 >/dev/null ;;
    2027-03-02) "$CTL" -d "$DB6" reply --close "$S_ACTION" "$SCRATCH/letter.txt" >/dev/null ;;
    2027-03-05) "$CTL" -d "$DB6" reopen "$S_ACTION" >/dev/null ;;
    2027-03-13) "$CTL" -d "$DB6" reply "$S_ACTION" "$SCRATCH/letter.txt" >/dev/null ;;
    esac
    "$CTL" -d "$DB6" tickle --now "$d" > "$SCRATCH/out" 2>&1 || echo "$d exit $?" >> "$SCRATCH/ans-runs"
    sed "s/^/$d  /" "$SCRATCH/out" >> "$SCRATCH/ans-runs"
done
check "answered: every run exits 0" sh -c '! grep -q " exit " "$1"' _ "$SCRATCH/ans-runs"
check "answered: the replies, deadline and reopen were recorded" \
    test "$(q "$DB6" "SELECT count(*) FROM event WHERE what IN ('replied', 'reopened', 'deadline changed')")" = 5
is "answered, closed and reopened: reminded again, until answered again" \
    "2027-03-01 before-14;2027-03-08 before-7;2027-03-12 before-3" \
    "$(points "$DB6" "$S_ACTION" | tr '\n' ';' | sed 's/;$//')"
check_grep "reopened: 'due in 7 days' on 03-08" \
    "^2027-03-08  statement $S_ACTION: due in 7 days \(2027-03-15\)" "$SCRATCH/ans-runs"
is "answered, then a new deadline: reminded for the new date (and overdue after it)" \
    "2027-01-08 before-7;2027-02-01 before-14;2027-03-01 overdue-2" \
    "$(points "$DB6" "$S_OLD" | sed 's/@[0-9]*//' | head -3 | tr '\n' ';' | sed 's/;$//')"
check_grep "a new deadline: 'due in 14 days' on 02-01" \
    "^2027-02-01  statement $S_OLD: due in 14 days \(2027-02-15\)" "$SCRATCH/ans-runs"

# --- the policy comes from the configuration -------------------------------------
printf 'tickle_before = 10\ntickle_overdue_interval = 3\nbusy_timeout_ms = 300\n' > "$SCRATCH/t.conf"
DB4="$SCRATCH/conf.db"
fresh_db "$DB4"
"$CTL" -c "$SCRATCH/t.conf" -d "$DB4" tickle --now 2027-03-05 >/dev/null
"$CTL" -c "$SCRATCH/t.conf" -d "$DB4" tickle --now 2027-03-08 >/dev/null
"$CTL" -c "$SCRATCH/t.conf" -d "$DB4" tickle --now 2027-03-18 >/dev/null
check "tickle_before = 10, interval 3: before-10 then overdue-1" \
    test "$(points "$DB4" "$S_ACTION" | tr '\n' ';')" = "2027-03-05 before-10;2027-03-18 overdue-1;"
printf 'tickle_before = 10;7\n' > "$SCRATCH/bad.conf"
check_exit "a bad tickle_before: 78" 78 "$CTL" -c "$SCRATCH/bad.conf" -d "$DB4" tickle --now 2027-03-05

# --- usage and failures -----------------------------------------------------------
check_exit "--now not a day: 64" 64 ctl tickle --now 2027-02-30
check_grep "--now not a day: says so" 'not a day' "$SCRATCH/err"
check_exit "--now in another layout: 64" 64 ctl tickle --now 15/03/2027
check_exit "a stray argument: 64" 64 ctl tickle 2027-03-15
check_exit "no database: 66" 66 "$CTL" -d "$SCRATCH/no/such/dir/l.db" tickle --now 2027-03-15
check_grep "no database: says so" "no database at $SCRATCH/no/such/dir/l.db" "$SCRATCH/err"
outbox_before=$(q "$DB4" "SELECT count(*) FROM outbox")
check "another process holds the write lock" db_lock "$DB4"
check_exit "locked database: 75" 75 "$CTL" -c "$SCRATCH/t.conf" -d "$DB4" tickle --now 2027-03-25
check_grep "locked database: reason logged" "lock|busy" "$SCRATCH/err"
db_unlock
check "locked database: nothing queued" test "$(q "$DB4" "SELECT count(*) FROM outbox")" = "$outbox_before"
check_exit "after the lock: 0" 0 "$CTL" -c "$SCRATCH/t.conf" -d "$DB4" tickle --now 2027-03-25
check_exit "help tickle" 0 "$CTL" help tickle
check_grep "help tickle: usage" "tickle \[--now YYYY-MM-DD\] \[--dry-run\]" "$SCRATCH/out"
