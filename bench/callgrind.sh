#!/bin/sh
# callgrind: instruction counts for Pi-class hardware (issue 7, item 6;
# docs/benchmarks.md, section "Instruction counts"). Instruction counts are
# repeatable where wall-clock times on a shared VM are not.
#
# Rows, the same on both architectures, each counted by
# valgrind --tool=callgrind --separate-threads=yes (main thread's totals):
#    baseline  pv-kiosk --help                 (exec, dynamic linking, exit)
#    baseline  pv-kiosk check content/surveys  (surveys loaded + validated, no SDL)
#    start-up  pv-kiosk --headless, bench/scripts/startup.txt (expect attract)
#    survey    pv-kiosk --headless, bench/scripts/tranquillite-fr.txt
#              (the same start-up, then one resident answers tranquillite in
#              French to the thanks screen); survey cost = survey - start-up
#    start-up and survey with SDL's dummy audio driver and with no audio device.
#  amd64: natively.
#  arm64: the same tree cross-built in a bookworm chroot holding the cross
#    toolchain, qemu-user and valgrind:arm64 (needs root; scripts/arm64-ci.sh
#    makes one, then `chroot DIR apt-get install valgrind:arm64`), run as
#      qemu-aarch64 -L / /usr/libexec/valgrind/callgrind-arm64-linux --tool=callgrind ...
#    with VALGRIND_LIB and VALGRIND_LAUNCHER set: valgrind's launcher execs the
#    tool binary, which needs binfmt_misc, so the tool is started directly, and
#    then --tool=callgrind must be given to it too (without it the tool thinks
#    it is memcheck, preloads memcheck's malloc replacement and every malloc
#    returns NULL). -L / and not -L /usr/aarch64-linux-gnu: that one pairs
#    libc6-arm64-cross's loader with the multiarch libc.so.6 (another glibc
#    build) and every fork and pthread_create spins for ever, SDL's audio
#    thread included (cmake/toolchain-aarch64-linux-gnu.cmake).
#    Cross-check: a small QEMU TCG plugin (below; Debian's qemu-user 7.2 loads
#    plugins but ships none) counts the same arm64 runs without valgrind.
#
# Environment: BUILD (default build/callgrind; configured RelWithDebInfo when
# missing; pv-kiosk is always brought up to date there), CG_RUNS (runs per
# start-up/survey row, default 3), CG_CHROOT (default: the first of
# /var/tmp/pv-arm64/chroot, /tmp/pi-chroot holding qemu-aarch64 and
# aarch64-linux-gnu-gcc; CG_CHROOT=none skips arm64).
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD:-$root/build/callgrind}
case "$build" in /*) ;; *) build="$root/$build" ;; esac
runs=${CG_RUNS:-3}
kiosk="$build/kiosk/pv-kiosk"
command -v valgrind >/dev/null || { echo "callgrind: valgrind is missing" >&2; exit 1; }
if [ ! -f "$build/CMakeCache.txt" ]; then
  cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
fi
cmake --build "$build" --target pv-kiosk -j 2 >/dev/null
# The prompt cache the build made (both architectures read the same one).
tts=$(sed -n 's/^PV_TTS_DIR:[A-Z]*=//p' "$build/CMakeCache.txt")
tmp=$(mktemp -d "${TMPDIR:-/tmp}/pv-callgrind.XXXXXX")
mounted=""
chroot_dir=""
cleanup() {
  for m in $mounted; do umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null || true; done
  rm -rf "$tmp"
  if [ -n "$chroot_dir" ]; then rm -rf "$chroot_dir/cg-run"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM
export SDL_VIDEODRIVER=dummy
started=$(date +%s)

# Set per architecture below: dir (where runs write, as this script sees it),
# gdir (the same as the measured program sees it), callgrind (the command
# line up to the program) and run (the same without valgrind).
dir="$tmp" gdir="$tmp" callgrind="valgrind --tool=callgrind" run=""

# objects FILE: Ir per shared object from a callgrind out file (self cost,
# call lines skipped), the top 6 as "share name" lines.
objects() {
  awk '
    /^c?ob=/ { s = $0; sub(/^c?ob=/, "", s); id = s; sub(/ .*/, "", id)
               if (s ~ / /) { n = s; sub(/^[^ ]* /, "", n); name[id] = n }
               if ($0 ~ /^ob=/) ob = id; next }
    /^calls=/ { skip = 1; next }
    /^[0-9+*-]/ { if (skip) { skip = 0; next } cost[ob] += $2; total += $2; next }
    { skip = 0 }
    END { for (o in cost) { n = name[o]; sub(/.*\//, "", n); printf "%d %s\n", cost[o], n }
          printf "%d TOTAL\n", total }' "$1" | sort -rn |
    awk 'NR == 1 { t = $1; next } NR <= 7 { printf "%5.1f%% %s;", 100 * $1 / t, $2 }'
}

# fresh: a copy of the seed store at run.db (every measured run starts from it).
fresh() {
  rm -rf "$dir/run.db" "$dir/run.db.prompts"
  cp -r "$dir/seed.db" "$dir/run.db"
  if [ -e "$dir/seed.db.prompts" ]; then cp -r "$dir/seed.db.prompts" "$dir/run.db.prompts"; fi
}

# cg NAME AUDIO ARGS...: one callgrind run; prints "main_thread all_threads".
cg() {
  name=$1 audio=$2
  shift 2
  rm -rf "$dir/$name".out*
  fresh
  # shellcheck disable=SC2086 # $callgrind is a command line
  SDL_AUDIODRIVER=$audio $callgrind --separate-threads=yes \
    --callgrind-out-file="$gdir/$name.out" "$@" >"$dir/$name.log" 2>&1 || {
    echo "callgrind: $name failed:" >&2
    tail -n 5 "$dir/$name.log" >&2
    exit 1
  }
  main=$(sed -n 's/^totals: //p' "$dir/$name.out-01")
  all=$(cat "$dir/$name".out-* | sed -n 's/^totals: //p' | awk '{ s += $1 } END { print s }')
  echo "$main $all"
}

# row LABEL NAME AUDIO N ARGS...: N runs; main thread min..max, all threads max.
row() {
  label=$1 name=$2 audio=$3 n=$4
  shift 4
  : >"$tmp/$name.runs"
  i=0
  while [ "$i" -lt "$n" ]; do
    cg "$name" "$audio" "$@" >>"$tmp/$name.runs"
    i=$((i + 1))
  done
  cp "$dir/$name.out-01" "$tmp/$name.keep"
  sort -n "$tmp/$name.runs" | awk -v l="$label" -v n="$n" '
    NR == 1 { lo = $1 } { hi = $1; if ($2 > all) all = $2 }
    END { printf "  %-50s %6.2f M (%s..%s, %d runs) %8.2f M\n", l, lo / 1e6, lo, hi, n, all / 1e6 }'
  eval "main_$name=\$(sort -n \"\$tmp/\$name.runs\" | head -n 1 | cut -d' ' -f1)"
}

# measure P KIOSK SRC: every row for one architecture, named P*; KIOSK and SRC
# (the source tree: surveys, assets, scripts) as the measured program sees
# them, the prompt cache at $gtts. The seed store is made first, not measured.
measure() {
  p=$1 k=$2 src=$3
  ka="--headless --surveys $src/content/surveys --assets $src/assets --size 800x480"
  ck=""
  if [ -n "$gtts" ]; then ka="$ka --tts $gtts" ck="--tts $gtts"; fi
  # shellcheck disable=SC2086
  SDL_AUDIODRIVER=dummy $run "$k" $ka --db "$gdir/seed.db" --script "$src/bench/scripts/startup.txt" \
    >"$dir/seed.log" 2>&1 || { echo "callgrind: $p seed store failed" >&2; tail -n 5 "$dir/seed.log" >&2; exit 1; }
  row "baseline: pv-kiosk --help" "${p}help" none 1 "$k" --help
  # shellcheck disable=SC2086
  row "baseline: pv-kiosk check content/surveys" "${p}check" none 1 "$k" check $ck "$src/content/surveys"
  for audio in dummy no-such-device; do
    tag=$(echo "$audio" | tr -d '-')
    # shellcheck disable=SC2086
    row "start-up (expect attract), audio $audio" "${p}start_$tag" "$audio" "$runs" "$k" $ka \
      --db "$gdir/run.db" --script "$src/bench/scripts/startup.txt"
    # shellcheck disable=SC2086
    row "survey (tranquillite, fr), audio $audio" "${p}survey_$tag" "$audio" "$runs" \
      "$k" $ka --db "$gdir/run.db" --script "$src/bench/scripts/tranquillite-fr.txt"
  done
  eval "h=\$main_${p}help a=\$main_${p}start_dummy b=\$main_${p}survey_dummy \
    c=\$main_${p}start_nosuchdevice d=\$main_${p}survey_nosuchdevice"
  # shellcheck disable=SC2154 # set by the eval above
  awk -v a="$a" -v b="$b" -v c="$c" -v d="$d" -v h="$h" 'BEGIN {
    printf "  survey cost (survey - start-up, main thread): %.2f M (dummy audio), %.2f M (no audio)\n",
      (b - a) / 1e6, (d - c) / 1e6
    printf "  start-up beyond --help: %.2f M (dummy audio), %.2f M (no audio)\n", (a - h) / 1e6, (c - h) / 1e6 }'
  echo "  where start-up goes (main thread, self cost by object): $(objects "$tmp/${p}start_dummy.keep")"
  echo "  where the survey run goes: $(objects "$tmp/${p}survey_dummy.keep")"
}

