#!/bin/bash
# tests/postfix/test-milter.sh: liaisond attached to a real Postfix.
#
# Starts a private Postfix (pf-start: 127.0.0.1, a free port from 10025,
# every recipient delivered to files) with liaisond on a unix socket, all
# in a run directory under /tmp (pf-lib.sh), sends every corpus message to
# liaisons@ietf.test with swaks, and asserts who received which copy, the
# added headers and the database rows; then the cases around it: other
# mail untouched, intake mail with other recipients, a retry recorded
# once, SIGHUP without a lost message, a read-only database, a full spool
# and a full database file system each answered with a temporary failure
# and the retry recorded once, and the spool left empty.
#
# Needs root (Postfix's master runs as root), postfix, swaks and sqlite3;
# skips (exit 77) without them.  KEEP=1 keeps the run directory.
set -u
. "$(dirname "$0")/../lib.sh"
. "$SRCDIR/tests/postfix/pf-lib.sh"

pf_require swaks
pf_setup milter 10025
# The database and the spool on file systems of their own, so that the test
# can make one read-only and fill the other.  Unmounted before pf_setup's
# cleanup removes the run directory (t_cleanup runs the latest first).
MOUNTS=
if mount -t tmpfs -o size=64m,mode=755 tmpfs "$RUN/db" 2>/dev/null; then
    MOUNTS="$RUN/db"
    mount -t tmpfs -o size=1m,mode=755 tmpfs "$RUN/spool" && MOUNTS="$MOUNTS $RUN/spool"
fi
t_cleanup 'stop_liaisond; for m in $MOUNTS; do umount -l "$m"; done'
chown "$RUN_USER" "$RUN/db" "$RUN/spool"
# Small, so that the larger corpus messages spill to a file.
pf_conf "spool_memory_max = 2k"

check "liaisond -n accepts the configuration" "$LIAISOND" -n -c "$RUN/liaisond.conf"
if start_liaisond; then ok "liaisond starts and makes its socket"
else fail "liaisond starts" "$(tail -5 "$RUN/liaisond.log")"; exit 1; fi
uid=$(ps -o uid= -p "$LPID" | tr -d ' ')
if [ "$uid" = "$(id -u $RUN_USER)" ]; then ok "liaisond runs as $RUN_USER"
else fail "liaisond drops privileges" "uid $uid"; fi
pf_start

delivered=0

# ---- every corpus message, in order (s09 answers s01) -------------------
send_corpus send postfix
nstat=$(sql "SELECT count(*) FROM statement")
# The copies routing.json (worked by hand) says the corpus makes.
want=0
for f in "$CORPUS"/s*.eml; do want=$(( want + $(copies_of "$(basename "$f" .eml)" | wc -l) )); done
got=$("$PF/pf-wait-delivered" "$RUN/pf" "$want" 30)
if [ "$got" -eq "$want" ]; then ok "corpus: $want copies delivered ($CORPUS_MESSAGES to liaisons@, $((want - CORPUS_MESSAGES)) routed)"
else fail "corpus copies" "$got delivered, wanted $want"; fi
delivered=$got
"$PF/pf-who" -t "$RUN/pf" >"$RUN/who.tsv"

[ "$(sql "SELECT count(*) FROM message WHERE direction = 'in'")" = "$CORPUS_MESSAGES" ] \
    && ok "db: $CORPUS_MESSAGES messages recorded" || fail "db: messages" "$(sql "SELECT count(*) FROM message")"
[ "$nstat" = "$CORPUS_STATEMENTS" ] && ok "db: $CORPUS_STATEMENTS statements" || fail "db: statements" "$nstat"

