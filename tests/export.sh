#!/bin/bash
# tests/export.sh: liaisonctl export, the mail recorded written out as an
# mbox, and read back by import: the corpus recorded live, exported, and
# imported into an empty database gives the same statements and the same
# messages, byte for byte, received when they were; mboxrd quoting, the
# bounce's MAILER-DAEMON line, one statement's mail, a span of days, and
# standard output; a missing database, a FILE that cannot be made, the
# database itself as FILE, a disk that fills and a full standard output,
# each caused on purpose.
. "$(dirname "$0")/lib.sh"

SRC="$SCRATCH/src.db"
OUT="$SCRATCH/all.mbox"

# A statement with lines an mbox must quote.
quoting_statement "$SCRATCH/q.eml"

# A statement whose From is a bare MAILER-DAEMON, which must not come
# back as a bounce, and one with a 200 kB annex, more than a pipe holds.
cat >"$SCRATCH/md.eml" <<'EOF'
From: MAILER-DAEMON
To: liaisons@ietf.test
Subject: LS from a mailer of its own
Date: Fri, 02 Oct 2026 08:00:00 +0000
Message-ID: <md-1@itu.test>

Title: LS from a mailer of its own
From: ITU-T Study Group 15
To: IETF CCAMP WG
Purpose: For information
EOF
{
    printf 'From: Big Sender <big@itu.test>\nTo: liaisons@ietf.test\nSubject: LS with an annex\n'
    printf 'Date: Sat, 03 Oct 2026 10:00:00 +0000\nMessage-ID: <big-1@itu.test>\nMIME-Version: 1.0\n'
    printf 'Content-Type: multipart/mixed; boundary="b"\n\n--b\nContent-Type: text/plain\n\n'
    printf 'Title: LS with an annex\nFrom: ITU-T Study Group 15\nTo: IETF CCAMP WG\nPurpose: For Information\n\n'
    printf -- '--b\nContent-Type: application/pdf\nContent-Transfer-Encoding: base64\n'
    printf 'Content-Disposition: attachment; filename="annex.pdf"\n\n'
    head -c 150000 /dev/urandom | base64
    printf -- '--b--\n'
} >"$SCRATCH/big.eml"

# The database as liaisond records live mail: each file ingested in turn
# (the answer s09 after its statement s01, the bounce with the null
# sender), each received now.
for f in "$SCRATCH/q.eml" "$SCRATCH/md.eml" "$SCRATCH/big.eml" "$CORPUS"/s*.eml; do
    case $f in *s11-*) s="<>" ;; *) s="" ;; esac
    "$CTL" -d "$SRC" ingest ${s:+-f "$s"} "$f" >/dev/null 2>&1 || fail "setup: ingest $f" "exit $?"
done
MSGS=$(sqlite3 "$SRC" "SELECT count(*) FROM message WHERE direction = 'in'")
STMTS=$(sqlite3 "$SRC" "SELECT count(DISTINCT statement) FROM message WHERE direction = 'in'")

# --- the whole record ---------------------------------------------------------
check_exit "export FILE: 0" 0 "$CTL" -d "$SRC" export "$OUT"
check_grep "export: the summary" "^exported $MSGS messages of $STMTS statements \([0-9.]+ kB\) to $OUT$" "$SCRATCH/out"
is "export: the size said is the file's" "$(python3 -c 'import os, sys; n = os.path.getsize(sys.argv[1]); print("%.1f kB" % (n / 1000))' "$OUT")" \
    "$(sed -n 's/.*(\([0-9.]* kB\)).*/\1/p' "$SCRATCH/out")"
is "export: one From_ line a message" "$MSGS" "$(grep -c '^From ' "$OUT")"
is "export: FILE is the owner's alone (0600)" "600" "$(stat -c %a "$OUT")"
is "export: the bounce's From_ line is MAILER-DAEMON's, and only the bounce's" "1" "$(grep -ci '^From MAILER-DAEMON ' "$OUT")"
check_grep "export: a From_ line names the sender" "^From greta\.jonsson@itu\.test [A-Z][a-z]{2} [A-Z][a-z]{2} [ 0-9]{2} [0-9:]{8} [0-9]{4}$" "$OUT"
check_grep "mboxrd: \"From \" gets a '>'" "^>From the start of a line" "$OUT"
check_grep "mboxrd: \">From \" gets one more" "^>>From a line a mailer quoted once" "$OUT"
check_grep "mboxrd: \">>From \" gets one more" "^>>>From a line quoted twice" "$OUT"
check "export: nothing left beside FILE" test -z "$(ls -A "$SCRATCH" | grep '^\.liaison-export-')"