echo "== Instruction counts ($(date -u +%Y-%m-%d), $(uname -m), $(valgrind --version)) =="
echo
echo "amd64, callgrind Ir                 main thread: min, range          all threads (max)"
gtts=""
if [ -n "$tts" ] && [ -d "$tts" ]; then gtts=$tts; fi
measure x "$kiosk" "$root"

# ---- arm64 under qemu ----------------------------------------------------
if [ "${CG_CHROOT:-}" = none ]; then exit 0; fi
for c in ${CG_CHROOT:-/var/tmp/pv-arm64/chroot /tmp/pi-chroot}; do
  if [ -x "$c/usr/bin/qemu-aarch64" ] && [ -x "$c/usr/bin/aarch64-linux-gnu-gcc" ]; then
    chroot_dir=$c
    break
  fi
done
if [ -z "$chroot_dir" ] || [ "$(id -u)" -ne 0 ]; then
  echo
  echo "arm64: skipped (needs root and a chroot made by scripts/arm64-ci.sh; CG_CHROOT=DIR)"
  exit 0
fi
c=$chroot_dir
tool=/usr/libexec/valgrind/callgrind-arm64-linux
if [ ! -x "$c$tool" ]; then
  echo
  echo "arm64: skipped ($c has no valgrind:arm64: chroot $c apt-get install valgrind:arm64)"
  exit 0
