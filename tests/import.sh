#!/bin/bash
# tests/import.sh: liaisonctl import, a site's history brought in: the
# corpus as an mbox (out of order, with mboxrd quoting and a bounce's
# MAILER-DAEMON line) and as a Maildir, recorded as liaisonctl ingest
# records each message in date order, dated by their Date, nothing
# queued, the raw bytes the sender's; a second run records nothing; the
# closing of old statements; a message that is not mail, a missing path
# and a locked database, each caused on purpose.
. "$(dirname "$0")/lib.sh"

DB="$SCRATCH/import.db"
REF="$SCRATCH/ref.db"
MBOX="$SCRATCH/archive.mbox"
ctl() { "$CTL" -d "$DB" "$@"; }

# A statement of our own, the earliest, with lines the mbox must quote.
quoting_statement "$SCRATCH/q.eml"

# The answer (s09) before the statement it answers (s01), the bounce with
# the null sender's From_ line.
FILES="$SCRATCH/q.eml"
for f in s09 s01 s02 s03 s04 s05 s06 s07 s08 s10 s11 s12 s13 s14; do
    FILES="$FILES $(ls "$CORPUS/$f"-*.eml)"
done
for f in $FILES; do
    case $f in *s11-*) mbox_add "$MBOX" "$f" MAILER-DAEMON ;; *) mbox_add "$MBOX" "$f" ;; esac
done

# The oracle: each file through liaisonctl ingest, in the order of its
# Date (the bounce with the null sender).
DATED=$(for f in $FILES; do
    python3 -c 'import email.utils, sys
print(int(email.utils.parsedate_to_datetime(open(sys.argv[1], encoding="latin-1").read().split("\nDate: ", 1)[1].split("\n", 1)[0]).timestamp()), sys.argv[1])' "$f"
done | sort -s -n -k1,1 | cut -d' ' -f2)
for f in $DATED; do
    case $f in *s11-*) s="<>" ;; *) s="" ;; esac
    "$CTL" -d "$REF" ingest ${s:+-f "$s"} "$f" >/dev/null 2>&1 || fail "oracle: ingest $f" "exit $?"
done
# project DB: what a reading yields, in id order, not when it was recorded.
project() {
    "$CTL" -d "$1" list --json | jq -c 'map({id, title, from, to, purpose, deadline, groups})'
}

# --- --dry-run: read and dated, nothing recorded ----------------------------
# The last Date (s14's) shown as today while it is still to come.
last=$(date -u -d "@$(( $(date -u +%s) < $(date -u -d 2026-11-29T09:15:00Z +%s) ? $(date -u +%s) : $(date -u -d 2026-11-29T09:15:00Z +%s) ))" +%F)
check_exit "import --dry-run: 0" 0 ctl import --dry-run "$MBOX"
check_grep "dry run: the messages and their dates" "^import: 15 messages dated 2026-10-01 to $last$" "$SCRATCH/out"
check "dry run: no database made" test ! -e "$DB"

# --- the mbox: recorded as ingest records each in date order ---------------
T0=$(date -u +%s)
check_exit "import the mbox: 0" 0 ctl import "$MBOX"
T1=$(date -u +%s)
check_grep "import: the summary" "^import: 15 of 15 messages read in [0-9.]+ s: 12 statements, 1 correspondence, 1 automatic, 1 bounce; 0 recorded before; 0 not recorded$" "$SCRATCH/out"
is "import: the statements as ingest in date order records them" "$(project "$REF")" "$(project "$DB")"
is "import: the answer placed first threads onto its statement" \
    "correspondence LS on OTN beyond-400G control plane extensions" \
    "$(sqlite3 "$DB" "SELECT m.kind || ' ' || s.title FROM message m JOIN statement s ON s.id = m.statement WHERE m.message_id = '<reply-1@ietf.test>'")"
is "import: the bounce (MAILER-DAEMON) is a bounce" "bounce" \
    "$(sqlite3 "$DB" "SELECT kind FROM message WHERE message_id = '<dsn-1@mx.ietf.test>'")"
is "import: nothing queued" "0" "$(count_rows "$DB" outbox)"

