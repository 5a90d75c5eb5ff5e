#!/bin/bash
# tests/postfix/test-killed.sh: liaisond killed in the middle of a message
# and restarted.  With milter_default_action = tempfail Postfix keeps the
# message queued; after the restart it is delivered and recorded exactly
# once.
#
# Which door.  A milter failure at smtpd is a 451 to the SMTP client: the
# message then waits in the client's queue, not in ours, and the test would
# only show that swaks saw a 451 (test-milter.sh does that for a read-only
# database).  To show Postfix itself keeping the message, it is submitted
# through the private instance's pickup path: "sendmail -C DIR/etc" drops it
# into the maildrop queue, pickup hands it to cleanup, and cleanup runs the
# non_smtpd_milters (pf-start sets them to liaisond as well).  When the
# milter dies there, cleanup applies milter_default_action = tempfail and
# pickup leaves the message queued in maildrop for a later run.
#
# "In the middle of a message" deterministically: liaisond is started with
# the test hook LIAISON_TEST_STALL_EOM=60 (src/milter.c), which stalls an
# intake message at the start of the end-of-message callback, after Postfix
# has sent the whole message and before anything is recorded; the test
# waits for the hook's log line and kills liaisond with SIGKILL (no clean
# stop, the socket and pid file left behind).  Then: the message is in the
# queue (postqueue -p), nothing delivered, nothing recorded; liaisond is
# restarted without the hook on the stale socket, "postqueue -f" runs the
# queue, and the message is delivered to liaisons@ and the routed
# recipients, each copy once, and recorded once (one message row, one
# statement).
#
# Needs root (Postfix's master runs as root), postfix and sqlite3; skips
# (exit 77) without them.  KEEP=1 keeps the run directory.
set -u
. "$(dirname "$0")/../lib.sh"
. "$SRCDIR/tests/postfix/pf-lib.sh"

pf_require postqueue sendmail
pf_setup killed 10610
pf_conf
ETC="$RUN/pf/etc"

if start_liaisond LIAISON_TEST_STALL_EOM=60; then ok "liaisond starts with the stall hook"
else fail "liaisond starts" "$(tail -5 "$RUN/liaisond.log")"; exit 1; fi
pf_start

delivered() { find "$RUN/pf/mail/inbox/new" "$RUN/pf/mail/inbox/cur" -type f 2>/dev/null | wc -l; }
queue_ids() { postqueue -c "$ETC" -p 2>/dev/null | grep -Eo '^[0-9A-F]{6,}' ; }

# A new statement: s01 under a Message-ID of its own.
MID="<killed-1.$$@itu.test>"
sed -e "s/^Message-ID: .*/Message-ID: $MID/" \
    -e 's/^Subject: .*/Subject: LS on killed milters/' \
    "$CORPUS/s01-appendix-a.eml" >"$RUN/msg.eml"
chmod 644 "$RUN/msg.eml"

# ---- submit through pickup; kill liaisond while it holds the message ----
if sendmail -C "$ETC" -f greta.jonsson@itu.test liaisons@ietf.test <"$RUN/msg.eml" \
     >"$SCRATCH/sendmail.out" 2>&1; then
    ok "sendmail -C: message submitted to the maildrop"
else
    fail "sendmail" "$(cat "$SCRATCH/sendmail.out")"; exit 1
fi
stalled=
for _ in $(seq 1 300); do
    grep -q "test hook: stalling" "$RUN/liaisond.log" && { stalled=1; break; }
    sleep 0.1
done
if [ -n "$stalled" ]; then ok "liaisond holds the message at end of message"
else fail "stall" "liaisond never reached end of message: $(tail -3 "$RUN/pf/maillog")"; exit 1; fi
kill -KILL "$LPID"
wait "$LPID" 2>/dev/null
killed_pid=$LPID
LPID=
check "liaisond $killed_pid gone after SIGKILL in the middle of the message" \
    sh -c "! kill -0 $killed_pid 2>/dev/null"

# Postfix notices (cleanup reads EOF from the milter), applies
# milter_default_action = tempfail, and pickup keeps the message.
tempfailed=
for _ in $(seq 1 100); do
    grep -q "milter-reject: END-OF-MESSAGE .*4\.7\.1" "$RUN/pf/maillog" && { tempfailed=1; break; }
    sleep 0.1
done
if [ -n "$tempfailed" ]; then
    ok "postfix: milter failure answered with milter_default_action = tempfail (4.7.1)"