# Who received which copy: liaisons@ plus exactly what routing.json says,
# each copy with X-Liaison-ID and the [LS n] tag; each message recorded as
# the kind expected.json gives it.
for f in "$CORPUS"/s*.eml; do
    name=$(basename "$f" .eml)
    mid=$(message_id_of "$f")
    sid=$(sql "SELECT coalesce(statement, 0) FROM message WHERE message_id = '$mid' AND direction = 'in'")
    kind=$(kind_of "$name")
    is "db: $name recorded as $kind" "$kind" \
        "$(sql "SELECT kind FROM message WHERE message_id = '$mid' AND direction = 'in'")"
    awk -F'\t' -v m="$mid" '$4 == m { print $1 }' "$RUN/who.tsv" | sort -u >"$SCRATCH/got"
    copies_of "$name" >"$SCRATCH/want"
    if cmp -s "$SCRATCH/got" "$SCRATCH/want"; then
        ok "$name: copies to $(paste -sd' ' "$SCRATCH/got")"
    else
        fail "$name: recipients" "got $(paste -sd' ' "$SCRATCH/got"); wanted $(paste -sd' ' "$SCRATCH/want")"
    fi
    ids=$(awk -F'\t' -v m="$mid" '$4 == m { print $2 }' "$RUN/who.tsv" | sort -u | paste -sd' ')
    subjects=$(awk -F'\t' -v m="$mid" '$4 == m { print $3 }' "$RUN/who.tsv" | sort -u)
    case $kind in
    statement|correspondence)
        [ "$ids" = "$sid" ] && ok "$name: X-Liaison-ID $sid on every copy" \
            || fail "$name: X-Liaison-ID" "'$ids', wanted $sid"
        if [ "$(printf '%s\n' "$subjects" | grep -vc "^\[LS $sid\] ")" = 0 ]; then
            ok "$name: subject tagged [LS $sid]"
        else
            fail "$name: subject tag" "$subjects"
        fi ;;
    *)
        [ "$ids" = "-" ] && ok "$name ($kind): no X-Liaison-ID" || fail "$name: X-Liaison-ID" "$ids"
        [ "$(wc -l <"$SCRATCH/got")" = 1 ] && ok "$name ($kind): routed to no one" \
            || fail "$name: routed" "$(paste -sd' ' "$SCRATCH/got")" ;;
    esac
done

# Hand-checked: s01's routing, s09 threaded on s01 and not sent to the list.
s01=$(sql "SELECT statement FROM message WHERE message_id = '<sg15-ls-0412@itu.test>'")
awk -F'\t' '$4 == "<sg15-ls-0412@itu.test>" { print $1 }' "$RUN/who.tsv" | sort >"$SCRATCH/got"
printf '%s\n' ccamp-chairs@ietf.test ccamp@ietf.test greta.jonsson@itu.test \
    itu-t-sg15-manager@ietf.test liaisons@ietf.test m.betts@itu.test rtg-ads@ietf.test \
    >"$SCRATCH/want"
cmp -s "$SCRATCH/got" "$SCRATCH/want" && ok "s01: assignee, technical, supervisor, manager, list" \
    || fail "s01: routing" "$(paste -sd' ' "$SCRATCH/got")"
mid09=$(message_id_of "$CORPUS/s09-assignee-reply.eml")
[ "$(sql "SELECT statement FROM message WHERE message_id = '$mid09'")" = "$s01" ] \
    && ok "s09: recorded on statement $s01" || fail "s09: statement" "not on $s01"
grep -q "ccamp@ietf.test.*$mid09" "$RUN/who.tsv" && fail "s09: list" "copied to ccamp@" \
    || ok "s09: not copied to the list"

# The message is kept verbatim (swaks ends the data with one more newline).
sql "SELECT writefile('$RUN/db/raw01', raw) FROM message WHERE message_id = '<sg15-ls-0412@itu.test>'" >/dev/null
size=$(stat -c %s "$CORPUS/s01-appendix-a.eml")
if cmp -s -n "$size" "$RUN/db/raw01" "$CORPUS/s01-appendix-a.eml" \
   && [ $(( $(stat -c %s "$RUN/db/raw01") - size )) -le 1 ]; then
    ok "s01: raw message stored as sent"
else
    fail "s01: raw" "differs from the corpus file"
fi

