#!/bin/sh
# kiosk-bench: the kiosk's figures, each next to its baseline in the same
# run (docs/benchmarks.md, section "Kiosk"). Run by `make bench`.
#
#  1. Cold start, exec to exit, and peak memory: pv-kiosk --headless with
#     a one-line script, versus headless Chromium screenshotting
#     bench/one-question.html (the same question screen as a web page).
#  2. Frame time while tapping through the tour at 1280x800 with the
#     software renderer (bench_frames), versus clear+present of an empty
#     frame.
#  3. CPU time of the real interactive loop idling on attract (dummy video
#     driver), versus `sleep` and an SDL program waiting for events.
#
# Environment: BUILD (default build/release), BENCH_RUNS (cold-start runs
# per row, default 10), BENCH_IDLE_SECONDS (default 60), BENCH_SKIP_CHROMIUM=1.
# Chromium comes from scripts/debian-packages-bench.txt, installed when
# root; otherwise its row is skipped with the command to install it.
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD:-$root/build/release}
case "$build" in /*) ;; *) build="$root/$build" ;; esac
runs=${BENCH_RUNS:-10}
idle_s=${BENCH_IDLE_SECONDS:-60}
settle_s=2 # idle measurement starts after start-up and the first frames
kiosk="$build/kiosk/pv-kiosk"
spawn="$build/bench/bench_spawn"
surveys="$root/content/surveys"
for f in "$kiosk" "$spawn" "$build/bench/bench_frames" "$build/bench/bench_idle_sdl"; do
  if [ ! -x "$f" ]; then
    echo "kiosk-bench: $f is missing: run \`make build\` first" >&2
    exit 1
  fi
done
tmp=$(mktemp -d "${TMPDIR:-/tmp}/pv-kiosk-bench.XXXXXX")
pids=""
cleanup() {
  for p in $pids; do kill -KILL "$p" 2>/dev/null || true; done
  rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

echo "== Kiosk ($(date -u +%Y-%m-%d), $(nproc) cores, $(uname -m)) =="

# --- 1. Cold start ------------------------------------------------------

# stat FILE KEY Q: the Q-quantile (nearest rank) of KEY=value over the
# lines of FILE.
quant() {
  sed -n "s/.*[[:space:]]$2=\([0-9.]*\).*/\1/p; s/^$2=\([0-9.]*\).*/\1/p" "$1" | sort -n |
    awk -v q="$3" '{ v[NR] = $1 } END {
      if (NR == 0) { print "nan"; exit }
      i = int(q * NR + 0.999999); if (i < 1) i = 1; if (i > NR) i = NR; print v[i] }'
}

# measure NAME CMD...: one warm-up run (page cache, store created), then
# $runs runs through bench_spawn; lines in $tmp/NAME.txt.
measure() {
  name=$1
  shift
  "$spawn" "$@" >/dev/null 2>&1 || true
  : >"$tmp/$name.txt"
  i=0
  while [ "$i" -lt "$runs" ]; do
    if ! "$spawn" "$@" >>"$tmp/$name.txt" 2>"$tmp/$name.err"; then
      echo "kiosk-bench: $name failed:" >&2
      tail -n 3 "$tmp/$name.txt" "$tmp/$name.err" >&2
      return 1
    fi
    i=$((i + 1))
  done
}

kib_to_mib() { awk -v k="$1" 'BEGIN { if (k == "nan") print "-"; else printf "%.1f", k / 1024 }'; }

row() { # row LABEL NAME
  f="$tmp/$2.txt"
  png="-"
  png90="-"
  if grep -q file_ms "$f"; then
    png=$(quant "$f" file_ms 0.5)
    png90=$(quant "$f" file_ms 0.9)
  fi
  printf "  %-36s %7s %7s %7s %7s %8s %8s %8s\n" "$1" \
    "$(quant "$f" wall_ms 0.5)" "$(quant "$f" wall_ms 0.9)" "$png" "$png90" \
    "$(kib_to_mib "$(quant "$f" main_maxrss_kib 0.5)")" \
    "$(kib_to_mib "$(quant "$f" tree_rss_kib 0.5)")" \
    "$(kib_to_mib "$(quant "$f" tree_pss_kib 0.5)")"
}

printf 'expect attract\n' >"$tmp/attract.txt"
printf 'shot first\n' >"$tmp/shot.txt"
kiosk_args="--headless --surveys $surveys --db $tmp/cold.db --size 800x480"
# shellcheck disable=SC2086
measure kiosk-attract "$kiosk" $kiosk_args --script "$tmp/attract.txt"
# The same with no audio device at all: SDL's dummy audio thread sleeps a
# whole buffer (about 90 ms) and closing the device waits for it.
# shellcheck disable=SC2086
measure kiosk-noaudio env SDL_AUDIODRIVER=no-such-device "$kiosk" $kiosk_args \
  --script "$tmp/attract.txt"
