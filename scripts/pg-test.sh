#!/bin/sh
# pg-test.sh start DIR | stop DIR
#
# A throwaway PostgreSQL server for the tests (ctest fixture "pg"): start
# makes a fresh cluster in DIR (Debian's postgresql, trust auth), serves it
# on 127.0.0.1 at a free port and on a socket in DIR, and writes a libpq
# conninfo line to DIR/conninfo; stop shuts it down and removes DIR.
# Run as root (CI), the server runs as the postgres user.
set -eu

PG_BIN=${PG_BIN:-$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)}
[ -x "$PG_BIN/initdb" ] || { echo "pg-test: no PostgreSQL in /usr/lib/postgresql (apt install postgresql)" >&2; exit 1; }

usage() { echo "usage: $0 start|stop DIR" >&2; exit 2; }
[ $# -eq 2 ] || usage
cmd=$1
dir=$2
case $dir in /*) ;; *) dir=$(pwd)/$dir ;; esac

# Runs a PostgreSQL program as the user that owns the cluster.
as_pg() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

# The cluster lives in a fresh folder under /tmp (the postgres user may
# not reach DIR's parents); DIR/cluster names it.
stop() {
  if [ -f "$dir/cluster" ]; then
    cluster=$(cat "$dir/cluster")
    case $cluster in
      */pv-pg.*)
        if [ -f "$cluster/data/postmaster.pid" ]; then
          as_pg "$PG_BIN/pg_ctl" -D "$cluster/data" -m fast -w stop >/dev/null 2>&1 || true
        fi
        rm -rf "$cluster" ;;
    esac
  fi
  rm -rf "$dir"
}

# A port nobody listens on now; start retries if it was taken meanwhile.
free_port() {
  while :; do
    port=$(( 20000 + $(od -An -N2 -tu2 /dev/urandom | tr -d ' ') % 40000 ))
    if command -v ss >/dev/null 2>&1; then
      ss -Htln "sport = :$port" | grep -q . || { echo "$port"; return; }
    else
      echo "$port"; return
    fi
  done
}

start() {
  stop
  mkdir -p "$dir"
  cluster=$(mktemp -d "${TMPDIR:-/tmp}/pv-pg.XXXXXX")
  echo "$cluster" >"$dir/cluster"
  chmod 755 "$cluster"
  if [ "$(id -u)" = 0 ]; then chown postgres: "$cluster"; fi
  as_pg "$PG_BIN/initdb" -D "$cluster/data" -A trust -U postgres -E UTF8 --locale=C \
    >"$dir/initdb.log" 2>&1 || { cat "$dir/initdb.log" >&2; exit 1; }
  tries=0
  while :; do
    port=$(free_port)
    # fsync=off: a throwaway server whose data nobody needs after the tests;
    # the collector's own durability is not what these tests measure.
    # Benchmarks set PV_PG_FSYNC=on to compare with SQLite's synchronous=FULL.
    if as_pg "$PG_BIN/pg_ctl" -D "$cluster/data" -l "$cluster/server.log" -w -t 60 \
        -o "-p $port -k $cluster -c listen_addresses=127.0.0.1 -c fsync=${PV_PG_FSYNC:-off} -c max_connections=200" \
        start >/dev/null; then
      break
    fi
    tries=$((tries + 1))
    if [ $tries -ge 5 ]; then cat "$cluster/server.log" >&2; exit 1; fi
  done
  n=0
  until "$PG_BIN/pg_isready" -q -h 127.0.0.1 -p "$port"; do
    n=$((n + 1))
    [ $n -lt 100 ] || { cat "$cluster/server.log" >&2; exit 1; }
    sleep 0.1
  done
  echo "host=127.0.0.1 port=$port user=postgres dbname=postgres" >"$dir/conninfo.tmp"
  mv "$dir/conninfo.tmp" "$dir/conninfo"
  echo "pg-test: PostgreSQL on 127.0.0.1:$port ($cluster)"
}

case $cmd in
  start) start ;;
  stop) stop ;;
  *) usage ;;
esac
