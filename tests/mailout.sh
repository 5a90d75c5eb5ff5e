#!/bin/bash
# tests/mailout.sh: the mail the tool sends, delivered through a real
# relay: a private Postfix (tests/postfix/pf-start) on 127.0.0.1 that
# delivers every recipient to files, and smtp-sink where a relay must be
# slow.
#
# Queues mail the way ingest and the tickler do (liaisonctl ingest, and
# the helper tests/mailout/mailout-queue when ingest queued nothing), then
# runs liaisonctl flush and asserts: who received which copy, the headers
# (threading, loop, Auto-Submitted, VERP envelope sender per recipient);
# a second flush sends nothing; the relay down (deferred, kept, sent
# later); the relay answering 5xx for some recipients and for all (refused
# ones recorded, reported to the liaison manager, a failed report never
# reported); and the exactly-once window: the sender killed before the
# relay answered the DATA (sent once, later) and after it accepted and
# before the database recorded it (LIAISON_TEST_CRASH_AFTER_DATA: one
# extra copy, same Message-ID); the claim lost mid-row; and the database
# locked when the relay accepts (waited out, recorded, never sent again).
#
# Needs root, postfix (with smtp-sink) and sqlite3; skips (77) without.
# KEEP=1 keeps the run directory.
set -u
. "$(dirname "$0")/lib.sh"

PF="$SRCDIR/tests/postfix"
QUEUE="$BUILDDIR/tests/mailout/mailout-queue"
PATH=$PATH:/usr/sbin:/sbin

for tool in postfix smtp-sink sqlite3; do
    if ! command -v $tool >/dev/null; then
        echo "SKIP: $tool not installed"; trap - EXIT; rm -rf "$SCRATCH"; exit 77
    fi
done
if [ "$(id -u)" != 0 ]; then
    echo "SKIP: needs root to run a private Postfix"; trap - EXIT; rm -rf "$SCRATCH"; exit 77
fi

# Under /tmp, which the postfix user can traverse wherever the build is.
RUN=$(mktemp -d /tmp/liaison-mailout.XXXXXX)
rm -rf "$RUN"
mkdir -p "$RUN"
chmod 755 "$RUN"
DB="$RUN/liaison.db"
INBOX="$RUN/pf/mail/inbox"

# Free ports on 127.0.0.1 from 10200 upwards (lib.sh's free_port): the
# Postfix relay, a port where nothing listens (relay down), and smtp-sink's.
PORT=$(free_port 10200) || { fail "free port" "none"; exit 1; }
DOWN=$(free_port $((PORT + 1)))
SINK=$(free_port $((DOWN + 1)))

relay_conf "$RUN/liaisond.conf" "$PORT"
export LIAISON_CONF="$RUN/liaisond.conf"
LCTL="$CTL -c $LIAISON_CONF"

cleanup() {
    [ -n "${SINKPID:-}" ] && kill "$SINKPID" 2>/dev/null
    "$PF/pf-stop" "$RUN/pf" >/dev/null 2>&1
    if [ "${KEEP:-0}" = 1 ]; then echo "kept $RUN"; else rm -rf "$RUN"; fi
}
t_cleanup cleanup

if ! "$PF/pf-start" "$RUN/pf" "$PORT" none >"$RUN/pf-start.log" 2>&1; then
    fail "pf-start" "$(cat "$RUN/pf-start.log")"; exit 1
fi
ok "private Postfix on 127.0.0.1:$PORT"