# With a screenshot, like Chromium's row: exec to the PNG closed is the
# time to the first frame (rendered and encoded), without the shutdown.
mkdir -p "$tmp/shots"
# shellcheck disable=SC2086
measure kiosk-shot --watch "$tmp/shots/first.png" "$kiosk" $kiosk_args \
  --script "$tmp/shot.txt" --shots "$tmp/shots"
# shellcheck disable=SC2086
measure kiosk-shot-noaudio --watch "$tmp/shots/first.png" \
  env SDL_AUDIODRIVER=no-such-device "$kiosk" $kiosk_args \
  --script "$tmp/shot.txt" --shots "$tmp/shots"

chromium=""
if [ "${BENCH_SKIP_CHROMIUM:-0}" = 1 ]; then
  chromium_skip="BENCH_SKIP_CHROMIUM=1"
elif command -v chromium >/dev/null 2>&1; then
  chromium=$(command -v chromium)
elif [ "$(id -u)" -eq 0 ]; then
  echo "kiosk-bench: installing Chromium for the comparison row (once)"
  if "$root/scripts/install-deps.sh" "$root/scripts/debian-packages-bench.txt" \
    >"$tmp/apt.log" 2>&1 && command -v chromium >/dev/null 2>&1; then
    chromium=$(command -v chromium)
  else
    tail -n 5 "$tmp/apt.log" >&2
    chromium_skip="apt-get install chromium failed (see above)"
  fi
else
  chromium_skip="Chromium is not installed and this is not root; to compare, run:
    sudo $root/scripts/install-deps.sh $root/scripts/debian-packages-bench.txt"
fi
if [ -n "$chromium" ]; then
  # A wrapper so every run gets a fresh profile, as a kiosk's first start would.
  cat >"$tmp/chromium-once.sh" <<EOF
#!/bin/sh
profile=\$(mktemp -d "$tmp/profile.XXXXXX")
exec "$chromium" --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \\
  --disable-background-networking --disable-component-update --disable-sync \\
  --user-data-dir="\$profile" --window-size=800,480 --screenshot="$tmp/chromium.png" \\
  "file://$root/bench/one-question.html"
EOF
  chmod +x "$tmp/chromium-once.sh"
  if ! measure chromium --watch "$tmp/chromium.png" "$tmp/chromium-once.sh"; then
    chromium=""
    chromium_skip="chromium failed (see above)"
  fi
fi
if [ -n "$chromium" ]; then
  chromium_version=$("$chromium" --version 2>/dev/null | head -n 1)
fi

echo
echo "1. Cold start at 800x480, $runs runs after one warm-up (exec to exit; exec to the"
echo "   screenshot PNG closed; peak memory of the main process and of the process tree)"
printf "  %-36s %15s %15s %8s %8s %8s\n" "" "exec to exit" "exec to PNG" "main RSS" \
  "tree RSS" "tree PSS"
printf "  %-36s %7s %7s %7s %7s %8s %8s %8s\n" "" "ms p50" "p90" "ms p50" "p90" "MiB p50" \
  "sum p50" "sum p50"
row "pv-kiosk: expect attract" kiosk-attract
row "pv-kiosk: expect attract, no audio" kiosk-noaudio
row "pv-kiosk: shot first" kiosk-shot
row "pv-kiosk: shot first, no audio" kiosk-shot-noaudio
if [ -n "$chromium" ]; then
  row "chromium --headless --screenshot" chromium
  awk -v cp="$(quant "$tmp/chromium.txt" file_ms 0.5)" \
    -v kp="$(quant "$tmp/kiosk-shot.txt" file_ms 0.5)" \
    -v ce="$(quant "$tmp/chromium.txt" wall_ms 0.5)" \
    -v ke="$(quant "$tmp/kiosk-shot.txt" wall_ms 0.5)" \
    -v kn="$(quant "$tmp/kiosk-shot-noaudio.txt" wall_ms 0.5)" \
    -v cm="$(quant "$tmp/chromium.txt" main_maxrss_kib 0.5)" \
    -v km="$(quant "$tmp/kiosk-shot.txt" main_maxrss_kib 0.5)" \
    -v cs="$(quant "$tmp/chromium.txt" tree_pss_kib 0.5)" \
    -v ks="$(quant "$tmp/kiosk-shot.txt" tree_pss_kib 0.5)" 'BEGIN {
      tg = (cp / kp >= 10) ? "met" : "NOT met"
      mg = (cs / ks >= 5) ? "met" : "NOT met"
      printf "  chromium / pv-kiosk (shot first), p50: time to first PNG %.1fx (goal >= 10x: %s);\n",
        cp / kp, tg
      printf "    exec to exit %.1fx (%.1fx without an audio device);\n", ce / ke, ce / kn
      printf "    memory %.1fx main-process RSS, %.1fx tree PSS (goal >= 5x: %s)\n",
        cm / km, cs / ks, mg }'
  echo "  ($chromium_version; $(quant "$tmp/chromium.txt" procs 0.5) processes at peak)"
