#!/bin/bash
# contrib/build.sh: configure and build in build/ (out of the source tree,
# beside the test suite's build-asan/), regenerating the autotools files
# when needed.  Prints where the programs are.
set -eu
cd "$(dirname "$0")/.."
if [ -f Makefile ]; then
    make distclean >/dev/null 2>&1 || true   # an in-place build would block build/
fi
[ -x configure ] || autoreconf -fi >/dev/null
mkdir -p build
cd build
[ -f Makefile ] || ../configure -q
make -j"$(nproc)" >/dev/null
echo "build: build/src/liaisonctl and build/src/liaisond are built"