# An export killed part-way (here at its fsync, the mail all written)
# leaves nothing: its file has no name (O_TMPFILE) until it is whole.
if command -v strace >/dev/null; then
    echo "the export of yesterday" >"$SCRATCH/killed.mbox"
    # In a subshell of its own, whose stderr takes the shell's "Killed".
    (strace -o /dev/null -e trace=fsync -e inject=fsync:signal=KILL \
        "$CTL" -d "$SRC" export "$SCRATCH/killed.mbox" >/dev/null 2>&1; exit $?) 2>/dev/null
    rc=$?
    is "a killed export: killed (137)" "137" "$rc"
    is "a killed export: FILE left as it was" "the export of yesterday" "$(cat "$SCRATCH/killed.mbox")"
    is "a killed export: nothing left beside FILE" "" "$(ls -A "$SCRATCH" | grep '^\.liaison-export-')"
else
    fail "a killed export" "no strace(1) to kill it at its fsync"
fi

# Where the file system gives no file without a name, the temporary file
# is named: what a killed export left is removed by the next; one at work
# is not.
echo "mail of a killed export" >"$SCRATCH/.liaison-export-AAAAAA"
echo "mail of an export at work" >"$SCRATCH/.liaison-export-BBBBBB"
# The lock is this shell's own (flock(1) on fd 9), taken before the
# export starts: a holder in the background, held for a fixed time, let
# the export run before it had the lock on a loaded machine.  The export
# is not given fd 9 (it would share the lock's open file).
exec 9<"$SCRATCH/.liaison-export-BBBBBB"
flock -x 9
check_exit "export beside leftovers: 0" 0 "$CTL" -d "$SRC" export "$SCRATCH/again.mbox" 9<&-
check "a killed export's file: removed" test ! -e "$SCRATCH/.liaison-export-AAAAAA"
check "an export at work's file: kept" test -e "$SCRATCH/.liaison-export-BBBBBB"
exec 9<&-
rm -f "$SCRATCH/.liaison-export-BBBBBB"

# --- read back: the same record -------------------------------------------------
# messages DB: each message received, as (digest of its bytes, kind, when).
messages() {
    python3 - "$1" <<'PYEND'
import hashlib, sqlite3, sys
c = sqlite3.connect(sys.argv[1])
for r in sorted((hashlib.sha256(raw).hexdigest(), kind or "", rec) for raw, kind, rec in
                c.execute("SELECT raw, kind, received FROM message WHERE direction = 'in'")):
    print(*r)
PYEND
}
# statements DB: what each statement holds, and when it came.
statements() {
    sqlite3 "$1" "SELECT title, from_body, to_body, purpose, ifnull(deadline, ''), state, received
                  FROM statement ORDER BY received, title"
}
check_exit "import --from-line-dates of the export: 0" 0 "$CTL" -d "$SCRATCH/back.db" import --from-line-dates "$OUT"
is "read back: every message, byte for byte, of its kind, received when it was" \
    "$(messages "$SRC")" "$(messages "$SCRATCH/back.db")"
is "read back: the same statements, received when they were" \
    "$(statements "$SRC")" "$(statements "$SCRATCH/back.db")"
# on DB: the kinds of the messages received on each statement.
on() {
    sqlite3 "$1" "SELECT s.title, m.kind FROM message m JOIN statement s ON s.id = m.statement
                  WHERE m.direction = 'in' ORDER BY 1, 2"
}
is "read back: answers on the same statements" "$(on "$SRC")" "$(on "$SCRATCH/back.db")"
check_exit "import of the export without --from-line-dates: 0" 0 "$CTL" -d "$SCRATCH/dated.db" import "$OUT"
is "without --from-line-dates: dated by Date" "2026-10-01T08:00:00Z" \
    "$(sqlite3 "$SCRATCH/dated.db" "SELECT received FROM statement WHERE title = 'LS on quoting in archives'")"