# Every message and statement dated by its Date (a Date still to come: the
# time it was recorded), every event by its message's.
check "import: messages, statements and events dated by the Date" python3 - "$DB" "$T0" "$T1" $FILES <<'EOF'
import email, email.utils, sqlite3, sys
from datetime import datetime, timezone
db = sqlite3.connect(sys.argv[1])
t0, t1 = int(sys.argv[2]), int(sys.argv[3])
bad = []
for path in sys.argv[4:]:
    msg = email.message_from_binary_file(open(path, "rb"))
    want = int(email.utils.parsedate_to_datetime(msg["Date"]).timestamp())
    row = db.execute("SELECT received FROM message WHERE message_id = ?", (msg["Message-ID"],)).fetchone()
    got = int(datetime.strptime(row[0], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc).timestamp())
    if not (got == want if want <= t0 else min(want, t0) <= got <= min(want, t1 + 1)):
        bad.append((path, row[0], want))
for sid, received, mreceived in db.execute(
        "SELECT s.id, s.received, m.received FROM statement s JOIN message m"
        " ON m.statement = s.id AND m.kind = 'statement'"):
    if received != mreceived:
        bad.append(("statement", sid, received, mreceived))
for row in db.execute("SELECT e.id, e.at, m.received FROM event e JOIN message m ON m.id = e.message"
                      " WHERE e.at != m.received"):
    bad.append(("event",) + row)
if bad:
    print("dated otherwise:", bad, file=sys.stderr)
sys.exit(1 if bad else 0)
EOF
# The bytes recorded are the sender's: the quoting and the mbox's blank
# line taken off.
check "import: every message recorded byte for byte as sent" python3 - "$DB" $FILES <<'EOF'
import sqlite3, sys
raws = {bytes(r[0]) for r in sqlite3.connect(sys.argv[1]).execute("SELECT raw FROM message")}
missing = [p for p in sys.argv[2:] if open(p, "rb").read() not in raws]
if missing:
    print("not recorded byte for byte:", missing, file=sys.stderr)
sys.exit(1 if missing else 0)
EOF

# The From_ line's MAILER-DAEMON is the null sender: a read receipt from
# a person's address, no Auto-Submitted, is a bounce only with it.
printf 'From: Greta Jonsson <greta.jonsson@itu.test>\nTo: liaisons@ietf.test\nSubject: Read: LS on OTN\nDate: Mon, 02 Nov 2026 10:00:00 +0000\nMessage-ID: <rr-1@itu.test>\n\nYour message was read.\n' >"$SCRATCH/rr.eml"
mbox_add "$SCRATCH/rr0.mbox" "$SCRATCH/rr.eml" MAILER-DAEMON
mbox_add "$SCRATCH/rr1.mbox" "$SCRATCH/rr.eml" greta.jonsson@itu.test
"$CTL" -d "$SCRATCH/rr0.db" import "$SCRATCH/rr0.mbox" >/dev/null 2>&1
"$CTL" -d "$SCRATCH/rr1.db" import "$SCRATCH/rr1.mbox" >/dev/null 2>&1
is "null sender: from MAILER-DAEMON's From_ line, a bounce" "bounce" "$(sqlite3 "$SCRATCH/rr0.db" "SELECT kind FROM message")"
is "null sender: from another's, not one" "statement" "$(sqlite3 "$SCRATCH/rr1.db" "SELECT kind FROM message")"

# --- the same archive again: nothing new ------------------------------------
n=$(count_rows "$DB" message)
check_exit "import again: 0" 0 ctl import "$MBOX"
check_grep "again: all recorded before" ": 0 statements, 0 correspondence, 0 automatic, 0 bounces; 15 recorded before; 0 not recorded$" "$SCRATCH/out"
is "again: no message recorded twice" "$n" "$(count_rows "$DB" message)"

# --- a Maildir whose names are in the wrong order ---------------------------
MD="$SCRATCH/Maildir"
mkdir -p "$MD/new" "$MD/cur" "$MD/tmp"
i=100
for f in $FILES; do
    i=$((i - 1))
    case $((i % 2)) in 0) d=new ;; *) d=cur ;; esac
    cp "$f" "$MD/$d/$i.M1P1.host.test:2,S"
