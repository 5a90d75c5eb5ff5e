#!/bin/bash
# contrib/demo.sh: the main job on its embedded default, for real: a private
# Postfix on 127.0.0.1 with liaisond attached, every message of the corpus
# sent through it to liaisons@ietf.test, then what happened: the statements
# recorded (liaisonctl list), who received which copy, and where the
# database and the delivered mail are.
#
# Installs the dependencies and builds first.  Runs as root (Postfix's
# master does).  Nothing leaves the host: Postfix delivers every recipient
# to files and its other transports are error(8).  Everything lives under
# DEMO_DIR (default /tmp/liaisond-demo), which the postfix user can reach.
set -eu
cd "$(dirname "$0")/.."
TOP=$(pwd)
PATH=$PATH:/usr/sbin:/sbin
contrib/install-deps.sh
contrib/build.sh

DEMO=${DEMO_DIR:-/tmp/liaisond-demo}
PF="$TOP/tests/postfix"
CTL="$TOP/build/src/liaisonctl"
LIAISOND="$TOP/build/src/liaisond"

# Stop what an earlier run left.
if [ -f "$DEMO/run/liaisond.pid" ]; then kill "$(cat "$DEMO/run/liaisond.pid")" 2>/dev/null || true; fi
[ -d "$DEMO/pf" ] && "$PF/pf-stop" "$DEMO/pf" >/dev/null 2>&1 || true
rm -rf "$DEMO"
mkdir -p "$DEMO/run" "$DEMO/spool"
chmod 755 "$DEMO" "$DEMO/run"

# A free port on 127.0.0.1 from 10025 upwards.
PORT=
for p in $(seq 10025 10125); do
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then PORT=$p; break; fi
done
[ -n "$PORT" ] || { echo "demo: no free port in 10025..10125" >&2; exit 1; }

cat > "$DEMO/liaisond.conf" <<CONF
socket = unix:$DEMO/run/liaisond.sock
intake = liaisons@ietf.test
database = $DEMO/liaison.db
directory = $TOP/conf/directory.json
spool_dir = $DEMO/spool
pidfile = $DEMO/run/liaisond.pid
base_url = https://datatracker.ietf.test/liaison/
relay_host = 127.0.0.1
relay_port = $PORT
CONF

echo "== starting liaisond (log: $DEMO/liaisond.log)"
"$LIAISOND" -f -c "$DEMO/liaisond.conf" >"$DEMO/liaisond.log" 2>&1 &
LPID=$!
# Up to 30 s: a loaded 2-core CI machine can take more than a few.
for _ in $(seq 1 300); do [ -S "$DEMO/run/liaisond.sock" ] && break; sleep 0.1; done
[ -S "$DEMO/run/liaisond.sock" ] || { cat "$DEMO/liaisond.log"; exit 1; }
chmod 666 "$DEMO/run/liaisond.sock"

echo "== starting a private Postfix on 127.0.0.1:$PORT with liaisond attached"
"$PF/pf-start" "$DEMO/pf" "$PORT" "unix:$DEMO/run/liaisond.sock"

echo "== sending tests/corpus/*.eml to liaisons@ietf.test"
n=0
for f in tests/corpus/*.eml; do
    from=$(sed -n '/^$/q; s/^From:.*<\([^>]*\)>.*/\1/p; s/^From: *\([^ <>]*@[^ <>]*\) *$/\1/p' "$f" | head -1)
    case $(basename "$f") in s11-*) from="" ;; esac     # a bounce has the null sender
    printf '   %-40s from <%s>\n' "$(basename "$f")" "$from"
    swaks --silent 2 -s 127.0.0.1 -p "$PORT" -f "$from" -t liaisons@ietf.test --data "@$f" >/dev/null
    n=$((n + 1))
