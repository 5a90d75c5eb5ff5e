#!/bin/bash
# tests/miltertest/run.sh: run every tests/miltertest/*.lua with miltertest
# against a liaisond of its own (unix socket, fresh database, the corpus
# directory) started by the script itself.  Needs no root and no MTA;
# skips (77) without miltertest.
set -u
. "$(dirname "$0")/../lib.sh"

if ! command -v miltertest >/dev/null; then
    echo "SKIP: miltertest not installed"; trap - EXIT; rm -rf "$SCRATCH"; exit 77
fi
for script in "$SRCDIR"/tests/miltertest/*.lua; do
    name=$(basename "$script" .lua)
    # lib.lua is what the scripts share (LIB), no test of its own.
    [ "$name" = lib ] && continue
    dir="$SCRATCH/$name"
    mkdir -p "$dir/spool"
    cat >"$dir/liaisond.conf" <<EOC
socket = unix:$dir/liaisond.sock
intake = liaisons@ietf.test
database = $dir/liaison.db
directory = $CORPUS/directory.json
spool_dir = $dir/spool
spool_memory_max = 4k
EOC
    # A script's own settings, if it has any (NAME.conf beside it).
    [ -f "${script%.lua}.conf" ] && cat "${script%.lua}.conf" >>"$dir/liaisond.conf"
    # OUT: where liaisond's own log lines go (miltertest's output, which
    # holds the daemon's standard error), for a script that reads them.
    if miltertest -D "LIAISOND=$BUILDDIR/src/liaisond" -D "CONF=$dir/liaisond.conf" \
        -D "SOCK=$dir/liaisond.sock" -D "CORPUS=$CORPUS" -D "OUT=$dir/out" \
        -D "LIB=$SRCDIR/tests/miltertest/lib.lua" -s "$script" >"$dir/out" 2>&1; then
        ok "$name.lua ($(grep -c '^ok' "$dir/out") checks)"
    else
        fail "$name.lua" "$(grep -v '^ok' "$dir/out" | tail -5)"
        sed 's/^/    /' "$dir/out" | tail -20
    fi
done