sql() { sqlite3 -cmd '.timeout 5000' "$DB" "$1"; }
copies() { find "$INBOX/new" "$INBOX/cur" -type f 2>/dev/null | wc -l; }
# Files holding the message with this Message-ID.
files_of() { grep -lsiF "Message-Id: $1" "$INBOX"/new/* "$INBOX"/cur/* 2>/dev/null; }
# Recipients (Delivered-To) of the copies of a Message-ID, sorted, one a line.
who_got() {
    local f
    for f in $(files_of "$1"); do sed -n 's/^Delivered-To: //p' "$f" | head -n 1; done | sort
}
later() { date -u -d "+$1 min" +%Y-%m-%dT%H:%M:%SZ; }
# The flush summary line's counts, "S D F".
flush() { $LCTL flush "$@" 2>>"$RUN/flush.log" | sed -n 's/^sent \([0-9]*\), deferred \([0-9]*\), failed \([0-9]*\)$/\1 \2 \3/p'; }
expect_flush() {
    local name=$1 want=$2 got; shift 2
    got=$(flush "$@")
    if [ "$got" = "$want" ]; then ok "$name"; else fail "$name" "flush gave '$got', wanted '$want'"; fi
}
expect_eq() { if [ "$2" = "$3" ]; then ok "$1"; else fail "$1" "got '$2', wanted '$3'"; fi; }

# Queue KIND for statement ID unless ingest already did.
queue_if_missing() {
    local id=$1 kind=$2
    if [ "$(sql "SELECT count(*) FROM outbox WHERE statement=$id AND kind='$kind'")" = 0 ]; then
        "$QUEUE" "$DB" "$id" "$kind" >/dev/null
    fi
}

# ---- 1. notification and acknowledgement through the relay --------------
$LCTL ingest "$CORPUS/s03-itu-template.eml" >/dev/null
queue_if_missing 1 notification
queue_if_missing 1 acknowledgement
NOTE=$(sql "SELECT message_id FROM outbox WHERE statement=1 AND kind='notification'")
ACK=$(sql "SELECT message_id FROM outbox WHERE statement=1 AND kind='acknowledgement'")
expect_eq "queued: an event per mail" \
    "$(sql "SELECT count(*) FROM event WHERE statement=1 AND what IN ('queued notification','queued acknowledgement')")" 2
expect_flush "flush sends both" "2 0 0"
"$PF/pf-wait-delivered" "$RUN/pf" 7 30 >/dev/null
expect_eq "notification: who received it" "$(who_got "$NOTE" | tr '\n' ' ')" \
    "ccamp-chairs@ietf.test ccamp@ietf.test h.tanabe@itu.test itu-t-sg15-manager@ietf.test netmod@ietf.test rtg-ads@ietf.test "
expect_eq "acknowledgement: who received it" "$(who_got "$ACK" | tr '\n' ' ')" "tsbsg15@itu.test "
# Through xargs -r: with no file of it, grep is not run (given no file,
# grep would read its stdin, the test's, and hang).
F=$(files_of "$NOTE" | xargs -r -d '\n' grep -lx 'Delivered-To: ccamp-chairs@ietf.test' | head -n 1)
check_grep "notification: To the assignee" '^To: ccamp-chairs@ietf.test' "$F"
check_grep "notification: Cc the others" '^Cc: h.tanabe@itu.test, rtg-ads@ietf.test, itu-t-sg15-manager@ietf.test' "$F"
check_grep "notification: subject" '^Subject: \[LS 1\] For action, by 2027-03-15: LS on YANG models' "$F"
check_grep "notification: threaded on the statement" '^In-Reply-To: <t25-sg15-ls123@itu.test>' "$F"
check_grep "notification: References" '^References: <t25-sg15-ls123@itu.test>' "$F"
check_grep "notification: Auto-Submitted" '^Auto-Submitted: auto-generated' "$F"
check_grep "notification: loop header" '^X-Liaison-Loop: lt.ietf.test' "$F"
check_grep "notification: tracking header" '^X-Liaison-ID: 1' "$F"
check_grep "notification: reply-by line" 'Please reply by 2027-03-15' "$F"
check_grep "notification: the page" 'https://datatracker.ietf.test/liaison/1' "$F"
ROW=$(sql "SELECT id FROM outbox WHERE message_id='$NOTE'")
# HMAC-SHA256 keyed with the database's secret, over "ROW:rcpt".
SECRET=$(sql "SELECT value FROM meta WHERE key = 'secret'")
HASH=$(python3 -c 'import hmac, hashlib, sys; print(hmac.new(sys.argv[1].encode(), sys.argv[2].encode(), hashlib.sha256).hexdigest()[:12])' \
    "$SECRET" "$ROW:ccamp-chairs@ietf.test")
check_grep "VERP sender names row and recipient" "^Return-Path: <liaisons\\+b\\.$ROW\\.$HASH@ietf\\.test>" "$F"
FA=$(files_of "$ACK")
# Each recipient of a notification gets a Reply-To of its own, which
# commands by mail need: HMAC-SHA256 over "c:STATEMENT:rcpt".
token() {
    python3 -c 'import hmac, hashlib, sys; print(hmac.new(sys.argv[1].encode(), sys.argv[2].encode(), hashlib.sha256).hexdigest()[:12])' \
        "$SECRET" "c:1:$1"
}
check_grep "notification: the assignee's own reply address" \
    "^Reply-To: liaisons\\+c\\.1\\.$(token ccamp-chairs@ietf.test)@ietf\\.test" "$F"
FT=$(files_of "$NOTE" | xargs -r -d '\n' grep -lx 'Delivered-To: h.tanabe@itu.test' | head -n 1)
check_grep "notification: a copied contact's own reply address" \
    "^Reply-To: liaisons\\+c\\.1\\.$(token h.tanabe@itu.test)@ietf\\.test" "$FT"
check_grep "acknowledgement: Reply-To is intake" '^Reply-To: liaisons@ietf.test' "$FA"
check_grep "acknowledgement: the tracking id" 'Tracking id: LS 1 ' "$FA"
expect_eq "rows marked sent" "$(sql "SELECT count(*) FROM outbox WHERE sent IS NOT NULL AND attempts=1")" 2
expect_flush "a second flush sends nothing" "0 0 0"
# Not a fixed second: until Postfix's queue stays empty, so that a copy
# too many, if one was sent, is there to count.
"$PF/pf-wait-delivered" "$RUN/pf" empty 60 >/dev/null
expect_eq "still 7 copies" "$(copies)" 7

# An informal statement with only a Word file: the acknowledgement asks
# for what is missing.
$LCTL ingest "$CORPUS/s08-informal-word-only.eml" >/dev/null
queue_if_missing 2 acknowledgement
sql "DELETE FROM outbox WHERE statement=2 AND kind<>'acknowledgement'" 2>/dev/null
A8=$(sql "SELECT message_id FROM outbox WHERE statement=2 AND kind='acknowledgement'")
BEFORE=$(copies)
expect_flush "s08: acknowledgement sent" "1 0 0"
"$PF/pf-wait-delivered" "$RUN/pf" $((BEFORE + 1)) 30 >/dev/null
tr '\n' ' ' < "$(files_of "$A8" | head -n 1)" | tr -s ' ' > "$RUN/ack8.txt"
check_grep "acknowledgement: asks for a PDF beside the Word file" 'please send a PDF beside the Word file' "$RUN/ack8.txt"
check_grep "acknowledgement: tracking id" 'Tracking id: LS 2' "$RUN/ack8.txt"

# ---- 2. the relay down: deferred, kept, sent later ----------------------
"$QUEUE" "$DB" 1 reminder 7 >/dev/null
REM=$(sql "SELECT message_id FROM outbox WHERE kind='reminder'")
expect_flush "relay down: deferred" "0 1 0" --relay "127.0.0.1:$DOWN"
expect_eq "relay down: kept, one attempt, error recorded" \
    "$(sql "SELECT sent IS NULL, failed IS NULL, attempts, last_error LIKE '%refused%' FROM outbox WHERE kind='reminder'")" "1|1|1|1"
expect_flush "not due again at once" "0 0 0"
expect_flush "relay back, a minute later: sent" "1 0 0" --now "$(later 2)"
"$PF/pf-wait-delivered" "$RUN/pf" 12 30 >/dev/null
expect_eq "reminder: assignee and copies, no list" "$(who_got "$REM" | tr '\n' ' ')" \
    "ccamp-chairs@ietf.test h.tanabe@itu.test itu-t-sg15-manager@ietf.test rtg-ads@ietf.test "

# pf_reload: postfix reload, then wait until the master has logged it
# (at most 30 s): the reload is asynchronous, and a fixed wait can be too
# short on a loaded machine.
pf_reload() {
    local n deadline
    n=$(grep -c 'reload -- version' "$RUN/pf/maillog")
    postfix -c "$RUN/pf/etc" reload >/dev/null 2>&1
    deadline=$(($(date +%s) + 30))
    until [ "$(grep -c 'reload -- version' "$RUN/pf/maillog")" -gt "$n" ]; do
        if [ "$(date +%s)" -ge "$deadline" ]; then
            fail "postfix reload" "not in $RUN/pf/maillog after 30 s"; return 1
        fi
        sleep 0.1
    done
}

# ---- 3. the relay answering 5xx ----------------------------------------
postconf -c "$RUN/pf/etc" -e \
    'smtpd_recipient_restrictions = check_recipient_access inline:{ {netmod@ietf.test = 550 5.1.1 no such list}, {tsbsg15@itu.test = 550 5.1.1 no such user} }, permit_mynetworks, reject'
pf_reload
"$QUEUE" "$DB" 1 notification >/dev/null
"$QUEUE" "$DB" 1 acknowledgement >/dev/null
N2=$(sql "SELECT message_id FROM outbox WHERE kind='notification' ORDER BY id DESC LIMIT 1")
A2=$(sql "SELECT message_id FROM outbox WHERE kind='acknowledgement' ORDER BY id DESC LIMIT 1")
BEFORE=$(copies)
expect_flush "5xx: partial notification sent, acknowledgement failed" "1 0 1"
expect_eq "5xx: refused recipient recorded" \
    "$(sql "SELECT rejected, sent IS NOT NULL FROM outbox WHERE message_id='$N2'")" "netmod@ietf.test
|1"
expect_eq "5xx: acknowledgement failed with the answer" \
    "$(sql "SELECT failed IS NOT NULL, last_error LIKE '%550 5.1.1%' FROM outbox WHERE message_id='$A2'")" "1|1"
expect_eq "5xx: events recorded" \
    "$(sql "SELECT count(*) FROM event WHERE what IN ('mail partly refused','mail failed') AND detail LIKE '%550%'")" 2
expect_eq "5xx: two reports queued to the liaison manager" \
    "$(sql "SELECT count(*) FROM outbox WHERE kind='report' AND rcpts='itu-t-sg15-manager@ietf.test' AND sent IS NULL")" 2
expect_flush "reports delivered" "2 0 0"
"$PF/pf-wait-delivered" "$RUN/pf" $((BEFORE + 5 + 2)) 30 >/dev/null
expect_eq "5xx: the others got the notification" "$(who_got "$N2" | tr '\n' ' ')" \
    "ccamp-chairs@ietf.test ccamp@ietf.test h.tanabe@itu.test itu-t-sg15-manager@ietf.test rtg-ads@ietf.test "
R=$(grep -l '^Subject: \[LS 1\] Undeliverable mail' "$INBOX"/new/* | head -n 1)
check_grep "report names the refused address" 'netmod@ietf.test|tsbsg15@itu.test' "${R:-/dev/null}"
"$QUEUE" "$DB" 1 report tsbsg15@itu.test >/dev/null
expect_flush "a failed report" "0 0 1"
expect_eq "a failed report is not reported" "$(sql "SELECT count(*) FROM outbox WHERE kind='report'")" 3
postconf -c "$RUN/pf/etc" -e 'smtpd_recipient_restrictions = permit_mynetworks, reject'

# A 5xx to MAIL FROM refuses the sender, not a recipient: deferred (the
# relay's settings are to be mended), then sent once they are.
postconf -c "$RUN/pf/etc" -e 'smtpd_delay_reject = no' 'smtpd_sender_restrictions = reject'
pf_reload
"$QUEUE" "$DB" 1 acknowledgement >/dev/null
A3=$(sql "SELECT message_id FROM outbox WHERE kind='acknowledgement' ORDER BY id DESC LIMIT 1")
expect_flush "5xx to MAIL FROM: deferred, not failed" "0 1 0"
expect_eq "5xx to MAIL FROM: the row waits, with the answer" \
    "$(sql "SELECT sent IS NULL, failed IS NULL, rejected = '', last_error LIKE '%MAIL FROM%554%' FROM outbox WHERE message_id='$A3'")" "1|1|1|1"

# liaisonctl queue, with rows in every state now: N2 sent with one
# recipient refused, A2 given up, A3 deferred with the relay's answer, and
# a notification queued now and not tried.
"$QUEUE" "$DB" 1 notification >/dev/null
Q=$(sql "SELECT id FROM outbox ORDER BY id DESC LIMIT 1")
A3ID=$(sql "SELECT id FROM outbox WHERE message_id='$A3'")
A2ID=$(sql "SELECT id FROM outbox WHERE message_id='$A2'")
N2ID=$(sql "SELECT id FROM outbox WHERE message_id='$N2'")
$LCTL queue --all --json >"$RUN/queue.json" 2>>"$RUN/flush.log"
# row ID JQ: JQ applied to row ID of queue.json.
row() { jq -r --argjson id "$1" ".[] | select(.id == \$id) | $2" "$RUN/queue.json"; }
expect_eq "queue --json: the partly refused notification, sent" \
    "$(row "$N2ID" '"\(.state) \(.kind) LS \(.statement) next_try=\(.next_try) \(.rejected | join(" ")) \(.delivered | length) of \(.rcpts | length)"')" \
    "sent notification LS 1 next_try=null netmod@ietf.test 5 of 6"
expect_eq "queue --json: the refused acknowledgement, given up with the answer" \
    "$(row "$A2ID" '"\(.state) \(.failed != null) next_try=\(.next_try) \(.last_error | test("550 5.1.1"))"')" \
    "given up true next_try=null true"
expect_eq "queue --json: the acknowledgement the relay's MAIL FROM refused, deferred" \
    "$(row "$A3ID" '"\(.state) attempts=\(.attempts) \(.next_try) \(.sent) \(.failed) \(.last_error | test("554"))"')" \
    "deferred attempts=1 $(sql "SELECT next_try FROM outbox WHERE id = $A3ID") null null true"
expect_eq "queue --json: the notification just queued" \
    "$(row "$Q" '"\(.state) attempts=\(.attempts) \(.next_try) \(.last_error)"')" \
    "queued attempts=0 $(sql "SELECT next_try FROM outbox WHERE id = $Q") null"
$LCTL queue >"$RUN/queue.txt" 2>>"$RUN/flush.log"
expect_eq "queue: the rows not sent, oldest first" \
    "$(awk '$1 ~ /^[0-9]+$/ { print $1 }' "$RUN/queue.txt")" "$(sql "SELECT id FROM outbox WHERE sent IS NULL ORDER BY id")"
expect_eq "queue: the deferred acknowledgement, its next try, then the relay's answer" \
    "$(grep -A1 "^$A3ID " "$RUN/queue.txt" | sed -n '1s/.*  \(deferred  [0-9-]* [0-9:]*\)  .*/\1/p; 2s/^ *last error: .*554.*/answer/p' | tr '\n' ' ')" \
    "deferred  $(sql "SELECT replace(substr(next_try, 1, 16), 'T', ' ') FROM outbox WHERE id = $A3ID") answer "
expect_eq "queue: the given-up one and the new one" \
    "$(grep -oE "^($A2ID|$Q) .*(given up|queued)" "$RUN/queue.txt" | grep -oE '(given up|queued)$' | tr '\n' ,)" "given up,queued,"
expect_eq "queue: the counts" "$(tail -n 1 "$RUN/queue.txt")" \
    "($(sql "SELECT count(*) FROM outbox WHERE sent IS NULL AND failed IS NULL AND attempts = 0") queued, $(sql "SELECT count(*) FROM outbox WHERE sent IS NULL AND failed IS NULL AND attempts > 0") deferred, $(sql "SELECT count(*) FROM outbox WHERE failed IS NOT NULL") given up)"
$LCTL queue --all >"$RUN/queue-all.txt" 2>>"$RUN/flush.log"
expect_eq "queue --all: every row, and how many were sent" \
    "$(awk '$1 ~ /^[0-9]+$/ { n++ } END { print n }' "$RUN/queue-all.txt") $(tail -n 1 "$RUN/queue-all.txt" | grep -oE '[0-9]+ sent\)$')" \
    "$(sql "SELECT count(*) FROM outbox") $(sql "SELECT count(*) FROM outbox WHERE sent IS NOT NULL") sent)"
# The notification queued for the listing is not delivered: what follows
# counts the acknowledgement alone.
sql "UPDATE outbox SET sent = '2000-01-01T00:00:00Z' WHERE id = $Q"
postconf -c "$RUN/pf/etc" -e 'smtpd_delay_reject = yes' 'smtpd_sender_restrictions ='
pf_reload
expect_flush "sender accepted again, a minute later: sent" "1 0 0" --now "$(later 2)"

# ---- liaisonctl requeue ---------------------------------------------------
# The relay takes every recipient again: the acknowledgement given up on
# (A2) and the notification's refused recipient (N2) are put back and
# reach exactly those they had not reached.
BEFORE=$(copies)
$LCTL requeue "$A2ID" "$N2ID" >"$RUN/requeue.out" 2>>"$RUN/flush.log"
expect_eq "requeue: exit 0" "$?" 0
expect_eq "requeue: says each row and whom it tries again" "$(cat "$RUN/requeue.out")" \
"requeued $A2ID: acknowledgement for LS 1 to tsbsg15@itu.test
requeued $N2ID: notification for LS 1 to netmod@ietf.test
(2 requeued, due now: flush or liaisond's sender delivers them)"
expect_eq "requeue: waiting again, the refusals cleared, the backoff from scratch" \
    "$(sql "SELECT id, sent IS NULL, failed IS NULL, rejected = '', attempts, requeued IS NOT NULL, next_try = requeued FROM outbox WHERE id IN ($A2ID, $N2ID) ORDER BY id" | tr '\n' ' ')" \
    "$(printf '%s|1|1|1|0|1|1 ' $(printf '%s\n' "$A2ID" "$N2ID" | sort -n))"
$LCTL queue --json >"$RUN/queue.json" 2>>"$RUN/flush.log"
expect_eq "requeue: queue --json shows them queued, and when they were put back" \
    "$(row "$A2ID" '"\(.state) \(.attempts) \(.requeued == .next_try) \(.rejected | length)"')" "queued 0 true 0"
expect_eq "requeue: an event each on the statement, with the earlier answer" \
    "$(sql "SELECT count(*) FROM event WHERE statement = 1 AND what = 'mail requeued' AND detail LIKE '%550 5.1.1%'")" 2
expect_flush "requeued: both sent" "2 0 0"
"$PF/pf-wait-delivered" "$RUN/pf" $((BEFORE + 2)) 30 >/dev/null
expect_eq "requeued: the acknowledgement reached the one it was for" "$(who_got "$A2" | tr '\n' ' ')" "tsbsg15@itu.test "
expect_eq "requeued: the notification reached the refused list, and nobody twice" \
    "$(who_got "$N2" | tr '\n' ' ')" \
    "ccamp-chairs@ietf.test ccamp@ietf.test h.tanabe@itu.test itu-t-sg15-manager@ietf.test netmod@ietf.test rtg-ads@ietf.test "
expect_eq "requeued: sent, every recipient delivered" \
    "$(sql "SELECT sent IS NOT NULL, rejected, (length(delivered) - length(replace(delivered, char(10), ''))) FROM outbox WHERE id = $N2ID")" "1||6"
# What cannot be put back, each said, exit 1; the rest untouched.
"$QUEUE" "$DB" 1 reminder 7 >/dev/null
W=$(sql "SELECT id FROM outbox ORDER BY id DESC LIMIT 1")
WNEXT=$(sql "SELECT next_try FROM outbox WHERE id = $W")
$LCTL requeue "$N2ID" "$W" 999999 >"$RUN/requeue.out" 2>"$RUN/requeue.err"
expect_eq "requeue: nothing to send again is exit 1" "$?" 1
check_grep "requeue: a mail that reached everyone" "mail $N2ID reached every recipient" "$RUN/requeue.err"
check_grep "requeue: a mail still waiting" "mail $W is still in the queue" "$RUN/requeue.err"
check_grep "requeue: no such mail" "no mail 999999 in the outbox" "$RUN/requeue.err"
expect_eq "requeue: the waiting row untouched" \
    "$(sql "SELECT next_try, requeued FROM outbox WHERE id = $W")" "$WNEXT|"
expect_eq "requeue: nothing requeued" "$(tail -n 1 "$RUN/requeue.out")" "(0 requeued)"
for args in "" "--all $W" "x$W" "-- -1"; do
    # shellcheck disable=SC2086
    $LCTL requeue $args >/dev/null 2>&1
    expect_eq "requeue ${args:-(no operand)}: usage error" "$?" 64
done
sql "DELETE FROM outbox WHERE id = $W"

# Five days of a relay that is down: given up; requeued, five days more.
"$QUEUE" "$DB" 1 reminder 7 >/dev/null
G=$(sql "SELECT id FROM outbox ORDER BY id DESC LIMIT 1")
sql "UPDATE outbox SET created = strftime('%Y-%m-%dT%H:%M:%SZ', 'now', '-6 days') WHERE id = $G"
expect_flush "relay down, six days after it was queued: given up" "0 0 1" --relay "127.0.0.1:$DOWN"
expect_eq "given up after five days, with why" \
    "$(sql "SELECT failed IS NOT NULL, last_error LIKE 'gave up after five days: %' FROM outbox WHERE id = $G")" "1|1"
# The give-up's report to the liaison manager is not what this counts
# (the report refused with a 550 earlier stays: --all leaves refusals).
sql "DELETE FROM outbox WHERE kind = 'report' AND sent IS NULL AND id > $G"
$LCTL requeue --all >"$RUN/requeue.out" 2>>"$RUN/flush.log"
expect_eq "requeue --all: the given-up reminder, and only it" "$(head -n 1 "$RUN/requeue.out") $(sed -n '$p' "$RUN/requeue.out")" \
    "requeued $G: reminder for LS 1 to $(sql "SELECT replace(trim(rcpts, char(10)), char(10), ', ') FROM outbox WHERE id = $G") (1 requeued, due now: flush or liaisond's sender delivers them)"
expect_eq "requeue --all: the report refused with a 550 stays given up" \
    "$(sql "SELECT count(*) FROM outbox WHERE kind = 'report' AND failed IS NOT NULL AND last_error LIKE '%550%' AND requeued IS NULL")" 1
expect_flush "requeued, the relay still down: deferred, not given up" "0 1 0" --relay "127.0.0.1:$DOWN"
expect_flush "six days after the requeue: given up again" "0 0 1" --relay "127.0.0.1:$DOWN" \
    --now "$(date -u -d '+6 days' +%Y-%m-%dT%H:%M:%SZ)"
sql "DELETE FROM outbox WHERE kind = 'report' AND sent IS NULL AND id > $G"
$LCTL requeue --all >"$RUN/requeue.out" 2>>"$RUN/flush.log"
BEFORE=$(copies)
expect_flush "requeued again, the relay up: sent" "1 0 0"
"$PF/pf-wait-delivered" "$RUN/pf" $((BEFORE + 4)) 30 >/dev/null
expect_eq "the reminder reached its four recipients once" "$(copies)" $((BEFORE + 4))

# sink_start DIR SECONDS: smtp-sink on $SINK dumping each transaction into
# DIR and answering each final dot after SECONDS (SINKPID), once it
# listens (await_listen: at most 60 s; a bare connection leaves no dump file).  The test
# ends there when it never does: every step after it needs the sink.
sink_start() {
    mkdir -p "$1"; chmod 777 "$1"
    smtp-sink -u nobody -W ".:$2" -d "$1/%M." "127.0.0.1:$SINK" 10 2>"$RUN/sink.err" &
    SINKPID=$!
    await_listen "$SINKPID" "$SINK" && return 0
    if kill -0 "$SINKPID" 2>/dev/null; then
        fail "smtp-sink listens on 127.0.0.1:$SINK" "not listening after 60 s"
    else
        fail "smtp-sink listens on 127.0.0.1:$SINK" "it exited: $(head -c 300 "$RUN/sink.err")"
    fi
    exit 1
}
# sink_holds DIR MSGID: wait until the message is in smtp-sink's hands (a
# dump file holds its Message-ID), the sender waiting for the answer to
# the final dot (bounded: 60 s, for a flush of an ASan build started on a
# loaded machine; 10 s was short).  Returns 1 when it never got there: what
# follows would then test a sender that was never in the window it means.
sink_holds() {
    for _ in $(seq 1 600); do
        grep -qsF "$2" "$1"/* && return 0
        sleep 0.1
    done
    return 1
}

# ---- 4. killed before the relay answered the DATA: sent once, later -----
sink_start "$RUN/sink" 60
"$QUEUE" "$DB" 1 acknowledgement >/dev/null
A3=$(sql "SELECT message_id FROM outbox WHERE kind='acknowledgement' ORDER BY id DESC LIMIT 1")
$LCTL flush --relay "127.0.0.1:$SINK" >/dev/null 2>>"$RUN/flush.log" &
FPID=$!
sink_holds "$RUN/sink" "$A3" \
    || fail "killed before the answer: smtp-sink holds the message" "$A3 not in $RUN/sink after 60 s"
sleep 0.5
kill -9 "$FPID"; wait "$FPID" 2>/dev/null
kill "$SINKPID"; wait "$SINKPID" 2>/dev/null; SINKPID=
expect_eq "killed before the answer: nothing recorded" \
    "$(sql "SELECT sent IS NULL, delivered FROM outbox WHERE message_id='$A3'")" "1|"
expect_flush "within the claim's lease (30 minutes): left alone" "0 0 0" --now "$(later 25)"
BEFORE=$(copies)
expect_flush "after the lease: sent" "1 0 0" --now "$(later 31)"
"$PF/pf-wait-delivered" "$RUN/pf" $((BEFORE + 1)) 30 >/dev/null
expect_eq "killed before the answer: exactly one copy" "$(files_of "$A3" | wc -l)" 1

# ---- 4b. a relay that answers the final dot after 65 s: sent once --------
# RFC 5321 gives the end of DATA 10 minutes; the relay already has the
# message.  Giving up after the 60 s of the other steps sent it again.
sink_start "$RUN/sink-slow" 65
"$QUEUE" "$DB" 1 acknowledgement >/dev/null
A5=$(sql "SELECT message_id FROM outbox WHERE kind='acknowledgement' ORDER BY id DESC LIMIT 1")
expect_eq "a relay 65 s slow: only that mail is waiting" \
    "$(sql "SELECT group_concat(message_id) FROM outbox WHERE sent IS NULL AND failed IS NULL")" "$A5"
expect_flush "a relay 65 s slow at the end of DATA: sent" "1 0 0" --relay "127.0.0.1:$SINK"
kill "$SINKPID"; wait "$SINKPID" 2>/dev/null; SINKPID=
expect_eq "a relay 65 s slow: one transaction, nothing to send again" \
    "$(grep -lsF "$A5" "$RUN/sink-slow"/* | wc -l) $(sql "SELECT sent IS NOT NULL FROM outbox WHERE message_id='$A5'")" "1 1"

# ---- 5. killed after the relay accepted, before the record: one extra copy
"$QUEUE" "$DB" 1 acknowledgement >/dev/null
A4=$(sql "SELECT message_id FROM outbox WHERE kind='acknowledgement' ORDER BY id DESC LIMIT 1")
BEFORE=$(copies)
LIAISON_TEST_CRASH_AFTER_DATA=1 $LCTL flush >/dev/null 2>>"$RUN/flush.log"
expect_eq "crash hook: the sender died with 9" "$?" 9
"$PF/pf-wait-delivered" "$RUN/pf" $((BEFORE + 1)) 30 >/dev/null
expect_eq "crash after accept: the database does not know" \
    "$(sql "SELECT sent IS NULL, delivered FROM outbox WHERE message_id='$A4'")" "1|"
expect_flush "crash after accept: sent again after the lease" "1 0 0" --now "$(later 31)"
"$PF/pf-wait-delivered" "$RUN/pf" $((BEFORE + 2)) 30 >/dev/null
expect_eq "crash after accept: at most one extra copy" "$(files_of "$A4" | wc -l)" 2
expect_eq "crash after accept: same Message-ID in both" \
    "$(files_of "$A4" | xargs -r -d '\n' grep -hi '^Message-Id:' | sort -u | wc -l)" 1
expect_flush "nothing left to send" "0 0 0" --now "$(later 600)"

# take_during_flush NAME DIR MSGID: a flush to the sink started with DIR;
# while the message MSGID waits there for the answer to its final dot, the
# row gets another sender's lease (as a second flush's claim does once the
# first one's lease has run out); then the flush ends and the sink stops.
take_during_flush() {
    local name=$1; shift
    $LCTL flush --relay "127.0.0.1:$SINK" >/dev/null 2>>"$RUN/flush.log" &
    FPID=$!
    sink_holds "$1" "$2" \
        || fail "$name: smtp-sink holds the message" "$2 not in $1 after 60 s"
    sql "UPDATE outbox SET next_try = '2099-01-01T00:00:00Z' WHERE message_id='$2'"
    wait "$FPID"
    kill "$SINKPID"; wait "$SINKPID" 2>/dev/null; SINKPID=
}

# ---- 6. the claim lost mid-row: the rest is left to the new holder ------
# smtp-sink answers each final dot after 10 s (3 were too few for a loaded
# machine to do the rest in).  While the first recipient waits there, the
# row gets another sender's lease, as a second flush's claim does once
# this one's lease has run out.  The sender renews its lease before the
# next recipient, finds it gone, and sends nothing more.
sink_start "$RUN/sink6" 10
"$QUEUE" "$DB" 1 notification >/dev/null
N6=$(sql "SELECT message_id FROM outbox WHERE kind='notification' ORDER BY id DESC LIMIT 1")
expect_eq "lost claim: the row has several recipients" \
    "$(sql "SELECT length(rcpts) - length(replace(rcpts, char(10), '')) > 1 FROM outbox WHERE message_id='$N6'")" 1
take_during_flush "lost claim" "$RUN/sink6" "$N6"
expect_eq "lost claim: only the recipient in hand was sent" \
    "$(grep -lsF "$N6" "$RUN"/sink6/* | wc -l)" 1
expect_eq "lost claim: recorded as delivered, the row left open" \
    "$(sql "SELECT length(delivered) - length(replace(delivered, char(10), '')), sent IS NULL FROM outbox WHERE message_id='$N6'")" "1|1"
expect_eq "lost claim: the new holder's lease untouched" \
    "$(sql "SELECT next_try FROM outbox WHERE message_id='$N6'")" "2099-01-01T00:00:00Z"
check_grep "lost claim: logged" "claim ran out and another sender has the row" "$RUN/flush.log"

# ---- 6b. the claim lost during a row's last recipient ---------------------
# The row is delivered, but its outcome (sent) is the new holder's to
# write: the sender that lost the lease must not mark it, nor overwrite
# the new holder's lease.
sink_start "$RUN/sink6b" 10
sql "UPDATE outbox SET sent = '2000-01-01T00:00:00Z' WHERE sent IS NULL AND failed IS NULL"
"$QUEUE" "$DB" 1 acknowledgement >/dev/null
A6=$(sql "SELECT message_id FROM outbox WHERE kind='acknowledgement' ORDER BY id DESC LIMIT 1")
take_during_flush "lost during the last recipient" "$RUN/sink6b" "$A6"
expect_eq "lost during the last recipient: delivered, not marked sent, the new lease kept" \
    "$(sql "SELECT length(delivered) > 0, sent IS NULL, next_try FROM outbox WHERE message_id='$A6'")" \
    "1|1|2099-01-01T00:00:00Z"
check_grep "lost during the last recipient: logged" "settling it is left to that sender" "$RUN/flush.log"
# ---- 7. the database locked when the relay accepts: waited out ----------
# smtp-sink answers the final dot after 10 s; before that, another process
# takes the database's write lock and keeps it until the sender has said
# that it waits (past busy_timeout_ms, 5 s).  The sender must record the
# delivery once the lock goes, and nothing may be sent again later.
sink_start "$RUN/sink7" 10
"$QUEUE" "$DB" 1 acknowledgement >/dev/null
A7=$(sql "SELECT message_id FROM outbox WHERE kind='acknowledgement' ORDER BY id DESC LIMIT 1")
N7=$(sql "SELECT length(rcpts) - length(replace(rcpts, char(10), '')) + 1 FROM outbox WHERE message_id='$A7'")
$LCTL flush --relay "127.0.0.1:$SINK" >/dev/null 2>>"$RUN/flush.log" &
FPID=$!
sink_holds "$RUN/sink7" "$A7" \
    || fail "locked at the relay's answer: smtp-sink holds the message" "$A7 not in $RUN/sink7 after 60 s"
if db_lock "$DB"; then ok "locked at the relay's answer: another process holds the database"
else fail "db_lock" "$(cat "$SCRATCH/locker.out")"; fi
# The sink's 10 s, then busy_timeout_ms: the line, or the flush's end,
# is the event; 60 s only bounds a sender that hangs (30 s was tight for
# an ASan build on a loaded machine).
waited=
for _ in $(seq 1 600); do
    grep -q "the database is busy, waiting up to" "$RUN/flush.log" && { waited=1; break; }
    kill -0 "$FPID" 2>/dev/null || break
    sleep 0.1
done
db_unlock
wait "$FPID"
rc=$?
kill "$SINKPID"; wait "$SINKPID" 2>/dev/null; SINKPID=
expect_eq "locked at the relay's answer: the sender waits past its busy timeout" "${waited:-no}" 1
expect_eq "locked at the relay's answer: flush exits 0" "$rc" 0
expect_eq "locked at the relay's answer: recorded as delivered and sent" \
    "$(sql "SELECT length(delivered) > 0, sent IS NOT NULL FROM outbox WHERE message_id='$A7'")" "1|1"
expect_flush "locked at the relay's answer: nothing sent again after the lease" "0 0 0" --now "$(later 31)"
expect_eq "locked at the relay's answer: one copy for each of its $N7 recipients" \
    "$(grep -lsF "$A7" "$RUN"/sink7/* | wc -l)" "$N7"

# ---- answering by mail: the assignee closes statement 1 -------------------
# From the address the notification went to, to the Reply-To it carried.
REPLY_TO=$(sed -n 's/^Reply-To: //p' "$F" | tr -d '\r' | head -n 1)
printf 'From: CCAMP Chairs <ccamp-chairs@ietf.test>\nTo: %s\nSubject: Re: [LS 1] Liaison statement received\nMessage-ID: <close-by-mail@ietf.test>\nIn-Reply-To: <t25-sg15-ls123@itu.test>\n\nclose: answered in our LS\nWe sent our answer.\n\n> close\n' \
    "$REPLY_TO" > "$RUN/close.eml"
# The same words from a copied contact, to that contact's own address.
REPLY_T=$(sed -n 's/^Reply-To: //p' "$FT" | tr -d '\r' | head -n 1)
printf 'From: Hiroshi Tanabe <h.tanabe@itu.test>\nTo: %s\nSubject: Re: [LS 1] Liaison statement received\nMessage-ID: <close-by-contact@itu.test>\nIn-Reply-To: <t25-sg15-ls123@itu.test>\n\nclose\n' \
    "$REPLY_T" > "$RUN/close-t.eml"
$LCTL ingest --json "$RUN/close-t.eml" > "$RUN/close-t.json"
check "answer by mail from a copied contact: correspondence on LS 1" \
    jq -e '.kind == "correspondence" and .id == 1' "$RUN/close-t.json"
expect_eq "answer by mail from a copied contact: still open" "$(sql "SELECT state FROM statement WHERE id=1")" open
expect_eq "answer by mail from a copied contact: refused, recorded" \
    "$(sql "SELECT count(*) FROM event WHERE statement=1 AND what='command refused' AND actor='h.tanabe@itu.test'")" 1
$LCTL ingest --json "$RUN/close.eml" > "$RUN/close.json"
check "answer by mail: correspondence on LS 1" jq -e '.kind == "correspondence" and .id == 1' "$RUN/close.json"
expect_eq "answer by mail: the assignee closed it" "$(sql "SELECT state FROM statement WHERE id=1")" closed
expect_eq "answer by mail: the event names the chair and the reason" \
    "$(sql "SELECT actor || ' ' || detail FROM event WHERE statement=1 AND what='closed'")" \
    "ccamp-chairs@ietf.test answered in our LS"
expect_eq "answer by mail: each From is answered" \
    "$(sql "SELECT group_concat(rcpts, ' ') FROM (SELECT rcpts FROM outbox WHERE statement=1 AND kind='answer' AND (instr(CAST(raw AS TEXT), 'Subject: [LS 1] Command refused: ') > 0 OR instr(CAST(raw AS TEXT), 'Subject: [LS 1] Closed: ') > 0) ORDER BY id)")" \
    "h.tanabe@itu.test ccamp-chairs@ietf.test"

# ---- the IETF's response, sent with liaisonctl reply ----------------------
# To the response contact at the sender's domain, copying everyone the
# notification went to, with a PDF; delivered by flush through Postfix;
# the statement marked answered; the other body's answer to it threaded
# back onto the statement.
printf 'Dear colleagues,\n\nCCAMP thanks SG15. Our answer is attached.\n\nDeborah, for the CCAMP chairs\n' >"$RUN/response.txt"
printf '%%PDF-1.4\n%%\xe2\xe3\xcf\xd3 response letter\n%%%%EOF\n' >"$RUN/LS-answer.pdf"
# What earlier cases left queued (the answers to commands) goes first.
flush >/dev/null
"$PF/pf-wait-delivered" "$RUN/pf" empty 30 >/dev/null
before=$(copies)
$LCTL reply --attach "$RUN/LS-answer.pdf" 1 "$RUN/response.txt" >"$RUN/reply.out" 2>&1
expect_eq "reply: exit 0" "$?" 0
check_grep "reply: says to whom" '^statement 1: response queued to tsbsg15@itu.test, ccamp-chairs@ietf.test' "$RUN/reply.out"
RESP=$(sql "SELECT message_id FROM outbox WHERE statement=1 AND kind='response'")
expect_flush "reply: flush sends the response" "1 0 0"
"$PF/pf-wait-delivered" "$RUN/pf" $((before + 7)) 30 >/dev/null
expect_eq "response: who received it (the lists too: it is public)" "$(who_got "$RESP" | tr '\n' ' ')" \
    "ccamp-chairs@ietf.test ccamp@ietf.test h.tanabe@itu.test itu-t-sg15-manager@ietf.test netmod@ietf.test rtg-ads@ietf.test tsbsg15@itu.test "
FR=$(files_of "$RESP" | xargs -r -d '\n' grep -lx 'Delivered-To: tsbsg15@itu.test' | head -n 1)
check_grep "response: To the response contact" '^To: tsbsg15@itu.test' "$FR"
check_grep "response: subject" '^Subject: \[LS 1\] Response: LS on YANG models' "$FR"
check_grep "response: threaded on the statement" '^In-Reply-To: <t25-sg15-ls123@itu.test>' "$FR"
check_grep "response: answers come back to intake" '^Reply-To: liaisons@ietf.test' "$FR"
check "response: no Auto-Submitted (a person's letter)" sh -c '[ -s "$1" ] && ! grep -qi "^Auto-Submitted:" "$1"' _ "$FR"
check "response: the letter and the PDF, byte for byte" python3 - "$FR" "$RUN/LS-answer.pdf" <<'PY'
import email, email.policy, sys
m = email.message_from_binary_file(open(sys.argv[1], "rb"), policy=email.policy.default)
body = m.get_body(("plain",)).get_content()
att = [p for p in m.iter_attachments()]
ok = ("CCAMP thanks SG15" in body and len(att) == 1 and att[0].get_filename() == "LS-answer.pdf"
      and att[0].get_content_type() == "application/pdf"
      and att[0].get_content() == open(sys.argv[2], "rb").read())
sys.exit(0 if ok else 1)
PY
expect_eq "reply: the statement is marked answered, with an event" \
    "$(sql "SELECT replied IS NOT NULL, (SELECT count(*) FROM event WHERE statement=1 AND what='replied') FROM statement WHERE id=1")" "1|1"
printf 'From: Greta <tsbsg15@itu.test>\nTo: liaisons@ietf.test\nSubject: Re: [LS 1] Response\nMessage-ID: <thanks-1@itu.test>\nIn-Reply-To: %s\n\nThank you.\n' \
    "$RESP" >"$RUN/thanks.eml"
$LCTL ingest --json "$RUN/thanks.eml" >"$RUN/thanks.json"
check "the other body's answer to the response: correspondence on LS 1" \
    jq -e '.kind == "correspondence" and .id == 1' "$RUN/thanks.json"

if [ "$T_FAIL" -gt 0 ]; then
    echo "--- flush log"; tail -n 30 "$RUN/flush.log"
fi