done
# liaisond's sender delivers the notifications and acknowledgements through
# the same Postfix; wait until the outbox is empty and Postfix is idle.
# At most 120 s, then stop: what follows would show a half-sent demo.
deadline=$(($(date +%s) + 120))
while :; do
    left=$(sqlite3 "$DEMO/liaison.db" "SELECT count(*) FROM outbox WHERE sent IS NULL AND failed IS NULL" 2>/dev/null || echo 1)
    [ "$left" = 0 ] && break
    if [ "$(date +%s)" -ge "$deadline" ]; then
        echo "demo: the outbox did not drain in 120 s ($left left; log: $DEMO/liaisond.log)" >&2
        kill -TERM "$LPID" 2>/dev/null || true
        "$PF/pf-stop" "$DEMO/pf" >/dev/null 2>&1 || true
        exit 1
    fi
    sleep 0.2
done
"$PF/pf-wait-delivered" "$DEMO/pf" 1 >/dev/null 2>&1 || true
# Ingest stamps each statement with the real time, and the tickler counts
# only the schedule points after arrival: dated back to 2026-11-20, the
# tickle day below shows reminders whatever today's date.
echo "== dating the mail's arrival to 2026-11-20, so that the tickle day (2027-03-08) shows reminders whatever today's date"
sqlite3 -cmd '.timeout 5000' "$DEMO/liaison.db" "UPDATE statement SET received = '2026-11-20T09:00:00Z'"

echo
echo "== liaisonctl list"
"$CTL" -c "$DEMO/liaisond.conf" list
echo
echo "== who received which copy: for each statement, the statement itself (with"
echo "   the copies liaisond added), its notification and its acknowledgement"
"$PF/pf-who" "$DEMO/pf"
echo
first() { ls "$DEMO"/pf/mail/inbox/new/* | xargs grep -l -E "$1" | xargs grep -l -E "$2" | head -1; }
note=$(first "^Delivered-To: ccamp-chairs@ietf.test" "^Subject: \\[LS 3\\] (For |Reply to the IETF|New liaison statement)")
echo "== the notification of statement 3, as ccamp-chairs@ietf.test received it"
sed -n '/^Subject:/p; /^To:/p; /^Cc:/p; /^In-Reply-To:/p; /^Auto-Submitted:/p' "$note"
sed -n '/^$/,$p' "$note" | head -40
echo
ack=$(first "^Delivered-To: ana.lima@etsi.test" "Acknowledgement")
echo "== the acknowledgement of statement 8 (a Word file only, no labels), as its sender received it"
sed -n '/^$/,$p' "$ack" | head -40
echo
echo "== a tickle run, as cron would start it on 2027-03-08, then a flush"
"$CTL" -c "$DEMO/liaisond.conf" tickle --now 2027-03-08
"$CTL" -c "$DEMO/liaisond.conf" flush 2>"$DEMO/flush.log"    # one log line per delivery there
"$PF/pf-wait-delivered" "$DEMO/pf" 1 >/dev/null 2>&1 || true
sleep 1
echo
echo "== the reminders delivered"
"$PF/pf-who" -s '^\[LS [0-9]+\] (Due |Overdue by |No response after )' "$DEMO/pf"
echo
echo "== the web page of outstanding statements, as cron would publish it on 2027-03-08"
"$CTL" -c "$DEMO/liaisond.conf" publish --now 2027-03-08 "$DEMO/site"
echo
echo "== an AD's week on 2027-03-08: the Routing Area's statements, its groups' included, overdue"
echo "   or due within 14 days and not yet answered (liaisonctl list --group rtg --due 14)"
"$CTL" -c "$DEMO/liaisond.conf" list --group rtg --due 14 --now 2027-03-08
echo
kill -TERM "$LPID" 2>/dev/null || true
"$PF/pf-stop" "$DEMO/pf" >/dev/null 2>&1 || true
wait "$LPID" 2>/dev/null || true
cat <<EOF
== where things are
   database        $DEMO/liaison.db
                   $CTL -c $DEMO/liaisond.conf show 1
   delivered mail  $DEMO/pf/mail/inbox/new/   (one file per recipient copy)
   web page        $DEMO/site/index.html   (and feed.atom, deadlines.ics, statements.json,
                   one folder per statement, group/KEY/ per group and area;
                   serve $DEMO/site at base_url)
   Postfix log     $DEMO/pf/maillog
   liaisond log    $DEMO/liaisond.log
   ($n messages sent; liaisond and Postfix have been stopped)
EOF
