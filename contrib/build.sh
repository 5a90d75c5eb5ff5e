#!/bin/bash
# contrib/build.sh: configure and build in the source tree (the layout the
# demo and the tests use), regenerating the autotools files when needed.
set -eu
cd "$(dirname "$0")/.."
[ -x configure ] || autoreconf -fi >/dev/null
[ -f Makefile ] || ./configure -q
make -j"$(nproc)" >/dev/null
echo "build: src/liaisonctl built"
