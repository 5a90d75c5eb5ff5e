#!/bin/bash
# bench/rss-50mb.sh: liaisond's peak memory growth for one intake message
# carrying a 50 MB attachment, through a private Postfix on 127.0.0.1.
#
# Usage: bench/rss-50mb.sh [LIAISOND [MB]]
#   LIAISOND  the daemon to measure (default: $BUILDDIR or $LIAISON_BUILDDIR
#             /src/liaisond, else
#             build/src/liaisond); give an older build to compare
#   MB        decoded size of the attachment (default 50)
#
# What it does: starts liaisond (unix socket, spool_memory_max at its
# default of 1 MB, running as nobody) and a private Postfix
# (tests/postfix/pf-start) that uses it as its milter; sends one corpus
# statement first, so that everything a first message initialises
# (SQLite, GMime, libxml2, the thread) is in the baseline; reads VmHWM
# (peak resident set) from /proc; sends one statement with an MB MB
# attachment of random bytes (base64, about 1.35 x MB on the wire) with
# swaks; waits until it is recorded; reads VmHWM again.  Then it checks
# what was stored: the attachment's size and SHA-256 against the source
# (sqlite3's writefile() output against sha256sum), and the stored raw
# message's body against the body sent, byte for byte (the header block
# may differ by what the MTA adds; swaks adds a last line end).
#
# Prints "key: value" lines; the last is "rss_growth_kb: N".  Not a test:
# it asserts nothing about the figure (the target, issue 3 item 8, is under
# 16 MB), but exits 1 when the stored bytes are wrong.  Needs root,
# postfix, swaks and sqlite3.  KEEP=1 keeps the run directory.
set -u

SRC=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${BUILDDIR:-${LIAISON_BUILDDIR:-$SRC/build}}
LIAISOND=${1:-$BUILD/src/liaisond}
MB=${2:-50}
PF=$SRC/tests/postfix
CORPUS=$SRC/tests/corpus
PATH=$PATH:/usr/sbin:/sbin

die() { echo "rss-50mb: $*" >&2; exit 1; }
[ "$(id -u)" = 0 ] || die "needs root (a private Postfix)"
for t in postfix swaks sqlite3 base64 sha256sum; do
    command -v $t >/dev/null || die "$t not installed"
done
[ -x "$LIAISOND" ] || die "no liaisond at $LIAISOND"
LIAISOND=$(cd "$(dirname "$LIAISOND")" && pwd)/$(basename "$LIAISOND")

RUN=$(mktemp -d /tmp/liaison-rss.XXXXXX)
chmod 755 "$RUN"
mkdir -p "$RUN/db" "$RUN/spool" "$RUN/run"
RUN_USER=nobody
chown "$RUN_USER" "$RUN/db" "$RUN/spool" "$RUN/run"
DB=$RUN/db/liaison.db
SOCK=$RUN/run/liaisond.sock
PORT=
for p in $(seq 10300 10400); do
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then PORT=$p; break; fi
done
[ -n "$PORT" ] || die "no free port in 10300..10400"

cat >"$RUN/liaisond.conf" <<EOF
socket = unix:$SOCK
intake = liaisons@ietf.test
database = $DB
directory = $CORPUS/directory.json
spool_dir = $RUN/spool
user = $RUN_USER
pidfile = $RUN/run/liaisond.pid
EOF

LPID=
cleanup() {
    [ -n "$LPID" ] && kill -TERM "$LPID" 2>/dev/null && wait "$LPID" 2>/dev/null
    "$PF/pf-stop" "$RUN/pf" >/dev/null 2>&1
    [ "${KEEP:-}" = 1 ] || rm -rf "$RUN"
}
trap cleanup EXIT

"$LIAISOND" -f -c "$RUN/liaisond.conf" >>"$RUN/liaisond.log" 2>&1 &
LPID=$!
for _ in $(seq 1 50); do [ -S "$SOCK" ] && break; sleep 0.1; done
[ -S "$SOCK" ] || die "liaisond did not start: $(tail -3 "$RUN/liaisond.log")"
"$PF/pf-start" "$RUN/pf" "$PORT" "unix:$SOCK" >"$RUN/pf.out" 2>&1 \
    || die "pf-start: $(cat "$RUN/pf.out")"

sql() { runuser -u "$RUN_USER" -- sqlite3 -batch -noheader "$DB" "$@"; }
hwm() { awk '/^VmHWM:/ { print $2 }' "/proc/$LPID/status"; }
rss() { awk '/^VmRSS:/ { print $2 }' "/proc/$LPID/status"; }
send() {
    swaks --silent 2 --timeout 600 -s 127.0.0.1 -p "$PORT" -f "$1" -t liaisons@ietf.test \
        --data "@$2" >"$RUN/swaks.out" 2>&1 || die "swaks: $(tail -3 "$RUN/swaks.out")"
}
# wait_recorded MESSAGE-ID: until a message with it is in the database.
wait_recorded() {
    for _ in $(seq 1 600); do
        [ "$(sql "SELECT count(*) FROM message WHERE message_id = '$1'")" -ge 1 ] 2>/dev/null \
            && return 0
        sleep 0.1
    done
    die "$1 not recorded: $(tail -3 "$RUN/liaisond.log")"
}

