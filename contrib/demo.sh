#!/bin/bash
# contrib/demo.sh: the main job on its embedded default.  Installs the
# dependencies, builds, reads every message of the corpus into a local
# SQLite file, and shows what was understood: the list of statements and
# one statement in full.
set -eu
cd "$(dirname "$0")/.."
TOP=$(pwd)
contrib/install-deps.sh
contrib/build.sh
DEMO="$TOP/demo"
rm -rf "$DEMO"; mkdir -p "$DEMO"
DB="$DEMO/liaison.db"
ctl() { "$TOP/build/src/liaisonctl" -d "$DB" -D "$TOP/conf/directory.json" "$@"; }

echo
echo "== ingesting tests/corpus/*.eml into $DB"
for f in tests/corpus/*.eml; do
    printf '%-40s ' "$(basename "$f")"
    ctl ingest "$f" | head -n 1
done
echo
echo "== liaisonctl list"
ctl list
echo
echo "== liaisonctl show 3"
ctl show 3 | sed -n '1,/^Message-ID:/p'
echo
echo "database: $DB   (liaisonctl -d $DB list | show ID | show --json ID)"
