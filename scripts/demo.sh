#!/bin/sh
# make demo: lints the sample surveys, then starts the kiosk on them with
# the sample config: in a 1280x800 window when there is a display, else
# headless, touring every screen in French and Arabic into screenshots.
# (The collector and sync join with their issue.)
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
bin=$top/build/release/kiosk/pv-kiosk
demo=$top/build/demo
mkdir -p "$demo"
"$bin" check "$top/content/surveys"
if [ -n "${DISPLAY:-}${WAYLAND_DISPLAY:-}" ]; then
  echo "demo: starting the kiosk in a window (Escape quits); answers go to $demo/kiosk.db"
  exec "$bin" --window 1280x800 --config "$top/content/kiosk.json" \
    --surveys "$top/content/surveys" --db "$demo/kiosk.db"
fi
echo "demo: no display here; touring the kiosk headless instead"
for lang in fr ar; do
  sed "s/LANG/$lang/g" "$top/tests/scripts/tour.txt" > "$demo/tour-$lang.txt"
  "$bin" --headless --config "$top/content/kiosk.json" --surveys "$top/content/surveys" \
    --db "$demo/kiosk.db" --size 800x480 --script "$demo/tour-$lang.txt" \
    --shots "$demo/shots-$lang"
done
echo "demo: screenshots in $demo/shots-fr and $demo/shots-ar; answers in $demo/kiosk.db"
