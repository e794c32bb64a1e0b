#!/bin/sh
# Regenerates docs/screens/: every screen and widget of the kiosk at
# 800x480 (the Raspberry Pi 7" panel), 1280x800 and 480x800 (portrait), in French and in
# Arabic, from the headless tour and animateur scripts. Run after `make build`; look at
# every picture before calling a change done.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
kiosk=${KIOSK:-$top/build/release/kiosk/pv-kiosk}
out=$top/docs/screens
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$out"
mkdir -p "$work/usb/CLE_USB" # the animateur's USB screen offers it
for script in tour animateur prompts; do
  for size in 800x480 1280x800 480x800; do
    for lang in fr ar; do
      sed "s/LANG/$lang/g" "$top/tests/scripts/$script.txt" > "$work/script.txt"
      rm -rf "$work/kiosk.db"* "$work/shots"
      PV_USB_ROOTS="$work/usb" SDL_AUDIODRIVER=dummy "$kiosk" --headless \
        --surveys "$top/content/surveys" --db "$work/kiosk.db" --size "$size" \
        --script "$work/script.txt" --shots "$work/shots" 2>"$work/log" ||
        { cat "$work/log" >&2; exit 1; }
      for f in "$work/shots"/*.png; do
        cp "$f" "$out/$size-$lang-$(basename "$f")"
      done
    done
  done
done
echo "screens: $(ls "$out"/*.png | wc -l) pictures in $out"