done
: >"$MD/new/0.M0P0.host.test"        # a delivery that failed
check_exit "import a Maildir: 0" 0 "$CTL" -d "$SCRATCH/md.db" import "$MD"
check_grep "Maildir: an empty file named, left out" "import: .*/new/0.M0P0.host.test: an empty file, left out" "$SCRATCH/err"
# Two statements sent at the same second may take each other's ids: the
# same statements, compared without them.
bytitle() { "$CTL" -d "$1" list --json | jq -c 'map({title, from, to, purpose, deadline, groups}) | sort_by(.title)'; }
is "Maildir: the same statements" "$(bytitle "$REF")" "$(bytitle "$SCRATCH/md.db")"
is "Maildir: the answer threads onto its statement" "correspondence" \
    "$(sqlite3 "$SCRATCH/md.db" "SELECT kind FROM message WHERE message_id = '<reply-1@ietf.test>'")"

# --- --close-before: old statements closed when they were received ---------
check_exit "import --close-before: 0" 0 "$CTL" -d "$SCRATCH/old.db" import --close-before 2026-11-24 "$MBOX"
want=$(sqlite3 "$SCRATCH/old.db" "SELECT count(*) FROM statement WHERE received < '2026-11-24'")
check_grep "close-before: the summary counts the closed" "^import: .*: 12 statements \($want closed as received before 2026-11-24\)" "$SCRATCH/out"
is "close-before: those received before the day closed, dated then; the rest open" "0" \
    "$(sqlite3 "$SCRATCH/old.db" "SELECT count(*) FROM statement WHERE (received < '2026-11-24') != (state = 'closed') OR (state = 'closed' AND closed != received)")"
check "close-before: some of each" test "$want" -gt 0 -a "$want" -lt 12
is "close-before: the closings (events without a message) dated when their statement came" "$want|0" \
    "$(sqlite3 "$SCRATCH/old.db" "SELECT count(*), sum(e.at != s.received) FROM event e JOIN statement s ON s.id = e.statement WHERE e.message IS NULL")"
is "close-before: each closing an event of the import, with the day" "$want" \
    "$(sqlite3 "$SCRATCH/old.db" "SELECT count(*) FROM event WHERE what = 'closed' AND actor = 'liaisonctl import' AND detail = 'imported: received before 2026-11-24'")"
# A second run with a later day closes the statements recorded before too.
check_exit "import --close-before a later day, again: 0" 0 "$CTL" -d "$SCRATCH/old.db" import --close-before 2026-11-27 "$MBOX"
is "close-before again: the statements recorded before and now older closed" \
    "$(sqlite3 "$SCRATCH/old.db" "SELECT count(*) FROM statement WHERE received < '2026-11-27'")" \
    "$(sqlite3 "$SCRATCH/old.db" "SELECT count(*) FROM statement WHERE state = 'closed'")"

# --- --close-before and statements recorded before -------------------------
# One recorded live (now), then found by an import whose day is later: it
# is closed, dated when it came, not at the copy's Date.
"$CTL" -d "$SCRATCH/live.db" ingest "$SCRATCH/q.eml" >/dev/null
check_exit "close-before over a statement recorded live: 0" 0 \
    "$CTL" -d "$SCRATCH/live.db" import --close-before 2099-01-01 "$MBOX"
is "recorded live: closed, dated when it came (after the copy's Date)" "closed|1|1" \
    "$(sqlite3 "$SCRATCH/live.db" "SELECT s.state, s.closed = s.received, e.at = s.received FROM statement s JOIN event e ON e.statement = s.id AND e.what = 'closed' WHERE s.message_id = '<q-1@itu.test>'")"
# A chair reopens one the import closed; the same import again leaves it.
reid=$(sqlite3 "$SCRATCH/old.db" "SELECT id FROM statement WHERE state = 'closed' ORDER BY id LIMIT 1")
"$CTL" -d "$SCRATCH/old.db" reopen --reason "still to answer" "$reid" >/dev/null
check_exit "close-before again after a reopening: 0" 0 "$CTL" -d "$SCRATCH/old.db" import --close-before 2026-11-27 "$MBOX"
is "a reopened statement stays open" "open" "$(sqlite3 "$SCRATCH/old.db" "SELECT state FROM statement WHERE id = $reid")"