fi
mkdir -p "$c/cg-run"
for m in proc dev; do
  if ! mountpoint -q "$c/$m"; then
    if [ $m = proc ]; then mount -t proc proc "$c/proc"; else mount --bind /dev "$c/dev"; fi
    mounted="$c/$m $mounted"
  fi
done
# The plugin: guest instructions executed, per guest thread, counted when
# each translated block runs (mode=insn: at each instruction; same figures).
cat >"$tmp/insncount.c" <<'EOF'
#include <inttypes.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
typedef uint64_t qemu_plugin_id_t; /* QEMU 7.2 plugin API, version 1 */
typedef struct {
  const char *target_name;
  struct { int min, cur; } version;
  bool system_emulation;
  union { struct { int smp_vcpus, max_vcpus; } system; };
} qemu_info_t;
struct qemu_plugin_tb;
struct qemu_plugin_insn;
enum qemu_plugin_cb_flags { QEMU_PLUGIN_CB_NO_REGS };
typedef void (*tb_trans_cb)(qemu_plugin_id_t, struct qemu_plugin_tb *);
typedef void (*udata_cb)(unsigned int vcpu, void *udata);
typedef void (*atexit_cb)(qemu_plugin_id_t, void *udata);
void qemu_plugin_register_vcpu_tb_trans_cb(qemu_plugin_id_t, tb_trans_cb);
void qemu_plugin_register_vcpu_tb_exec_cb(struct qemu_plugin_tb *, udata_cb,
                                          enum qemu_plugin_cb_flags, void *);