check_exit "the export imported again into its own database: 0" 0 "$CTL" -d "$SRC" import "$OUT"
check_grep "into its own database: every message known" "; $MSGS recorded before; 0 not recorded$" "$SCRATCH/out"

# --- a saved .eml: CRLF, no final newline ---------------------------------------
# ingest records a file as the milter and import record mail (LF line
# ends, a final newline), so that its export imported into the same
# database is known, as are the file again and the LF copy.
E03="$CORPUS/s03-itu-template.eml"
E04="$CORPUS/s04-3gpp-template.eml"
sed 's/$/\r/' "$E03" >"$SCRATCH/crlf.eml"
printf '%s' "$(cat "$E04")" | sed 's/$/\r/' >"$SCRATCH/nonl.eml"
check "setup: a CRLF file" grep -q $'\r$' "$SCRATCH/crlf.eml"
check "setup: a CRLF file without a final newline" test "$(tail -c 1 "$SCRATCH/nonl.eml")" = $'\r'
check_exit "ingest a CRLF file: 0" 0 "$CTL" -d "$SCRATCH/crlf.db" ingest "$SCRATCH/crlf.eml"
check_exit "ingest one without a final newline: 0" 0 "$CTL" -d "$SCRATCH/crlf.db" ingest "$SCRATCH/nonl.eml"
is "CRLF: recorded with LF line ends and a final newline, as the LF files" "2" \
    "$(sqlite3 "$SCRATCH/crlf.db" "SELECT count(*) FROM message WHERE raw IN (readfile('$E03'), readfile('$E04'))")"
check_exit "the CRLF file again: 0" 0 "$CTL" -d "$SCRATCH/crlf.db" ingest "$SCRATCH/crlf.eml"
check_grep "the CRLF file again: recorded before" "^already recorded: statement " "$SCRATCH/out"
check_exit "its LF copy: 0" 0 "$CTL" -d "$SCRATCH/crlf.db" ingest "$E03"
check_grep "its LF copy: recorded before" "^already recorded: statement " "$SCRATCH/out"
check_exit "export of the CRLF files: 0" 0 "$CTL" -d "$SCRATCH/crlf.db" export "$SCRATCH/crlf.mbox"
check_exit "the export imported into the same database: 0" 0 "$CTL" -d "$SCRATCH/crlf.db" import "$SCRATCH/crlf.mbox"
check_grep "into the same database: both recorded before" ": 0 statements, 0 correspondence, 0 automatic, 0 bounces; 2 recorded before; 0 not recorded$" "$SCRATCH/out"
is "nothing recorded twice" "2" "$(sqlite3 "$SCRATCH/crlf.db" "SELECT count(*) FROM message WHERE direction = 'in'")"
check_exit "the files imported as they are: 0" 0 "$CTL" -d "$SCRATCH/crlf.db" import "$SCRATCH/crlf.eml" "$SCRATCH/nonl.eml"
check_grep "imported as they are: recorded before" "; 2 recorded before; 0 not recorded$" "$SCRATCH/out"

# --- standard output ---------------------------------------------------------
check_exit "export -: 0" 0 "$CTL" -d "$SRC" export -
check "export -: the same bytes as FILE" cmp -s "$SCRATCH/out" "$OUT"
check_grep "export -: the summary on standard error" "^exported $MSGS messages of $STMTS statements .* to standard output$" "$SCRATCH/err"
# A reader that stops early ends it as it ends cat, quietly, even when
# SIGPIPE was ignored by whoever started it.
( trap '' PIPE; "$CTL" -d "$SRC" export - 2>"$SCRATCH/pipe.err" | head -c 10 >/dev/null; echo "${PIPESTATUS[0]}" >"$SCRATCH/pipe.rc" )
is "export - | head: ended by SIGPIPE (141)" "141" "$(cat "$SCRATCH/pipe.rc")"
is "export - | head: nothing said" "" "$(cat "$SCRATCH/pipe.err")"
if command -v script >/dev/null; then
    script -qec "'$CTL' -d '$SRC' export -" /dev/null >"$SCRATCH/tty.out" 2>&1; rc=$?
    is "export - on a terminal: 64" "64" "$rc"
    check_grep "on a terminal: said, no mail shown" "standard output is a terminal" "$SCRATCH/tty.out"