# --- CRLF, an undated message, a folder within a folder ---------------------
# An archive written with CRLF: the same bytes as the LF copy recorded
# before, so nothing is recorded twice.
sed 's/$/\r/' "$MBOX" >"$SCRATCH/crlf.mbox"
check_exit "a CRLF mbox over the LF one recorded: 0" 0 ctl import "$SCRATCH/crlf.mbox"
check_grep "CRLF: every message recorded before" ": 0 statements, 0 correspondence, 0 automatic, 0 bounces; 15 recorded before; 0 not recorded$" "$SCRATCH/out"
check_exit "a CRLF mbox into a new database: 0" 0 "$CTL" -d "$SCRATCH/crlf.db" import "$SCRATCH/crlf.mbox"
is "CRLF: the statements of the LF one" "$(project "$REF")" "$(project "$SCRATCH/crlf.db")"
# No Date: the From_ line's date; a folder in the folder named, left out.
mkdir -p "$SCRATCH/fold/sub"
printf 'From archive@lists.ietf.test Mon Oct  5 10:00:00 2026\nFrom: Greta Jonsson <greta.jonsson@itu.test>\nTo: liaisons@ietf.test\nSubject: LS without a date\nMessage-ID: <nd-1@itu.test>\n\nTitle: LS without a date\nFrom: ITU-T Study Group 15\nTo: IETF CCAMP WG\n\nText.\n' >"$SCRATCH/fold/nd.mbox"
cp "$SCRATCH/q.eml" "$SCRATCH/fold/sub/"
check_exit "a folder with an undated mbox and a folder: 0" 0 "$CTL" -d "$SCRATCH/nd.db" import "$SCRATCH/fold"
is "undated: the From_ line's date" "2026-10-05T10:00:00Z" "$(sqlite3 "$SCRATCH/nd.db" "SELECT received FROM statement")"
check_grep "a folder within the folder: named, left out" "import: .*/fold/sub: a folder, left out" "$SCRATCH/err"
check_exit "a directory that cannot be loaded: 78" 78 env LIAISON_DIRECTORY="$SCRATCH/no-such.json" "$CTL" -d "$SCRATCH/nd.db" import "$SCRATCH/fold"

# --- what is not mail: said with its place, the rest recorded ----------------
# GMime reads nothing after a message without a header: the rest is read
# anew from the next From_ line.
printf 'From x Sat Nov 28 09:15:00 2026\nhello, this is not mail\n\n' >"$SCRATCH/bad.mbox"
mbox_add "$SCRATCH/bad.mbox" "$CORPUS/s03-itu-template.eml"
check_exit "an mbox with a message that is not mail: 65" 65 "$CTL" -d "$SCRATCH/bad.db" import "$SCRATCH/bad.mbox"
check_grep "not mail: its file, place and byte" "import: .*bad.mbox, message 1 \(byte 32\): not recorded: not a mail message" "$SCRATCH/err"
check_grep "not mail: counted" ": 1 statement, 0 correspondence, 0 automatic, 0 bounces; 0 recorded before; 1 not recorded$" "$SCRATCH/out"
is "not mail: the other message recorded" "1" "$(count_rows "$SCRATCH/bad.db" statement)"
mbox_add "$SCRATCH/mid.mbox" "$CORPUS/s01-appendix-a.eml"
cat "$SCRATCH/bad.mbox" >>"$SCRATCH/mid.mbox"
mbox_add "$SCRATCH/mid.mbox" "$CORPUS/s05-html-only.eml"
check_exit "not mail between two messages: 65" 65 "$CTL" -d "$SCRATCH/mid.db" import "$SCRATCH/mid.mbox"
check_grep "between: the one not mail named" "mid.mbox, message 2 \(byte [0-9]+\): not recorded: not a mail message" "$SCRATCH/err"
is "between: the three others recorded, byte for byte" "3|3" \
    "$(sqlite3 "$SCRATCH/mid.db" "SELECT count(*), sum(raw IN (SELECT readfile(p) FROM (SELECT '$CORPUS/s01-appendix-a.eml' p UNION ALL SELECT '$CORPUS/s03-itu-template.eml' UNION ALL SELECT '$CORPUS/s05-html-only.eml'))) FROM message")"