# ---- other mail passes untouched; mixed recipients keep their copies ----
before=$(sql "SELECT count(*) FROM message")
send "$CORPUS/s03-itu-template.eml" someone@example.test other@ietf.test \
    && ok "other mail accepted" || fail "other mail" "$(tail -3 "$SCRATCH/swaks.out")"
delivered=$((delivered + 1))
"$PF/pf-wait-delivered" "$RUN/pf" "$delivered" 30 >/dev/null \
    && ok "other mail delivered" || fail "other mail delivered" "not delivered"
[ "$(sql "SELECT count(*) FROM message")" = "$before" ] && ok "other mail not recorded" \
    || fail "other mail" "recorded"
"$PF/pf-who" -t "$RUN/pf" | awk -F'\t' '$1 == "other@ietf.test"' >"$SCRATCH/other"
if [ "$(wc -l <"$SCRATCH/other")" = 1 ] && cut -f2 "$SCRATCH/other" | grep -qx -- - \
   && ! cut -f3 "$SCRATCH/other" | grep -q '^\[LS'; then
    ok "other mail: no X-Liaison-ID, subject unchanged"
else
    fail "other mail headers" "$(cat "$SCRATCH/other")"
fi

# A new statement to intake and another address: the other keeps its copy.
sed -e 's/^Message-ID: .*/Message-ID: <mixed-1@itu.test>/' \
    -e 's/^Subject: .*/Subject: LS on mixed recipients/' \
    "$CORPUS/s01-appendix-a.eml" >"$SCRATCH/mixed.eml"
send "$SCRATCH/mixed.eml" greta.jonsson@itu.test liaisons@ietf.test bystander@example.test \
    && ok "mixed: accepted" || fail "mixed" "$(tail -3 "$SCRATCH/swaks.out")"
delivered=$((delivered + 8))
"$PF/pf-wait-delivered" "$RUN/pf" "$delivered" 30 >/dev/null
"$PF/pf-who" -t "$RUN/pf" | awk -F'\t' '$4 == "<mixed-1@itu.test>" { print $1 }' | sort >"$SCRATCH/got"
grep -qx bystander@example.test "$SCRATCH/got" && grep -qx ccamp@ietf.test "$SCRATCH/got" \
    && [ "$(wc -l <"$SCRATCH/got")" = 8 ] \
    && ok "mixed: bystander kept, 6 routed, liaisons@ kept" \
    || fail "mixed: recipients" "$(paste -sd' ' "$SCRATCH/got")"

# ---- the RCPT path with a trailing dot, which Postfix delivers to liaisons@
# (its {rcpt_addr} says so; the milter is handed the path as typed).
sed -e 's/^Message-ID: .*/Message-ID: <dot-1@ieee.test>/' "$CORPUS/s05-html-only.eml" >"$SCRATCH/dot.eml"
send "$SCRATCH/dot.eml" gparsons@ieee.test liaisons@ietf.test. \
    && ok "trailing dot: accepted" || fail "trailing dot" "$(tail -3 "$SCRATCH/swaks.out")"
delivered=$((delivered + 6))
"$PF/pf-wait-delivered" "$RUN/pf" "$delivered" 30 >/dev/null
[ "$(sql "SELECT count(*) FROM message WHERE message_id = '<dot-1@ieee.test>' AND statement IS NOT NULL")" = 1 ] \
    && ok "trailing dot: recorded as a statement" || fail "trailing dot" "not recorded"
"$PF/pf-who" -t "$RUN/pf" | awk -F'\t' '$4 == "<dot-1@ieee.test>" { print $1 }' | sort >"$SCRATCH/got"
grep -qx liaisons@ietf.test "$SCRATCH/got" && grep -qx detnet-chairs@ietf.test "$SCRATCH/got" \
    && [ "$(wc -l <"$SCRATCH/got")" = 6 ] \
    && ok "trailing dot: liaisons@ kept, routed to DetNet's chairs and 4 more" \
    || fail "trailing dot: recipients" "$(paste -sd' ' "$SCRATCH/got")"