else
    fail "export - on a terminal" "no script(1) for a terminal"
fi

# --- standard output held back: the database's log still checkpointed ---------
# A reader that takes its time (a pager left open; here one stopped) must
# not hold the export's snapshot as long: while one is held SQLite cannot
# checkpoint the -wal file past it, and every message recorded meanwhile
# grows it.  Once the export has read the database (its mail spooled in
# TMPDIR), a checkpoint empties the log; the reader, let go, gets all the
# mail of the snapshot, none of what came after.
WDB="$SCRATCH/wal.db"
"$CTL" -d "$WDB" ingest "$SCRATCH/big.eml" >/dev/null 2>&1 || fail "setup: ingest into wal.db" "exit $?"
"$CTL" -d "$WDB" ingest "$SCRATCH/q.eml" >/dev/null 2>&1 || fail "setup: ingest into wal.db" "exit $?"
mkfifo "$SCRATCH/wal.fifo"
sh -c 'kill -STOP $$; exec cat' <"$SCRATCH/wal.fifo" >"$SCRATCH/wal.mbox" &
reader=$!
t_cleanup "kill -CONT $reader 2>/dev/null; kill $reader 2>/dev/null"
"$CTL" -d "$WDB" export - >"$SCRATCH/wal.fifo" 2>"$SCRATCH/wal.err" &
exporter=$!
t_cleanup "kill $exporter 2>/dev/null"
# The export reads its snapshot whole, into TMPDIR, before it writes a
# byte: once it is held in a write to the stopped reader, the messages
# below come after its snapshot, however slowly it started (an ASan
# build on a loaded machine took it after the first of them).  Where
# /proc/PID/wchan says nothing, the wait gives up after 30 s.
for _ in $(seq 1 300); do
    [ "$(cat "/proc/$exporter/wchan" 2>/dev/null)" = pipe_write ] && break
    sleep 0.1
done
# 20 messages of 200 kB recorded while the reader waits: 14 MB of log.
for i in $(seq 1 20); do
    sed "s/^Message-ID: <big-1@/Message-ID: <big-w$i@/; s/^Subject: LS with an annex/& $i/; s/^Title: LS with an annex/& $i/" \
        "$SCRATCH/big.eml" >"$SCRATCH/w.eml"
    "$CTL" -d "$WDB" ingest "$SCRATCH/w.eml" >/dev/null 2>&1 || fail "ingest $i while the export waits" "exit $?"
done
is "setup: 22 messages recorded" "22" "$(sqlite3 "$WDB" "SELECT count(*) FROM message WHERE direction = 'in'")"
# The export may still be reading on a loaded machine: up to 10 s.
for _ in $(seq 1 100); do
    ckpt=$(sqlite3 "$WDB" "PRAGMA wal_checkpoint(TRUNCATE)")
    [ "$ckpt" = "0|0|0" ] && break
    sleep 0.1
done
is "export - to a reader held back: the log checkpointed whole" "0|0|0" "$ckpt"
is "export - to a reader held back: the log emptied" "0" "$(stat -c %s "$WDB-wal")"
# The reader stops itself once the export has opened the FIFO: a CONT
# sent before that is lost, and the reader then stops for good (the test
# hung with a reader 45 s late).  Until its state is T (at most 60 s).
for _ in $(seq 1 600); do
    [ "$(sed 's/.*) //' "/proc/$reader/stat" 2>/dev/null | cut -d' ' -f1)" = T ] && break
    sleep 0.1
done
kill -CONT "$reader"
wait "$exporter"; rc=$?
wait "$reader"
is "export - to a reader held back: 0 once it reads" "0" "$rc"
is "export - to a reader held back: the mail of its snapshot, none after" "2" "$(grep -c '^From ' "$SCRATCH/wal.mbox")"
check_grep "export - to a reader held back: the summary" "^exported 2 messages of 2 statements .* to standard output$" "$SCRATCH/wal.err"