void qemu_plugin_register_vcpu_insn_exec_cb(struct qemu_plugin_insn *, udata_cb,
                                            enum qemu_plugin_cb_flags, void *);
size_t qemu_plugin_tb_n_insns(const struct qemu_plugin_tb *);
struct qemu_plugin_insn *qemu_plugin_tb_get_insn(const struct qemu_plugin_tb *, size_t);
void qemu_plugin_register_atexit_cb(qemu_plugin_id_t, atexit_cb, void *);

__attribute__((visibility("default"))) int qemu_plugin_version = 1;

#define MAX_THREADS 256
static uint64_t counts[MAX_THREADS];
static bool per_insn;
static char out_path[4096];

static unsigned int slot(unsigned int vcpu) { return vcpu < MAX_THREADS ? vcpu : MAX_THREADS - 1; }
static void on_tb(unsigned int vcpu, void *n) {
  __atomic_fetch_add(&counts[slot(vcpu)], (uint64_t)(uintptr_t)n, __ATOMIC_RELAXED);
}
static void on_insn(unsigned int vcpu, void *unused) {
  (void)unused;
  __atomic_fetch_add(&counts[slot(vcpu)], 1, __ATOMIC_RELAXED);
}
static void on_trans(qemu_plugin_id_t id, struct qemu_plugin_tb *tb) {
  size_t n = qemu_plugin_tb_n_insns(tb);
  (void)id;
  if (!per_insn) {
    qemu_plugin_register_vcpu_tb_exec_cb(tb, on_tb, QEMU_PLUGIN_CB_NO_REGS, (void *)(uintptr_t)n);
    return;
  }
  for (size_t i = 0; i < n; i++)
    qemu_plugin_register_vcpu_insn_exec_cb(qemu_plugin_tb_get_insn(tb, i), on_insn,
                                           QEMU_PLUGIN_CB_NO_REGS, NULL);
}
static void on_exit(qemu_plugin_id_t id, void *unused) {
  FILE *f = out_path[0] ? fopen(out_path, "w") : NULL;
  uint64_t total = 0;
  (void)id;
  (void)unused;
  if (!f)
    f = stderr;
  fprintf(f, "main %" PRIu64 "\n", counts[0]);
  for (unsigned int i = 0; i < MAX_THREADS; i++)
    total += counts[i];
  fprintf(f, "all %" PRIu64 "\n", total);
  if (f != stderr)
    fclose(f);
}
__attribute__((visibility("default"))) int qemu_plugin_install(qemu_plugin_id_t id,
                                                               const qemu_info_t *info, int argc,
                                                               char **argv) {
  (void)info;
  for (int i = 0; i < argc; i++) {
    if (strcmp(argv[i], "mode=insn") == 0)
      per_insn = true;
    else if (strncmp(argv[i], "out=", 4) == 0)
      snprintf(out_path, sizeof out_path, "%s", argv[i] + 4);
  }
  qemu_plugin_register_vcpu_tb_trans_cb(id, on_trans);
  qemu_plugin_register_atexit_cb(id, on_exit, NULL);
  return 0;
}
EOF
cc -O2 -shared -fPIC -fvisibility=hidden -o "$c/cg-run/libinsncount.so" "$tmp/insncount.c"