else
  echo "  chromium: skipped: $chromium_skip"
fi
if [ -x /usr/bin/time ]; then # cross-check: GNU time's %M is the main-process peak
  # shellcheck disable=SC2086
  m=$(/usr/bin/time -f %M "$kiosk" $kiosk_args --script "$tmp/attract.txt" 2>&1 >/dev/null |
    tail -n 1)
  echo "  (/usr/bin/time -f %M, pv-kiosk expect attract: $m KiB)"
fi

# --- 2. Frame time ------------------------------------------------------

echo
echo "2. Frame time, tour of tests/scripts/tour.txt (fr) at 1280x800"
"$build/bench/bench_frames" "$surveys" "$root/tests/scripts/tour.txt" "$tmp/frames.db" \
  1280x800 fr 2>"$tmp/frames.err" | sed 's/^/  /' || {
  cat "$tmp/frames.err" >&2
  exit 1
}

# --- 3. Idle CPU --------------------------------------------------------

# ticks PID: utime+stime in clock ticks; ctx PID: context switches.
ticks() { sed 's/^.*) //' "/proc/$1/stat" | awk '{ print $12 + $13 }'; }
ctx() { awk '/ctxt_switches/ { n += $2 } END { print n }' "/proc/$1/status"; }
hz=$(getconf CLK_TCK)

echo
echo "3. CPU time idling on attract for ${idle_s} s (after ${settle_s} s of start-up), real loop"
export SDL_VIDEODRIVER=dummy SDL_AUDIODRIVER=dummy
"$kiosk" --window 800x480 --surveys "$surveys" --db "$tmp/idle.db" >"$tmp/idle-kiosk.log" 2>&1 &
kpid=$!
"$build/bench/bench_idle_sdl" 800x480 >"$tmp/idle-sdl.log" 2>&1 &
spid=$!
sleep $((idle_s + settle_s + 5)) &
lpid=$!
pids="$kpid $spid $lpid"
sleep "$settle_s"
for p in $pids; do
  if ! kill -0 "$p" 2>/dev/null; then
    echo "kiosk-bench: an idle process exited early:" >&2
    cat "$tmp/idle-kiosk.log" "$tmp/idle-sdl.log" >&2
    exit 1
  fi
done
for p in $pids; do
  eval "t0_$p=$(ticks "$p") c0_$p=$(ctx "$p")"
done
sleep "$idle_s"
for p in $pids; do eval "t1_$p=$(ticks "$p") c1_$p=$(ctx "$p") total_$p=$(ticks "$p")"; done
kill -TERM "$kpid" "$spid" "$lpid" 2>/dev/null || true
exit_note=""
i=0
while [ $i -lt 30 ] && kill -0 "$kpid" 2>/dev/null; do
  sleep 0.1
  i=$((i + 1))
done
if kill -0 "$kpid" 2>/dev/null; then
  kill -KILL "$kpid" 2>/dev/null || true
  exit_note="pv-kiosk did NOT exit on SIGTERM within 3 s: killed"
else
  exit_note="pv-kiosk exited on SIGTERM in <= $((i * 100 + 100)) ms"
fi
wait "$kpid" 2>/dev/null || true
wait "$spid" 2>/dev/null || true
wait "$lpid" 2>/dev/null || true
pids=""

printf "  %-36s %10s %10s %12s %12s\n" "" "CPU ms" "CPU %" "wakeups/s" "total CPU ms"
idle_row() { # idle_row LABEL PID
  eval "t0=\$t0_$2 t1=\$t1_$2 c0=\$c0_$2 c1=\$c1_$2 total=\$total_$2"
  # shellcheck disable=SC2154
  awk -v l="$1" -v d="$((t1 - t0))" -v c="$((c1 - c0))" -v tot="$total" -v hz="$hz" \
    -v s="$idle_s" 'BEGIN { printf "  %-36s %10.0f %10.3f %12.1f %12.0f\n", l,
      d * 1000 / hz, d * 100 / hz / s, c / s, tot * 1000 / hz }'
}
idle_row "pv-kiosk --window 800x480 (attract)" "$kpid"
idle_row "baseline: SDL window, SDL_WaitEvent" "$spid"
idle_row "baseline: sleep" "$lpid"
echo "  ($exit_note; CPU from /proc/PID/stat at $hz Hz, wakeups = context switches)"