# ---- the same message again (an MTA retry): recorded once, still routed
before=$(sql "SELECT count(*) FROM message")
send "$CORPUS/s01-appendix-a.eml" greta.jonsson@itu.test liaisons@ietf.test \
    && ok "retry of s01 accepted" || fail "retry" "$(tail -3 "$SCRATCH/swaks.out")"
delivered=$((delivered + 7))
"$PF/pf-wait-delivered" "$RUN/pf" "$delivered" 30 >/dev/null \
    && ok "retry: routed again (7 copies)" || fail "retry: copies" "not all delivered"
[ "$(sql "SELECT count(*) FROM message")" = "$before" ] && ok "retry: recorded once" \
    || fail "retry" "recorded twice"

# ---- SIGHUP: reload, same process, the next message goes through ---------
kill -HUP "$LPID"
for _ in $(seq 1 "$PF_START_WAIT"); do grep -q "reloaded" "$RUN/liaisond.log" && break; sleep 0.1; done
sleep 0.5
kill -0 "$LPID" 2>/dev/null && ok "SIGHUP: still running" || fail "SIGHUP" "liaisond died"
grep -q "reloaded" "$RUN/liaisond.log" && ok "SIGHUP: reloaded" || fail "SIGHUP" "no reload logged"
sed -e 's/^Message-ID: .*/Message-ID: <after-hup@itu.test>/' "$CORPUS/s05-html-only.eml" >"$SCRATCH/hup.eml"
send "$SCRATCH/hup.eml" gparsons@ieee.test liaisons@ietf.test \
    && ok "after SIGHUP: accepted" || fail "after SIGHUP" "$(tail -3 "$SCRATCH/swaks.out")"
[ "$(sql "SELECT count(*) FROM message WHERE message_id = '<after-hup@itu.test>'")" = 1 ] \
    && ok "after SIGHUP: recorded" || fail "after SIGHUP" "not recorded"