# The same source, cross-built in the chroot (RelWithDebInfo, as amd64), and
# the same prompt cache.
rm -rf "$c/cg-src" && mkdir -p "$c/cg-src"
(cd "$root" && git ls-files -z -co --exclude-standard | xargs -0 tar -cf - 2>/dev/null) |
  tar -xf - -C "$c/cg-src"
gtts=""
if [ -n "$tts" ] && [ -d "$tts" ]; then rm -rf "$c/cg-tts" && cp -r "$tts" "$c/cg-tts" && gtts=/cg-tts; fi
# shellcheck disable=SC2016 # expanded inside the chroot
chroot "$c" sh -c 'cmake -S /cg-src -B /cg-b/arm64 -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCMAKE_TOOLCHAIN_FILE=/cg-src/cmake/toolchain-aarch64-linux-gnu.cmake -DPV_TTS_DIR=/cg-tts \
  >/cg-run/cmake.log 2>&1 && cmake --build /cg-b/arm64 --target pv-kiosk -j 2 \
  >/cg-run/build.log 2>&1' || { tail -n 20 "$c/cg-run/build.log" >&2; exit 1; }

# Inside the chroot, from /cg-src, under qemu-aarch64 -L / (see the top).
q="chroot $c env -C /cg-src TMPDIR=/tmp timeout -s KILL 1800 qemu-aarch64 -L /"
dir="$c/cg-run" gdir=/cg-run run="$q"
callgrind="$q -E VALGRIND_LIB=/usr/libexec/valgrind -E VALGRIND_LAUNCHER=/usr/bin/valgrind $tool --tool=callgrind"
ak=/cg-b/arm64/kiosk/pv-kiosk
echo
# shellcheck disable=SC2016 # dpkg-query's format
echo "arm64 under qemu-aarch64 $(chroot "$c" qemu-aarch64 --version | sed -n '1s/.*version //p') -L /, callgrind Ir ($(chroot "$c" dpkg-query -W -f '${Version}' valgrind:arm64))"
measure a "$ak" /cg-src

# Cross-check: the plugin's count of the same arm64 runs, without valgrind.
echo
echo "cross-check: the same arm64 runs under qemu-aarch64 -L / + a TCG plugin, vs callgrind"
# prow LABEL CALLGRIND_MAIN AUDIO ARGS...: one plugin run on a fresh store.
prow() {
  label=$1 ref=$2 audio=$3
  shift 3
  fresh
  # shellcheck disable=SC2086 # $q is a command line
  SDL_AUDIODRIVER=$audio $q -plugin /cg-run/libinsncount.so,out=/cg-run/plugin.txt "$@" \
    >"$dir/plugin.log" 2>&1 || { echo "callgrind: plugin run failed" >&2; tail -n 5 "$dir/plugin.log" >&2; exit 1; }
  awk -v l="$label" -v r="$ref" '/^main/ { m = $2 }
    END { printf "  %-50s %6.2f M vs callgrind %6.2f M (%+.1f%%)\n", l, m / 1e6, r / 1e6, 100 * (m - r) / r }' \
    "$dir/plugin.txt"
}
# shellcheck disable=SC2154 # set by row
prow "pv-kiosk --help" "$main_ahelp" none "$ak" --help
# shellcheck disable=SC2086,SC2154
prow "start-up (expect attract), audio dummy" "$main_astart_dummy" dummy "$ak" $ka --db /cg-run/run.db \
  --script /cg-src/bench/scripts/startup.txt
# shellcheck disable=SC2086,SC2154
prow "survey (tranquillite, fr), audio dummy" "$main_asurvey_dummy" dummy "$ak" $ka --db /cg-run/run.db \
  --script /cg-src/bench/scripts/tranquillite-fr.txt
echo
echo "callgrind.sh: $(($(date +%s) - started)) s"