# The next From_ line read across the scan's 64 KiB chunks: the newline
# before it 65,533 bytes after where the scan starts (byte 32), so that
# "\nFrom " is cut by the first chunk's end.
{ printf 'From x Sat Nov 28 09:15:00 2026\n'
  python3 -c 'import sys; sys.stdout.write(("x" * 99 + "\n") * 655 + "y" * 33 + "\n")'
} >"$SCRATCH/edge.mbox"
mbox_add "$SCRATCH/edge.mbox" "$CORPUS/s03-itu-template.eml"
check_exit "a From_ line across the scan's chunks: 65" 65 "$CTL" -d "$SCRATCH/edge.db" import "$SCRATCH/edge.mbox"
check_grep "across chunks: the one not mail named" "edge.mbox, message 1 \\(byte 32\\): not recorded: not a mail message" "$SCRATCH/err"
check_grep "across chunks: counted" ": 1 statement, 0 correspondence, 0 automatic, 0 bounces; 0 recorded before; 1 not recorded$" "$SCRATCH/out"
is "across chunks: the statement after it recorded, byte for byte" "1" \
    "$(sqlite3 "$SCRATCH/edge.db" "SELECT count(*) FROM message WHERE raw = readfile('$CORPUS/s03-itu-template.eml')")"

# --- usage and missing input: nothing recorded ------------------------------
check_exit "no path: 64" 64 "$CTL" -d "$SCRATCH/none.db" import
check_exit "--close-before not a day: 64" 64 "$CTL" -d "$SCRATCH/none.db" import --close-before 2026-13-01 "$MBOX"
check_exit "a path that is not there: 66" 66 "$CTL" -d "$SCRATCH/none.db" import "$MBOX" "$SCRATCH/no-such.mbox"
check_grep "missing path: named" "no-such.mbox: No such file or directory" "$SCRATCH/err"
check "missing path: nothing recorded, no database made" test ! -e "$SCRATCH/none.db"

# A compressed archive: named with what it is and what to do, nothing
# recorded, as for a path that cannot be read (not one message that is no
# mail).  zstd's own frame when zstd(1) is not installed.
python3 - "$MBOX" "$SCRATCH/z" <<'PYEND'
import bz2, gzip, lzma, sys
data = open(sys.argv[1], "rb").read()
for ext, f in (("gz", gzip.compress), ("bz2", bz2.compress), ("xz", lzma.compress)):
    open(sys.argv[2] + "." + ext, "wb").write(f(data))
PYEND
if command -v zstd >/dev/null; then
    zstd -q -c "$MBOX" >"$SCRATCH/z.zst"
else
    printf '\x28\xb5\x2f\xfd\x04\x58\x91\x00\x00From: a@b.test\n\nx\n\xd3\xc9\xdf\xde' >"$SCRATCH/z.zst"
fi
for c in gz:gzip:gunzip bz2:bzip2:bunzip2 xz:xz:unxz zst:zstd:unzstd; do
    IFS=: read -r ext kind undo <<<"$c"
    check_exit "a $kind-compressed archive: 66" 66 "$CTL" -d "$SCRATCH/none.db" import "$MBOX" "$SCRATCH/z.$ext"
    check_grep "$kind: says what it is and to decompress it" "import: .*/z\.$ext: $kind-compressed, not mail; decompress it first \($undo\)" "$SCRATCH/err"
done
check "compressed: nothing recorded, no database made" test ! -e "$SCRATCH/none.db"
mkdir -p "$SCRATCH/zmd/cur" "$SCRATCH/zmd/new"
cp "$CORPUS/s03-itu-template.eml" "$SCRATCH/zmd/cur/1.host:2,S"
gzip -c "$CORPUS/s04-3gpp-template.eml" >"$SCRATCH/zmd/cur/2.host:2,S"
check_exit "a Maildir with a compressed message: 66" 66 "$CTL" -d "$SCRATCH/none.db" import "$SCRATCH/zmd"
check_grep "compressed in a Maildir: the file named" "import: .*/zmd/cur/2\.host:2,S: gzip-compressed" "$SCRATCH/err"
check "compressed in a Maildir: nothing recorded" test ! -e "$SCRATCH/none.db"

