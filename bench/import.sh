#!/bin/bash
# bench/import.sh ("make bench-import", and the end of "make bench"): how
# fast liaisonctl import records an archive, and the memory it takes.
# Not a test: it asserts nothing, it prints a table.
#
# An mbox of N messages is made from tests/corpus/*.eml: copies whose
# Message-ID, In-Reply-To and References get a copy number (so that no
# copy is a duplicate of another and an answer still threads onto its own
# copy's statement), dated over N hours backwards from the first of
# November 2026 and written in a shuffled order, so that the import's
# sorting is part of what is timed, with mboxrd quoting.  For each N:
#  - the scan alone (--dry-run): finding and dating every message;
#  - the whole import into a new database, as liaisond's own durable
#    commits record live mail (one transaction, one fsync, per message);
#  - the same import again: every message recorded before;
# each with its wall time, messages per second and liaisonctl's peak RSS
# (GNU time's %M).  Sizes: BENCH_IMPORT_SIZES (default "1000 10000").
#
# Environment: LIAISON_SRCDIR, LIAISON_BUILDDIR (set by make),
# BENCH_IMPORT_SIZES, BENCH_DIR (default BUILDDIR/bench-run/import).
# Appends its table to BUILDDIR/bench-results.md.
set -eu

SRCDIR=${LIAISON_SRCDIR:-$(cd "$(dirname "$0")/.." && pwd)}
BUILDDIR=${LIAISON_BUILDDIR:-$SRCDIR}
CTL="$BUILDDIR/src/liaisonctl"
SIZES=${BENCH_IMPORT_SIZES:-1000 10000}
DIR=${BENCH_DIR:-$BUILDDIR/bench-run}/import
OUT="$BUILDDIR/bench-results.md"

if [ ! -x /usr/bin/time ]; then
    DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends time >/dev/null
fi
rm -rf "$DIR"
mkdir -p "$DIR"

# mkmbox N FILE: the archive of N messages.
mkmbox() {
    python3 - "$SRCDIR/tests/corpus" "$1" "$2" <<'EOF'
import email.utils, glob, random, re, sys
from datetime import datetime, timedelta, timezone
corpus, n, out = sys.argv[1], int(sys.argv[2]), sys.argv[3]
files = sorted(glob.glob(corpus + "/*.eml"))
raws = [open(f, "rb").read() for f in files]
start = datetime(2026, 11, 1, tzinfo=timezone.utc)
ids = re.compile(rb"^(Message-ID|In-Reply-To|References):(.*(?:\n[ \t].*)*)", re.M | re.I)
msgs = []
for k in range(n):
    raw = raws[k % len(raws)]
    copy = k // len(raws)
    when = start - timedelta(hours=n - k)
    date = email.utils.format_datetime(when).encode()
    # Each copy's ids its own, its Date its place in time.
    raw = ids.sub(lambda m: m.group(1) + b":" + re.sub(rb"<([^@>]+)@", b"<\\1.c%d@" % copy, m.group(2)), raw)
    raw = re.sub(rb"^Date:.*$", b"Date: " + date, raw, count=1, flags=re.M)
    msgs.append(raw)
random.Random(1).shuffle(msgs)
with open(out, "wb") as f:
    for raw in msgs:
        f.write(b"From archive@lists.ietf.test Sun Nov  1 00:00:00 2026\n")
        f.write(re.sub(rb"^(>*From )", rb">\1", raw, flags=re.M))
        f.write(b"\n")
EOF
}

# run LABEL N COMMAND...: one timed run; a row of the table.
run() {
    local label=$1 n=$2 secs kb; shift 2
    /usr/bin/time -f '%e %M' -o "$DIR/time" "$@" >"$DIR/run.out" 2>"$DIR/run.err" || {
        echo "bench/import.sh: $label failed (exit $?): $(tail -3 "$DIR/run.err")" >&2
        exit 1
    }
    read -r secs kb <"$DIR/time"
    printf '| %s | %s | %s | %s | %s |\n' "$label" "$n" "$secs" \
        "$(awk -v n="$n" -v s="$secs" 'BEGIN { printf "%.0f", (s > 0 ? n / s : 0) }')" \
        "$(awk -v k="$kb" 'BEGIN { printf "%.1f", k / 1024 }')"
}

{
    echo
    echo "### liaisonctl import"
    echo
    echo "liaisond $(git -C "$SRCDIR" rev-parse --short HEAD 2>/dev/null || echo '?'),"
    echo "$(nproc) cores, load average at the start $(cut -d' ' -f1-3 /proc/loadavg)."
    echo
    echo "| run | messages | seconds | messages/s | peak RSS (MB) |"
    echo "| --- | --- | --- | --- | --- |"
} | tee -a "$OUT"
for n in $SIZES; do
    mkmbox "$n" "$DIR/a$n.mbox"
    run "scan only (--dry-run), $(du -m "$DIR/a$n.mbox" | cut -f1) MB mbox" "$n" \
        "$CTL" -d "$DIR/a$n.db" -D "$SRCDIR/tests/corpus/directory.json" import --dry-run "$DIR/a$n.mbox" | tee -a "$OUT"
    run "import into a new database" "$n" \
        "$CTL" -d "$DIR/a$n.db" -D "$SRCDIR/tests/corpus/directory.json" import "$DIR/a$n.mbox" | tee -a "$OUT"
    summary=$(tail -1 "$DIR/run.out")
    run "the same again (all recorded before)" "$n" \
        "$CTL" -d "$DIR/a$n.db" -D "$SRCDIR/tests/corpus/directory.json" import "$DIR/a$n.mbox" | tee -a "$OUT"
    echo "$n: $summary; database $(du -m "$DIR/a$n.db" | cut -f1) MB" >>"$DIR/summaries"
done
echo | tee -a "$OUT"
sed 's/^/    /' "$DIR/summaries" | tee -a "$OUT"