# --- one statement's mail -----------------------------------------------------
S01=$(sqlite3 "$SRC" "SELECT statement FROM message WHERE message_id = (SELECT message_id FROM message WHERE kind = 'statement' AND raw = readfile('$(ls "$CORPUS"/s01-*.eml)'))")
N01=$(sqlite3 "$SRC" "SELECT count(*) FROM message WHERE statement = $S01 AND direction = 'in'")
check "setup: statement s01 has its answer" test "$N01" -ge 2
check_exit "export FILE ID: 0" 0 "$CTL" -d "$SRC" export "$SCRATCH/one.mbox" "$S01" "$S01"
is "export ID: that statement's messages, once though named twice" "$N01" "$(grep -c '^From ' "$SCRATCH/one.mbox")"
check_grep "export ID: the summary" "^exported $N01 messages of 1 statement " "$SCRATCH/out"
check_exit "export FILE of no such statement: 1" 1 "$CTL" -d "$SRC" export "$SCRATCH/none.mbox" "$S01" 999
check_grep "no such statement: named" "no statement 999" "$SCRATCH/err"
check "no such statement: nothing written" test ! -e "$SCRATCH/none.mbox"
check_exit "export FILE x: 64" 64 "$CTL" -d "$SRC" export "$SCRATCH/none.mbox" x
check_exit "export FILE +ID: 64, not that statement's mail" 64 "$CTL" -d "$SRC" export "$SCRATCH/none.mbox" "+$S01"
check "export FILE +ID: nothing written" test ! -e "$SCRATCH/none.mbox"

# --- a span of days ------------------------------------------------------------
# The mbox as an archive has it, imported: each message dated by its Date.
for f in "$SCRATCH/q.eml" "$CORPUS"/s*.eml; do
    case $f in *s11-*) mbox_add "$SCRATCH/arch.mbox" "$f" MAILER-DAEMON ;; *) mbox_add "$SCRATCH/arch.mbox" "$f" ;; esac
done
"$CTL" -d "$SCRATCH/arch.db" import "$SCRATCH/arch.mbox" >/dev/null 2>&1
in_span() {
    sqlite3 "$SCRATCH/arch.db" "SELECT count(*) FROM message WHERE direction = 'in'
        AND substr(received, 1, 10) BETWEEN '$1' AND '$2'"
}
WANT=$(in_span 2026-11-20 2026-11-25)
check "setup: some messages in the span, not all" test "$WANT" -gt 0 -a "$WANT" -lt "$MSGS"
check_exit "export --since --until: 0" 0 "$CTL" -d "$SCRATCH/arch.db" export --since 2026-11-20 --until 2026-11-25 "$SCRATCH/span.mbox"
is "--since --until: what came on those days" "$WANT" "$(grep -c '^From ' "$SCRATCH/span.mbox")"
check_exit "export --since: 0" 0 "$CTL" -d "$SCRATCH/arch.db" export --since 2026-11-20 "$SCRATCH/span.mbox"
is "--since: what came on that day and after" "$(in_span 2026-11-20 9999-12-31)" "$(grep -c '^From ' "$SCRATCH/span.mbox")"
check_exit "--since after --until: 64" 64 "$CTL" -d "$SCRATCH/arch.db" export --since 2026-11-26 --until 2026-11-25 "$SCRATCH/span.mbox"
check_exit "--until not a day: 64" 64 "$CTL" -d "$SCRATCH/arch.db" export --until 2026-02-30 "$SCRATCH/span.mbox"
check_exit "no FILE: 64" 64 "$CTL" -d "$SCRATCH/arch.db" export