# --- a locked database: 75, nothing recorded ---------------------------------
cp "$SCRATCH/bad.db" "$SCRATCH/lk.db"
printf 'busy_timeout_ms = 200\n' >"$SCRATCH/fast.conf"
if db_lock "$SCRATCH/lk.db"; then
    check_exit "import while another holds the write lock: 75" 75 \
        "$CTL" -c "$SCRATCH/fast.conf" -d "$SCRATCH/lk.db" import "$MBOX"
    check_grep "locked: says so" "database is locked" "$SCRATCH/err"
    check_grep "locked: the summary reads none (the first stopped it)" "^import: 0 of 15 messages read in [0-9.]+ s: 0 statements, 0 correspondence, 0 automatic, 0 bounces; 0 recorded before; 0 not recorded$" "$SCRATCH/out"
    db_unlock
    is "locked: nothing recorded" "1" "$(count_rows "$SCRATCH/lk.db" statement)"
else
    fail "db_lock" "the lock was not taken: $(cat "$SCRATCH/locker.out")"
fi

# --- a disk that fills half way: 75, what was recorded stays, the same
# import again goes on from there ------------------------------------------
{
    printf 'From: Big Sender <big@itu.test>\nTo: liaisons@ietf.test\nSubject: LS with a large annex\n'
    printf 'Date: Sun, 29 Nov 2026 10:00:00 +0000\nMessage-ID: <big-1@itu.test>\nMIME-Version: 1.0\n'
    printf 'Content-Type: multipart/mixed; boundary="b"\n\n--b\nContent-Type: text/plain\n\n'
    printf 'From: ITU-T Study Group 15\nTo: IETF CCAMP WG\nPurpose: For Information\n\n'
    printf -- '--b\nContent-Type: application/pdf\nContent-Transfer-Encoding: base64\n'
    printf 'Content-Disposition: attachment; filename="annex.pdf"\n\n'
    head -c 6291456 /dev/urandom | base64
    printf -- '--b--\n'
} >"$SCRATCH/big.eml"
cp "$MBOX" "$SCRATCH/big.mbox"
mbox_add "$SCRATCH/big.mbox" "$SCRATCH/big.eml"
FULL="$SCRATCH/full"
mkdir -p "$FULL"
if mount -t tmpfs -o size=8m tmpfs "$FULL"; then
    t_cleanup "umount -l '$FULL' 2>/dev/null"
    check_exit "a disk that fills at the last message: 75" 75 "$CTL" -d "$FULL/f.db" import "$SCRATCH/big.mbox"
    check_grep "full: the reason, and that a second run goes on" \
        "import stopped: .*(database or disk is full|No space left).*the same import again goes on from there" "$SCRATCH/err"
    check_grep "full: the summary says how far it came (not the message it stopped at)" "^import: 15 of 16 messages read in [0-9.]+ s: 12 statements, 1 correspondence, 1 automatic, 1 bounce; 0 recorded before; 0 not recorded$" "$SCRATCH/out"
    check "full: the database intact" test "$(sqlite3 "$FULL/f.db" 'PRAGMA integrity_check')" = ok
    is "full: what was recorded stays" "15" "$(count_rows "$FULL/f.db" message)"
    mount -o remount,size=64m "$FULL"
    check_exit "room again, the same import: 0" 0 "$CTL" -d "$FULL/f.db" import "$SCRATCH/big.mbox"
    check_grep "room again: the rest recorded" ": 1 statement, 0 correspondence, 0 automatic, 0 bounces; 15 recorded before; 0 not recorded$" "$SCRATCH/out"
    is "room again: every message once" "16" "$(count_rows "$FULL/f.db" message)"
    umount "$FULL"
else
    fail "full disk case" "cannot mount a tmpfs"
fi
