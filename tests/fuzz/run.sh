#!/bin/bash
# tests/fuzz/run.sh: build the libFuzzer targets with clang (ASan + UBSan)
# straight from the core sources, then fuzz each one for a while over the
# seed corpus.  Exits non-zero on any crash, leak, timeout, out-of-memory
# or sanitizer report, and prints the path of the input that reproduces it.
#
# Usage: tests/fuzz/run.sh OUTDIR
#   FUZZ_SECONDS   seconds per target (default 60)
#   FUZZ_TARGETS   targets to run (default "fuzz_message fuzz_envelope fuzz_ingest")
#   FUZZ_JOBS      targets fuzzed at the same time (default: the CPUs)
#   FUZZ_SEED      libFuzzer's random seed, -seed=N to each target
#                  (default 1); "random" (or 0): libFuzzer picks one
#   FUZZ_BUILD_ONLY=1  build and write the seeds, do not fuzz
#
# The seed is 1 unless FUZZ_SEED is set: CI (tests/run-all.sh, which sets
# only FUZZ_SECONDS) then mutates the same way from run to run, and does
# not turn red on a crash the change under test did not add.  A fixed seed
# repeats a run only with the same code, the same OUTDIR/corpus-TARGET
# (kept between runs: start from an empty OUTDIR) and the same speed
# (-max_total_time ends a slower machine's run sooner).  FUZZ_SEED=random
# looks for new findings: libFuzzer logs the seed it picked ("INFO: Seed:
# N" in OUTDIR/TARGET.log), and FUZZ_SEED=N runs it again.
#
# The autotools build uses gcc and cannot link libFuzzer, so the core
# library (src/*.c without the programs' mains and the milter glue) is
# compiled again here, with -fsanitize=fuzzer-no-link.  Exit 77 (skip)
# when clang or its libFuzzer runtime (libclang-rt-14-dev) is missing.
#
# Reproduce a finding:  OUTDIR/fuzz_message FILE
# Keep it:              cp FILE tests/fuzz/crashes/   (once fixed: every
#                       file there is run as a seed, so it must pass)
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
TOP=$(cd "$HERE/../.." && pwd)
[ $# -eq 1 ] || { echo "usage: $0 OUTDIR" >&2; exit 2; }
OUT=$1
SECONDS_PER=${FUZZ_SECONDS:-60}
TARGETS=${FUZZ_TARGETS:-"fuzz_message fuzz_envelope fuzz_ingest"}
JOBS=${FUZZ_JOBS:-$(nproc)}
CC=${FUZZ_CC:-clang}
SEED=${FUZZ_SEED:-1}
case $SEED in
    random) SEED_OPT="" ;;
    *[!0-9]*|"") echo "$0: FUZZ_SEED must be a number or \"random\", not '$SEED'" >&2; exit 2 ;;
    *) SEED_OPT="-seed=$SEED" ;;
esac

if ! command -v "$CC" >/dev/null 2>&1; then
    echo "fuzz: $CC not found (Debian: apt-get install clang libclang-rt-14-dev); skipped"
    exit 77
fi
mkdir -p "$OUT" || exit 1
OUT=$(cd "$OUT" && pwd)
mkdir -p "$OUT/obj" "$OUT/include" "$OUT/seeds" "$OUT/artifacts"

# libFuzzer's runtime is a separate package from clang itself.
echo 'int LLVMFuzzerTestOneInput(const char *d, unsigned long n) { return 0; }' \
    >"$OUT/obj/probe.c"
if ! "$CC" -fsanitize=fuzzer "$OUT/obj/probe.c" -o "$OUT/obj/probe" 2>/dev/null; then
    echo "fuzz: $CC cannot link libFuzzer (Debian: apt-get install libclang-rt-14-dev); skipped"
    exit 77
fi

# ---- build ----------------------------------------------------------------
PKGS="gmime-3.0 sqlite3 libpcre2-8 json-glib-1.0 libxml-2.0 libetpan"
PKG_CFLAGS=$(pkg-config --cflags $PKGS) || exit 1
# libetpan's .pc carries gcc's -specs=; clang does not know it.
PKG_LIBS=$(pkg-config --libs $PKGS | tr ' ' '\n' | grep -v '^-specs=' | tr '\n' ' ') || exit 1
VERSION=$(sed -n 's/^AC_INIT(\[[^]]*\], *\[\([^]]*\)\].*/\1/p' "$TOP/configure.ac")
cat >"$OUT/include/config.h" <<EOF
/* config.h for the fuzz build (tests/fuzz/run.sh), not from configure. */
#define PACKAGE "liaisond"
#define PACKAGE_NAME "liaisond"
#define PACKAGE_VERSION "${VERSION:-0}"
#define VERSION "${VERSION:-0}"
EOF
SAN="-fsanitize=address,undefined -fno-sanitize-recover=undefined"
CFLAGS="-std=c11 -g -O1 -fno-omit-frame-pointer -Wall -Wno-unused-parameter
    $SAN -D_GNU_SOURCE -I$OUT/include -I$TOP/src -I$TOP/tests/unit
    -DSRCDIR=\"$TOP\" -DSYSCONFDIR=\"/etc\" -DLOCALSTATEDIR=\"/var\"
    $PKG_CFLAGS"
export CC CFLAGS OUT

