#!/bin/sh
# The sync and collector rows of `make bench`: starts a throwaway
# PostgreSQL (scripts/pg-test.sh) for the figures beside SQLite's, runs
# bench_collector's three modes in a scratch folder on the build disk,
# and stops PostgreSQL again. BUILD names the build folder.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD:-$top/build/release}
bench=$build/bench/bench_collector
work=$build/bench-collector
rm -rf "$work"
mkdir -p "$work"
pg_dir=$work/pg
pg=
# fsync on, as a real deployment runs (the tests' server runs without).
if PV_PG_FSYNC=on "$top/scripts/pg-test.sh" start "$pg_dir" >"$work/pg.log" 2>&1; then
  pg=$(cat "$pg_dir/conninfo")
  trap '"$top/scripts/pg-test.sh" stop "$pg_dir" >/dev/null 2>&1 || true' EXIT INT TERM
else
  echo "collector-bench: PostgreSQL did not start (see $work/pg.log); SQLite rows only"
fi
"$bench" sync "$work"
"$bench" ingest "$work" "$pg"
"$bench" export "$work" "$pg"
"$bench" animateur "$work"