# --- what cannot be done: said, nothing lost ------------------------------------
check_exit "no database: 66" 66 "$CTL" -d "$SCRATCH/no.db" export "$SCRATCH/x.mbox"
check "no database: none made" test ! -e "$SCRATCH/no.db"
check_exit "FILE in no folder: 73" 73 "$CTL" -d "$SRC" export "$SCRATCH/no/such/x.mbox"
mkdir "$SCRATCH/dir"
check_exit "FILE a folder: 73" 73 "$CTL" -d "$SRC" export "$SCRATCH/dir"
sum=$(md5sum <"$SRC")
check_exit "FILE the database itself: 73" 73 "$CTL" -d "$SRC" export "$SRC"
check_grep "the database itself: said" "is the database or one of its files" "$SCRATCH/err"
is "the database itself: left as it was" "$sum" "$(md5sum <"$SRC")"
ln -s "$SRC" "$SCRATCH/link.db"
check_exit "FILE a link to the database: 73" 73 "$CTL" -d "$SRC" export "$SCRATCH/link.db"
check_exit "FILE the database's -journal, not there: 73" 73 "$CTL" -d "$SRC" export "$SRC-journal"
check "the -journal: not made" test ! -e "$SRC-journal"
check_exit "FILE the database by another name: 73" 73 "$CTL" -d "$SRC" export "$SCRATCH/dir/../src.db"
mkfifo "$SCRATCH/fifo"
check_exit "FILE a FIFO: 73" 73 "$CTL" -d "$SRC" export "$SCRATCH/fifo"
check "a FIFO: still a FIFO" test -p "$SCRATCH/fifo"
ln -s /dev/null "$SCRATCH/null"
check_exit "FILE a link to a device: 73" 73 "$CTL" -d "$SRC" export "$SCRATCH/null"
check "a device: still a device" test -c /dev/null
echo "kept" >"$SCRATCH/target"
ln -s "$SCRATCH/target" "$SCRATCH/tlink"
check_exit "FILE a link to a file: 0, the link replaced" 0 "$CTL" -d "$SRC" export "$SCRATCH/tlink"
check "a link replaced: now the export" cmp -s "$SCRATCH/tlink" "$OUT"
is "a link replaced: its target left as it was" "kept" "$(cat "$SCRATCH/target")"
check_exit "options after FILE: 0" 0 "$CTL" -d "$SCRATCH/arch.db" export "$SCRATCH/span2.mbox" --since 2026-11-20 --until 2026-11-25
is "options after FILE: the same span" "$WANT" "$(grep -c '^From ' "$SCRATCH/span2.mbox")"
if [ -w /dev/full ]; then
    check_exit "standard output full: 74" 74 sh -c '"$1" -d "$2" export - >/dev/full' sh "$CTL" "$SRC"
    check_grep "standard output full: said" "cannot write standard output: No space left on device" "$SCRATCH/err"
    # Smaller than stdio's buffer: only the last flush finds it full.
    Q=$(sqlite3 "$SRC" "SELECT id FROM statement WHERE title = 'LS on quoting in archives'")
    check_exit "standard output full at the last flush: 74" 74 sh -c '"$1" -d "$2" export - "$3" >/dev/full' sh "$CTL" "$SRC" "$Q"
else
    fail "full standard output" "no /dev/full"
fi
FULL="$SCRATCH/full"
mkdir -p "$FULL"
if mount -t tmpfs -o size=1m tmpfs "$FULL"; then
    t_cleanup "umount -l '$FULL' 2>/dev/null"
    echo "the export of yesterday" >"$FULL/all.mbox"
    # All but a few kB taken: the export's first chunk fills it.
    head -c 1040000 /dev/zero >"$FULL/filler" 2>/dev/null || true
    check_exit "a disk that fills: 74" 74 "$CTL" -d "$SRC" export "$FULL/all.mbox"
    check_grep "full: the reason" "cannot write .*all\.mbox: No space left on device" "$SCRATCH/err"
    is "full: FILE left as it was" "the export of yesterday" "$(cat "$FULL/all.mbox")"
    is "full: no temporary file left" "" "$(ls -A "$FULL" | grep '^\.liaison-export-')"
    # A pipe's export is held in TMPDIR until the database is read.
    check_exit "export - to a pipe, TMPDIR full: 74" 74 bash -c 'set -o pipefail; TMPDIR="$3" "$1" -d "$2" export - | cat >/dev/null' _ "$CTL" "$SRC" "$FULL"
    check_grep "TMPDIR full: the reason" "cannot write in .*/full, to hold the export for standard output: No space left on device" "$SCRATCH/err"
    is "TMPDIR full: nothing left there" "all.mbox filler" "$(ls -A "$FULL" | sort | tr '\n' ' ' | sed 's/ $//')"
    rm -f "$FULL/filler"
    check_exit "room again: 0" 0 "$CTL" -d "$SRC" export "$FULL/all.mbox"
    check "room again: the whole export in FILE's place" cmp -s "$FULL/all.mbox" "$OUT"
    umount "$FULL"
else
    fail "full disk case" "cannot mount a tmpfs"
fi

