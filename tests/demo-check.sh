#!/bin/bash
# tests/demo-check.sh: the README's first command, contrib/demo.sh, run as a
# user runs it (as root, from the top of the tree), and what it prints
# checked: every corpus message sent, the statements listed, every statement
# delivered with its added copies, notification and acknowledgement, and the
# tickle day's reminders queued and delivered, and the web page published.  The demo builds in build/,
# which run-all.sh has built already.
set -u
cd "$(dirname "$0")/.."
. tests/lib.sh

DEMO_DIR=$(mktemp -d /tmp/liaisond-demo-check.XXXXXX)
export DEMO_DIR
OUT="$DEMO_DIR.out"
t_cleanup 'rm -rf "$DEMO_DIR" "$OUT"'

# As a user runs it: lib.sh's test directory must not stand in for the
# demo's own configuration.
env -u LIAISON_DIRECTORY -u LIAISON_DB contrib/demo.sh >"$OUT" 2>&1
rc=$?
check "contrib/demo.sh exits 0" test "$rc" = 0
[ "$rc" = 0 ] || tail -n 30 "$OUT"

nmsg=$(ls tests/corpus/*.eml | wc -l)
check "every corpus message sent ($nmsg)" \
    grep -q "^   ($nmsg messages sent; liaisond and Postfix have been stopped)" "$OUT"
# The corpus's expected.json names the messages that become statements.
nstat=$(grep -c '"kind": *"statement"' tests/corpus/expected.json)
check "liaisonctl list shows the $nstat statements" grep -q "^($nstat statements)$" "$OUT"

# The first who-received table: each statement's X-Liaison-ID group holds
# the intake copy and an acknowledgement.
who=$(sed -n '/^== who received which copy/,/^[0-9]* copies$/p' "$OUT")
groups=$(printf '%s\n' "$who" | grep -c '^X-Liaison-ID [0-9]* (')
check "who received which copy: $nstat statements" test "$groups" = "$nstat"
intake=$(printf '%s\n' "$who" | grep -c '^       *.*liaisons@ietf\.test')
check "who received which copy: intake copies listed" test "$intake" -ge "$nstat"
acks=$(printf '%s\n' "$who" | grep -c '^  \[LS [0-9]*\] Acknowledgement: ')
check "who received which copy: one acknowledgement per statement" test "$acks" = "$nstat"
notes=$(printf '%s\n' "$who" | grep -cE '^  \[LS [0-9]*\] (For (action|comment|information)|Reply to the IETF|New liaison statement)')
check "who received which copy: one notification per statement" test "$notes" = "$nstat"

check "the notification of statement 3 is shown" \
    grep -qE '^Subject: \[LS 3\] (For |Reply to the IETF|New liaison statement)' "$OUT"
check "the acknowledgement of statement 8 is shown" \
    grep -q '^Tracking id: LS 8 ' "$OUT"

# The tickle day: what it queued is what the flush sent and Postfix delivered.
tl=$(grep '^tickle 2027-03-08: ' "$OUT")
queued=$(printf '%s\n' "$tl" | sed -n 's/.*; \([0-9]*\) reminders\{0,1\} queued.*/\1/p')
check "the tickle queued reminders ($tl)" test "${queued:-0}" -gt 0
check "the flush sent all of them" grep -q "^sent ${queued:-x}, deferred 0, failed 0$" "$OUT"
rem=$(sed -n '/^== the reminders delivered/,/^[0-9]* copies$/p' "$OUT" |
      grep -cE '^  \[LS [0-9]*\] (Due |Overdue by |No response after )')
check "the $queued reminders delivered" test "$rem" = "${queued:-x}"

# The web page: every statement published, the open ones listed.
check "publish: every statement published ($nstat)" \
    grep -Eq "^published $nstat statements to .*/site: [0-9]+ outstanding, 0 closed in the last 90 days; [0-9]+ group and area pages; [0-9]+ files written, 0 unchanged$" "$OUT"
check "where things are: the web page" grep -q '^   web page  .*/site/index.html' "$OUT"
check "publish: the Routing Area's page" test -f "$DEMO_DIR/site/group/rtg/index.html"
check "publish: a calendar of deadlines, with events" \
    sh -c 'grep -q "^BEGIN:VCALENDAR" "$1" && grep -q "^BEGIN:VEVENT" "$1"' _ "$DEMO_DIR/site/deadlines.ics"
# The AD's week: some of the statements, not all.
check "an AD's week: some of the $nstat statements" grep -Eq "^\([1-9][0-9]* of $nstat statements\)$" "$OUT"