# Warm up with one ordinary statement.
WARM=$CORPUS/s01-rfc4053-plain.eml
[ -f "$WARM" ] || WARM=$(ls "$CORPUS"/s*.eml | head -1)
send jane@example.org "$WARM"
wait_recorded "$(sed -n '/^$/q; s/^[Mm]essage-[Ii][Dd]: *\(<[^>]*>\).*/\1/p' "$WARM" | head -1)"
before=$(hwm)
rss_before=$(rss)

# The large statement, built on disk.
head -c "$((MB * 1024 * 1024))" /dev/urandom >"$RUN/attachment.pdf"
MID="<rss-$MB-mb.$$@itu.example>"
{
    printf 'From: Jane Rapporteur <jane@itu.example>\nTo: liaisons@ietf.test\n'
    printf 'Subject: New Liaison Statement, "Figures (%s MB)"\n' "$MB"
    printf 'Message-ID: %s\nDate: Mon, 1 Mar 2027 10:00:00 +0000\nMIME-Version: 1.0\n' "$MID"
    printf 'Content-Type: multipart/mixed; boundary="b-rss"\n\n--b-rss\n'
    printf 'Content-Type: text/plain; charset=utf-8\n\nFrom: ITU-T SG15\nTo: IETF CCAMP\n'
    printf 'Title: Figures\nPurpose: For information\n\nThe figures are attached.\n'
    printf -- '--b-rss\nContent-Type: application/pdf; name="figures.pdf"\n'
    printf 'Content-Transfer-Encoding: base64\n'
    printf 'Content-Disposition: attachment; filename="figures.pdf"\n\n'
    base64 -w 76 "$RUN/attachment.pdf"
    printf -- '--b-rss--\n'
} >"$RUN/large.eml"
start=$(date +%s.%N)
send jane@itu.example "$RUN/large.eml"
wait_recorded "$MID"
end=$(date +%s.%N)
after=$(hwm)

echo "liaisond: $LIAISOND"
echo "attachment_mb: $MB"
echo "message_bytes: $(stat -c %s "$RUN/large.eml")"
echo "seconds_send_to_recorded: $(echo "$end - $start" | bc 2>/dev/null || echo "?")"
echo "rss_before_kb: $rss_before"
echo "vmhwm_before_kb: $before"
echo "vmhwm_after_kb: $after"

# What was stored.
bad=0
stmt=$(sql "SELECT statement FROM message WHERE message_id = '$MID'")
size=$(sql "SELECT size FROM attachment WHERE statement = $stmt")
sha=$(sql "SELECT sha256 FROM attachment WHERE statement = $stmt")
runuser -u "$RUN_USER" -- sqlite3 "$DB" \
    "SELECT writefile('$RUN/spool/stored.bin', data) FROM attachment WHERE statement = $stmt" >/dev/null
src_sha=$(sha256sum <"$RUN/attachment.pdf" | cut -d' ' -f1)
got_sha=$(sha256sum <"$RUN/spool/stored.bin" | cut -d' ' -f1)
if [ "$size" = "$((MB * 1024 * 1024))" ] && [ "$sha" = "$src_sha" ] && [ "$got_sha" = "$src_sha" ]; then
    echo "attachment_stored: ok (size $size, sha256 $src_sha)"
else
    echo "attachment_stored: WRONG (size $size, column $sha, bytes $got_sha, source $src_sha)"
    bad=1
fi
runuser -u "$RUN_USER" -- sqlite3 "$DB" \
    "SELECT writefile('$RUN/spool/raw.eml', raw) FROM message WHERE message_id = '$MID'" >/dev/null
# swaks ends DATA with a line end of its own before the final dot, so the
# stored body may be one LF longer than the file's.
sed '1,/^$/d' "$RUN/large.eml" >"$RUN/spool/sent.body"
sed '1,/^$/d' "$RUN/spool/raw.eml" >"$RUN/spool/stored.body"
sent=$(stat -c %s "$RUN/spool/sent.body")
stored=$(stat -c %s "$RUN/spool/stored.body")
if cmp -s -n "$sent" "$RUN/spool/sent.body" "$RUN/spool/stored.body" &&
   { [ "$stored" = "$sent" ] ||
     { [ "$stored" = "$((sent + 1))" ] && [ "$(tail -c 1 "$RUN/spool/stored.body" | od -An -c | tr -d ' ')" = '\n' ]; }; }; then
    echo "raw_body_stored: ok (body byte-identical to the one sent, $(stat -c %s "$RUN/spool/raw.eml") bytes stored)"
else
    echo "raw_body_stored: WRONG"
    bad=1
fi
rm -f "$RUN"/spool/*.body "$RUN"/spool/*.bin "$RUN"/spool/raw.eml
left=$(find "$RUN/spool" -mindepth 1 | wc -l)
echo "spool_files_left: $left"
echo "rss_growth_kb: $((after - before))"
exit $bad
