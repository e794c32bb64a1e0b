#!/bin/sh
# make demo: the whole chain on one machine.
#   1. lints the sample surveys;
#   2. starts pv-collector on loopback with its embedded SQLite
#      (build/demo/collector.db), a demo territory, an enrolled device and
#      an analyst, and the sample surveys published;
#   3. starts the kiosk with a config pointing at that collector: in a
#      1280x800 window when there is a display (it syncs in the
#      background; Escape quits), else headless, touring every screen in
#      French and Arabic into screenshots;
#   4. runs one sync pass (pv-kiosk sync --once) and exports what the
#      collector holds to build/demo/export/ (CSV for spreadsheets, with
#      its codebook).
# Every run starts from empty databases. DEMO_KEEP_COLLECTOR=1 leaves the
# collector running at the end (its address is printed).
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
bin=$top/build/release
kiosk=$bin/kiosk/pv-kiosk
collector=$bin/collector/pv-collector
demo=$top/build/demo
cdb=$demo/collector.db
mkdir -p "$demo"
rm -rf "$cdb" "$cdb-wal" "$cdb-shm" "$demo/kiosk.db" "$demo/kiosk.db-wal" \
  "$demo/kiosk.db-shm" "$demo/synced" "$demo/export"

"$kiosk" check "$top/content/surveys"

echo "demo: collector database $cdb"
"$collector" territory add 34172 "Montpellier Méditerranée Métropole (démo)" --db "$cdb"
device_token=$("$collector" device add --territory 34172 "centre-social-hall" --db "$cdb" 2>/dev/null)
"$collector" analyst add --territory 34172 "cheffe-de-projet" --db "$cdb" \
  >"$demo/analyst.token" 2>/dev/null
chmod 600 "$demo/analyst.token"
for s in "$top"/content/surveys/*/; do
  "$collector" survey publish "$s" --db "$cdb"
done
# The territory's quartiers (sample codes): the kiosk gets them at its first
# sync and offers them when an animateur starts a session.
"$collector" quartier add --territory 34172 --code QN09901A --name "Les Acacias (exemple)" --db "$cdb"
"$collector" quartier add --territory 34172 --code QN09902B --name "Les Pins (exemple)" --db "$cdb"

"$collector" serve --listen 127.0.0.1:0 --db "$cdb" >"$demo/collector.out" 2>"$demo/collector.log" &
collector_pid=$!
stop_collector() {
  if [ -z "${DEMO_KEEP_COLLECTOR:-}" ]; then
    kill "$collector_pid" 2>/dev/null || true
    wait "$collector_pid" 2>/dev/null || true
  fi
}
trap stop_collector EXIT INT TERM
url=
for _ in $(seq 1 100); do
  url=$(sed -n 's/^listening on //p' "$demo/collector.out")
  [ -n "$url" ] && break
  kill -0 "$collector_pid" 2>/dev/null || { cat "$demo/collector.log" >&2; exit 1; }
  sleep 0.1
done
[ -n "$url" ] || { echo "demo: the collector did not start" >&2; exit 1; }
echo "demo: collector listening on $url (log: $demo/collector.log)"

# The kiosk's config: the sample's, with this collector and this device.
config=$demo/kiosk.json
umask 077
cat >"$config" <<EOF
{
  "comment": "Written by scripts/demo.sh: content/kiosk.json plus the demo collector.",
  "device_name": "Centre social — hall d'accueil (démo)",
  "language": "fr",
  "surveys": ["qualite-habiter", "tranquillite", "lien-social"],
  "inactivity_seconds": 40,
  "autoplay": true,
  "volume": 80,
  "sync": {
    "url": "$url",
    "token": "$device_token",
    "surveys_dir": "$demo/synced",
    "poll_seconds": 10
  }
}
EOF
umask 022

if [ -n "${DISPLAY:-}${WAYLAND_DISPLAY:-}" ]; then
  echo "demo: starting the kiosk in a window (Escape quits); it syncs to $url"
  "$kiosk" --window 1280x800 --config "$config" --surveys "$top/content/surveys" \
    --db "$demo/kiosk.db" || true
else
  echo "demo: no display here; touring the kiosk headless instead"
  for lang in fr ar; do
    sed "s/LANG/$lang/g" "$top/tests/scripts/tour.txt" >"$demo/tour-$lang.txt"
    "$kiosk" --headless --config "$config" --surveys "$top/content/surveys" \
      --db "$demo/kiosk.db" --size 800x480 --script "$demo/tour-$lang.txt" \
      --shots "$demo/shots-$lang"
  done
  echo "demo: screenshots in $demo/shots-fr and $demo/shots-ar"
fi

echo "demo: one sync pass"
"$kiosk" sync --once --config "$config" --db "$demo/kiosk.db"
"$collector" export --survey qualite-habiter --format csv --out "$demo/export" --db "$cdb"
rows=$(($(wc -l <"$demo/export/qualite-habiter.csv") - 1))
echo "demo: $rows response(s) exported to $demo/export/qualite-habiter.csv (codebook.csv beside it)"
if [ -n "${DEMO_KEEP_COLLECTOR:-}" ]; then
  echo "demo: collector left running (pid $collector_pid); as the analyst:"
  echo "  curl -H \"Authorization: Bearer \$(cat $demo/analyst.token)\" '$url/v1/export?survey=qualite-habiter&format=csv'"
else
  echo "demo: collector stopped (DEMO_KEEP_COLLECTOR=1 make demo leaves it running)"
fi