# The core: every module of src/ except the programs and the milter glue.
CORE=""
for f in "$TOP"/src/*.c; do
    case "$(basename "$f")" in
        liaisonctl.c|ctl.c|ctl_*.c|liaisond.c|milter.c|sender.c) continue ;;
    esac
    CORE="$CORE $f"
done
echo "fuzz: building into $OUT"
# shellcheck disable=SC2086
if ! printf '%s\n' $CORE | xargs -P "$JOBS" -I{} sh -c \
        'o="$OUT/obj/$(basename "{}" .c).o"; $CC $CFLAGS -fsanitize=fuzzer-no-link -c "{}" -o "$o"' \
        >"$OUT/build.log" 2>&1; then
    cat "$OUT/build.log"; echo "fuzz: build failed"; exit 1
fi
rm -f "$OUT/obj/libliaison-fuzz.a"
ar rcs "$OUT/obj/libliaison-fuzz.a" "$OUT"/obj/*.o 2>>"$OUT/build.log" || exit 1
for t in fuzz_message fuzz_envelope fuzz_ingest; do
    # shellcheck disable=SC2086
    $CC $CFLAGS -fsanitize=fuzzer "$HERE/$t.c" "$OUT/obj/libliaison-fuzz.a" \
        $PKG_LIBS -o "$OUT/$t" >>"$OUT/build.log" 2>&1 \
        || { cat "$OUT/build.log"; echo "fuzz: building $t failed"; exit 1; }
done
# The seed generator needs no sanitizer: it only writes files.
# shellcheck disable=SC2086
$CC -std=c11 -O1 -I"$TOP/tests/unit" $(pkg-config --cflags glib-2.0) \
    "$HERE/mkseeds.c" "$TOP/tests/unit/malformed.c" $(pkg-config --libs glib-2.0) \
    -o "$OUT/obj/mkseeds" >>"$OUT/build.log" 2>&1 \
    || { cat "$OUT/build.log"; echo "fuzz: building mkseeds failed"; exit 1; }
grep 'warning:' "$OUT/build.log" | sed 's/^/fuzz: /'

# ---- seeds ------------------------------------------------------------------
# The corpus messages, every hostile message of malformed.c, and the
# inputs of past findings (tests/fuzz/crashes/, all fixed: they must pass).
rm -rf "$OUT/seeds"; mkdir -p "$OUT/seeds"
cp "$TOP"/tests/corpus/*.eml "$OUT/seeds/" || exit 1
"$OUT/obj/mkseeds" "$OUT/seeds" || exit 1
if [ -d "$HERE/crashes" ]; then
    find "$HERE/crashes" -maxdepth 1 -type f ! -name 'README*' -exec cp {} "$OUT/seeds/" \;
fi
# The huge cases (a 1 MB header line, 10,000 nested multiparts, 5,000
# parts) are each run once; mutating them would cost a tenth of a second
# an input, so the mutation corpus holds the seeds up to 64 KB.
rm -rf "$OUT/seeds-large"; mkdir -p "$OUT/seeds-large"
find "$OUT/seeds" -type f -size +64k -exec mv {} "$OUT/seeds-large/" \;
echo "fuzz: $(ls "$OUT/seeds" | wc -l) seeds, $(ls "$OUT/seeds-large" | wc -l) run once"
[ "${FUZZ_BUILD_ONLY:-0}" = 1 ] && exit 0

# ---- fuzz -----------------------------------------------------------------
# GLib's slice allocator would hide leaks and overflows from ASan.
export G_SLICE=always-malloc G_DEBUG=gc-friendly
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:allocator_may_return_null=1:quarantine_size_mb=64}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
export LIAISON_SRCDIR=$TOP

# Fuzz one target; its log is OUTDIR/TARGET.log, new inputs go to
# OUTDIR/corpus-TARGET (kept between runs), findings to OUTDIR/artifacts.
fuzz_one() {
    local t=$1
    local opts="-max_len=262144 -timeout=10 -rss_limit_mb=2048
        -malloc_limit_mb=2048 -artifact_prefix=$OUT/artifacts/$t- $SEED_OPT"
    mkdir -p "$OUT/corpus-$t"
    # shellcheck disable=SC2086
    "$OUT/$t" $opts "$OUT"/seeds-large/* >"$OUT/$t.log" 2>&1 || return
    # shellcheck disable=SC2086
    "$OUT/$t" $opts -max_total_time="$SECONDS_PER" -print_final_stats=1 \
        -dict="$HERE/mail.dict" "$OUT/corpus-$t" "$OUT/seeds" >>"$OUT/$t.log" 2>&1
}

echo "fuzz: $SECONDS_PER s per target, $JOBS at a time, seed $SEED: $TARGETS"
declare -A PIDS=()
for t in $TARGETS; do
    while [ "$(jobs -rp | wc -l)" -ge "$JOBS" ]; do wait -n; done
    fuzz_one "$t" &
    PIDS[$t]=$!
done
status=0
for t in $TARGETS; do
    wait "${PIDS[$t]}"; rc=$?
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$OUT/$t.log" | tail -n 1)
    speed=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$OUT/$t.log" | tail -n 1)
    cov=$(grep -oE 'cov: [0-9]+ ft: [0-9]+' "$OUT/$t.log" | tail -n 1)
    if [ "$rc" -eq 0 ] && ! grep -qE 'ERROR: (AddressSanitizer|LeakSanitizer|libFuzzer)|runtime error:|broken promise' "$OUT/$t.log"; then
        echo "fuzz: $t: ok, ${execs:-?} runs, ${speed:-?}/s, $cov"
        continue
    fi
    status=1
    echo "fuzz: $t: FAILED (exit $rc); log $OUT/$t.log"
    grep -E 'ERROR: |SUMMARY: |runtime error:|broken promise|^    #[0-9]+ ' "$OUT/$t.log" \
        | head -n 40 | sed 's/^/fuzz: | /'
    repro=$(sed -n 's/.*Test unit written to \(.*\)$/\1/p' "$OUT/$t.log" | tail -n 1)
    if [ -n "$repro" ]; then
        echo "fuzz: $t: reproducer: $repro"
        echo "fuzz: $t: run it again with: $OUT/$t $repro"
    fi
done
exit $status