# ---- a read-only database: 451 and nothing lost; the retry is recorded ----
# expect_451 NAME FILE SENDER: FILE, sent to liaisons@, is answered 451 4.3.0.
expect_451() {
    local rc
    send "$2" "$3" liaisons@ietf.test
    rc=$?
    if [ "$rc" != 0 ] && grep -q "451 4.3.0" "$SCRATCH/swaks.out"; then
        ok "$1: 451 4.3.0 temporary failure"
    else
        fail "$1" "swaks exit $rc: $(grep -E '^<' "$SCRATCH/swaks.out" | tail -2)"
    fi
}
# recorded MSGID: how many incoming messages with that Message-ID are recorded.
recorded() { sql "SELECT count(*) FROM message WHERE message_id = '$1' AND direction = 'in'"; }
if [ -n "$MOUNTS" ]; then
    sed -e 's/^Message-ID: .*/Message-ID: <readonly-1@itu.test>/' "$CORPUS/s04-3gpp-template.eml" >"$SCRATCH/ro.eml"
    # liaisond keeps its database open for writing (one connection per
    # worker thread), and Linux refuses to remount a file system read-only
    # under open writers: restart liaisond around the remount.
    stop_liaisond
    mount -o remount,ro "$RUN/db" || fail "remount read-only" "mount failed"
    start_liaisond || fail "liaisond starts on a read-only database" "$(tail -3 "$RUN/liaisond.log")"
    expect_451 "read-only database" "$SCRATCH/ro.eml" kasia.nowicka@3gpp.test
    grep -Eq "temporary failure: .*(read-only|readonly|unable to open|attempt to write)" "$RUN/liaisond.log" \
        && ok "read-only database: reason logged" || fail "read-only database" "no reason in the log"
    mount -o remount,rw "$RUN/db"
    send "$SCRATCH/ro.eml" kasia.nowicka@3gpp.test liaisons@ietf.test \
        && ok "database writable again: retry accepted" || fail "retry after read-only" "$(tail -3 "$SCRATCH/swaks.out")"
    is "database writable again: recorded once" 1 "$(recorded "<readonly-1@itu.test>")"

    # fill DIR: a root-owned file takes every free block of DIR's file
    # system (dd stops at ENOSPC), so that the next write there fails.
    fill() { dd if=/dev/zero of="$1/filler" bs=64k 2>/dev/null; sync; }
    # A message of about 400 KB that spills to the spool (spool_memory_max
    # is 2k) and whose raw bytes the database must take.
    bigmail() {
        { sed -e "s/^Message-ID: .*/Message-ID: $1/" -e '/^$/q' "$CORPUS/s01-appendix-a.eml"
          head -c 300000 /dev/urandom | base64 -w 76; } >"$2"
    }

    # A full spool: 451, nothing recorded; room again: the retry is
    # recorded once.
    bigmail "<spool-full@itu.test>" "$SCRATCH/big.eml"
    fill "$RUN/spool"
    expect_451 "full spool" "$SCRATCH/big.eml" greta.jonsson@itu.test
    grep -q "temporary failure: spool: write: No space left on device" "$RUN/liaisond.log" \
        && ok "full spool: reason logged" || fail "full spool" "no reason in the log"
    is "full spool: nothing recorded" 0 \
        "$(recorded "<spool-full@itu.test>")"
    rm -f "$RUN/spool/filler"
    send "$SCRATCH/big.eml" greta.jonsson@itu.test liaisons@ietf.test
    is "spool with room again: the retry accepted" 0 $?
    is "spool with room again: recorded once" 1 \
        "$(recorded "<spool-full@itu.test>")"

    # A full database file system: 451 with SQLite's reason, the database
    # intact; room again: the retry is recorded once.
    # The WAL emptied first: frames written where it already had blocks
    # would need no new ones.  A busy timeout: liaisond's sender may be
    # writing, and a busy checkpoint answers 1 at once.
    bigmail "<db-full@itu.test>" "$SCRATCH/dbfull.eml"
    is "the WAL truncated before filling" "0|0|0" "$(sql -cmd '.timeout 5000' "PRAGMA wal_checkpoint(TRUNCATE)")"
    fill "$RUN/db"
    expect_451 "full database" "$SCRATCH/dbfull.eml" greta.jonsson@itu.test
    has "full database: SQLite's reason logged" "temporary failure: .*(database or disk is full|No space left)" \
        "$(grep "db-full\|temporary failure" "$RUN/liaisond.log" | tail -3)"
    rm -f "$RUN/db/filler"
    is "full database: the database is intact" ok "$(sql "PRAGMA integrity_check")"
    is "full database: nothing recorded" 0 \
        "$(recorded "<db-full@itu.test>")"
    send "$SCRATCH/dbfull.eml" greta.jonsson@itu.test liaisons@ietf.test
    is "database with room again: the retry accepted" 0 $?
    is "database with room again: recorded once" 1 \
        "$(recorded "<db-full@itu.test>")"
else
    # Root (which this test needs for Postfix) can mount a tmpfs: when it
    # cannot, some 17 checks of the failure policy did not run, which is
    # no pass.
    fail "read-only database and full spool" "could not mount the tmpfs they need"
fi

# ---- nothing left behind in the spool -----------------------------------
[ -z "$(ls -A "$RUN/spool")" ] && ok "spool: empty (temp files unlinked)" \
    || fail "spool" "$(ls "$RUN/spool" | head -3)"
if grep -Eq "(fatal|panic):" "$RUN/pf/maillog"; then
    fail "postfix log" "$(grep -E "(fatal|panic):" "$RUN/pf/maillog" | head -2)"
else
    ok "postfix log: no fatal or panic"
fi

# ---- SIGTERM: a clean stop -----------------------------------------------
# (Under LIAISOND_WRAPPER=valgrind, with valgrind's verdict: exit 99.)
stop_liaisond && ok "SIGTERM: exits 0"
[ ! -e "$PIDFILE" ] && [ ! -e "$SOCK" ] && ok "SIGTERM: pid file and socket removed" || fail "SIGTERM" "pid file or socket left"