else
    fail "tempfail" "$(grep cleanup "$RUN/pf/maillog" | tail -3)"
fi
grep -E "postfix/cleanup.*(warning: milter|milter-reject)" "$RUN/pf/maillog" | cut -c1-220 | sed 's/^/  maillog: /'
postqueue -c "$ETC" -p >"$RUN/queue-after-kill.txt" 2>&1
queued=$(queue_ids | wc -l)
if [ "$queued" = 1 ] && grep -q "liaisons@ietf.test" "$RUN/queue-after-kill.txt" \
   && [ -f "$RUN/pf/queue/maildrop/$(queue_ids)" ]; then
    ok "postfix keeps the message queued (maildrop/$(queue_ids), for liaisons@ietf.test)"
else
    fail "queued" "$queued in the queue: $(cat "$RUN/queue-after-kill.txt")"
fi
[ "$(delivered)" = 0 ] && ok "nothing delivered while liaisond is down" \
    || fail "delivered while down" "$(delivered) copies"
n=$(sql "SELECT count(*) FROM message" 2>&1)
[ "$n" = 0 ] && ok "nothing recorded while liaisond is down" || fail "recorded while down" "$n"

# ---- restart on the stale socket; the queue run delivers it --------------
# A process killed with SIGKILL cannot remove its socket: the restart below
# must replace a stale one.
[ -S "$SOCK" ] && ok "the killed daemon left its socket behind" \
    || fail "stale socket" "no socket at $SOCK after SIGKILL"
if start_liaisond; then ok "liaisond restarts (stale socket and pid file replaced)"
else fail "liaisond restarts" "$(tail -5 "$RUN/liaisond.log")"; exit 1; fi
postqueue -c "$ETC" -f >/dev/null 2>&1
nrcpt=
for _ in $(seq 1 300); do
    sid=$(sql "SELECT coalesce(statement, 0) FROM message WHERE message_id = '$MID' AND direction = 'in'")
    [ -n "$sid" ] && break
    sleep 0.1
done
if [ -n "$sid" ] && [ "$sid" != 0 ]; then ok "recorded after the restart: statement $sid"
else fail "recorded after the restart" "no message row for $MID"; exit 1; fi
# s01's copies as routing.json (worked by hand) has them.
copies_of s01-appendix-a >"$SCRATCH/want"
nrcpt=$(( $(wc -l <"$SCRATCH/want") - 1 ))
want=$((nrcpt + 1))
got=$("$PF/pf-wait-delivered" "$RUN/pf" "$want" 60)
"$PF/pf-who" -t "$RUN/pf" >"$RUN/who.tsv"
awk -F'\t' -v m="$MID" '$4 == m { print $1 }' "$RUN/who.tsv" | sort >"$SCRATCH/got"
if cmp -s "$SCRATCH/got" "$SCRATCH/want"; then
    ok "delivered once each to liaisons@ and the $nrcpt routed recipients ($got copies)"
else
    fail "delivered" "got $(paste -sd' ' "$SCRATCH/got"); wanted $(paste -sd' ' "$SCRATCH/want")"
fi
ids=$(awk -F'\t' -v m="$MID" '$4 == m { print $2 }' "$RUN/who.tsv" | sort -u | paste -sd' ')
[ "$ids" = "$sid" ] && ok "X-Liaison-ID $sid on every copy" || fail "X-Liaison-ID" "'$ids'"
[ "$(queue_ids | wc -l)" = 0 ] && ok "queue empty" || fail "queue" "$(postqueue -c "$ETC" -p)"

# Recorded exactly once: one message row for the Message-ID, one statement.
[ "$(sql "SELECT count(*) FROM message WHERE message_id = '$MID' AND direction = 'in'")" = 1 ] \
    && ok "db: one message row for $MID" || fail "db: message rows" "$(sql "SELECT count(*) FROM message")"
[ "$(sql "SELECT count(*) FROM statement")" = 1 ] && ok "db: one statement" \
    || fail "db: statements" "$(sql "SELECT count(*) FROM statement")"
[ "$(sql "SELECT count(*) FROM message")" = 1 ] && ok "db: nothing else recorded" \
    || fail "db: messages" "$(sql "SELECT count(*) FROM message")"

if grep -Eq "(fatal|panic):" "$RUN/pf/maillog"; then
    fail "postfix log" "$(grep -E "(fatal|panic):" "$RUN/pf/maillog" | head -2)"
else
    ok "postfix log: no fatal or panic"
fi
