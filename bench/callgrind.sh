#!/bin/sh
# callgrind: instruction counts for Pi-class hardware (issue 7, item 6;
# docs/benchmarks.md, section "Instruction counts"). Instruction counts are
# repeatable where wall-clock times on a shared VM are not.
#
#  amd64, natively, valgrind --tool=callgrind --separate-threads=yes:
#    baseline  pv-kiosk --help                 (exec, dynamic linking, exit)
#    baseline  pv-kiosk check content/surveys  (surveys loaded + validated, no SDL)
#    start-up  pv-kiosk --headless, bench/scripts/startup.txt (expect attract)
#    survey    pv-kiosk --headless, bench/scripts/tranquillite-fr.txt
#              (the same start-up, then one resident answers tranquillite in
#              French to the thanks screen); survey cost = survey - start-up
#    each with SDL's dummy audio driver and with no audio device at all.
#  arm64 under qemu-aarch64 (needs root and a bookworm chroot with the cross
#    toolchain and qemu-user, as scripts/arm64-ci.sh makes): valgrind's arm64
#    build does not work under qemu-user, so the count comes from a small QEMU
#    TCG plugin (below; Debian's qemu-user 7.2 loads plugins but ships none),
#    checked against callgrind by running the amd64 binary under qemu-x86_64
#    with the same plugin. No audio device (SDL's dummy audio thread makes no
#    progress under qemu-aarch64).
#
# Environment: BUILD (default build/release; configured RelWithDebInfo and
# pv-kiosk built when missing), CG_RUNS (runs per headless row, default 3),
# CG_CHROOT (default: the first of /var/tmp/pv-arm64/chroot, /tmp/pi-chroot
# holding qemu-aarch64 and aarch64-linux-gnu-gcc; CG_CHROOT=none skips arm64).
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD:-$root/build/release}
case "$build" in /*) ;; *) build="$root/$build" ;; esac
runs=${CG_RUNS:-3}
kiosk="$build/kiosk/pv-kiosk"
scripts="$root/bench/scripts"
command -v valgrind >/dev/null || { echo "callgrind: valgrind is missing" >&2; exit 1; }
if [ ! -x "$kiosk" ]; then
  cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
  cmake --build "$build" --target pv-kiosk -j "$(nproc)" >/dev/null
fi
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
kargs="--headless --surveys $root/content/surveys --assets $root/assets --size 800x480"
if [ -d "$build/tts" ]; then kargs="$kargs --tts $build/tts"; fi

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

# cg NAME AUDIO ARGS...: one callgrind run; prints "main_thread all_threads".
cg() {
  name=$1 audio=$2
  shift 2
  rm -rf "$tmp/run.db" "$tmp/run.db.prompts" "$tmp/$name".out*
  cp -r "$tmp/seed.db" "$tmp/run.db"
  if [ -e "$tmp/seed.db.prompts" ]; then cp -r "$tmp/seed.db.prompts" "$tmp/run.db.prompts"; fi
  SDL_AUDIODRIVER=$audio valgrind --tool=callgrind --separate-threads=yes \
    --callgrind-out-file="$tmp/$name.out" "$@" >"$tmp/$name.log" 2>&1 || {
    echo "callgrind: $name failed:" >&2
    tail -n 5 "$tmp/$name.log" >&2
    exit 1
  }
  main=$(sed -n 's/^totals: //p' "$tmp/$name.out-01")
  all=$(cat "$tmp/$name".out-* | sed -n 's/^totals: //p' | awk '{ s += $1 } END { print s }')
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
  cp "$tmp/$name.out-01" "$tmp/$name.keep"
  sort -n "$tmp/$name.runs" | awk -v l="$label" -v n="$n" '
    NR == 1 { lo = $1 } { hi = $1; if ($2 > all) all = $2 }
    END { printf "  %-50s %6.2f M (%s..%s, %d runs) %8.2f M\n", l, lo / 1e6, lo, hi, n, all / 1e6 }'
  eval "main_$name=\$(sort -n \"\$tmp/\$name.runs\" | head -n 1 | cut -d' ' -f1)"
}

echo "== Instruction counts ($(date -u +%Y-%m-%d), $(uname -m), $(valgrind --version)) =="
# shellcheck disable=SC2086
SDL_AUDIODRIVER=dummy "$kiosk" $kargs --db "$tmp/seed.db" --script "$scripts/startup.txt" \
  >/dev/null 2>&1 # the store, created once (not measured): every run starts from a copy
echo
echo "amd64, callgrind Ir               main thread: min, range      all threads (max)"
row "baseline: pv-kiosk --help" help none 1 "$kiosk" --help
row "baseline: pv-kiosk check content/surveys" check none 1 "$kiosk" check "$root/content/surveys"
for audio in dummy no-such-device; do
  tag=$(echo "$audio" | tr -d '-')
  # shellcheck disable=SC2086
  row "start-up (expect attract), audio $audio" "start_$tag" "$audio" "$runs" "$kiosk" $kargs \
    --db "$tmp/run.db" --script "$scripts/startup.txt"
  # shellcheck disable=SC2086
  row "survey (tranquillite, fr), audio $audio" "survey_$tag" "$audio" "$runs" \
    "$kiosk" $kargs --db "$tmp/run.db" --script "$scripts/tranquillite-fr.txt"
done
# shellcheck disable=SC2154
awk -v a="$main_start_dummy" -v b="$main_survey_dummy" -v c="$main_start_nosuchdevice" \
  -v d="$main_survey_nosuchdevice" -v h="$main_help" 'BEGIN {
  printf "  survey cost (survey - start-up, main thread): %.2f M (dummy audio), %.2f M (no audio)\n",
    (b - a) / 1e6, (d - c) / 1e6
  printf "  start-up beyond --help: %.2f M (dummy audio)\n", (a - h) / 1e6 }'
echo "  where start-up goes (main thread, self cost by object): $(objects "$tmp/start_dummy.keep")"
echo "  where the survey run goes: $(objects "$tmp/survey_dummy.keep")"

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

# The same source, cross-built in the chroot (RelWithDebInfo, as amd64).
rm -rf "$c/cg-src" && mkdir -p "$c/cg-src"
(cd "$root" && git ls-files -z -co --exclude-standard | xargs -0 tar -cf - 2>/dev/null) |
  tar -xf - -C "$c/cg-src"
if [ -d "$build/tts" ]; then rm -rf "$c/cg-tts" && cp -r "$build/tts" "$c/cg-tts"; fi
# shellcheck disable=SC2016 # expanded inside the chroot
chroot "$c" sh -c 'cmake -S /cg-src -B /cg-b/arm64 -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCMAKE_TOOLCHAIN_FILE=/cg-src/cmake/toolchain-aarch64-linux-gnu.cmake -DPV_TTS_DIR=/cg-tts \
  >/cg-run/cmake.log 2>&1 && cmake --build /cg-b/arm64 --target pv-kiosk -j "$(nproc)" \
  >/cg-run/build.log 2>&1' || { tail -n 20 "$c/cg-run/build.log" >&2; exit 1; }

# qrow LABEL NAME ARGS...: inside the chroot, qemu-aarch64 with the plugin,
# on a fresh copy of the seed store; prints the main thread and all threads.
qrow() {
  label=$1 name=$2
  shift 2
  # shellcheck disable=SC2016 # expanded inside the chroot
  chroot "$c" sh -c 'cd /cg-src && rm -rf /cg-run/run.db* && cp -r /cg-run/seed.db /cg-run/run.db &&
    { [ ! -e /cg-run/seed.db.prompts ] || cp -r /cg-run/seed.db.prompts /cg-run/run.db.prompts; } &&
    SDL_VIDEODRIVER=dummy SDL_AUDIODRIVER=no-such-device timeout -s KILL 600 qemu-aarch64 \
    -L /usr/aarch64-linux-gnu -plugin "/cg-run/libinsncount.so,out=/cg-run/$0.txt" "$@" \
    >/cg-run/$0.log 2>&1' "$name" "$@" || { echo "callgrind: arm64 $name failed" >&2; tail -n 5 "$c/cg-run/$name.log" >&2; exit 1; }
  awk -v l="$label" '/^main/ { m = $2 } /^all/ { a = $2 }
    END { printf "  %-50s %6.2f M (%s) %8.2f M\n", l, m / 1e6, m, a / 1e6 }' "$c/cg-run/$name.txt"
  eval "qmain_$name=\$(sed -n 's/^main //p' \"\$c/cg-run/\$name.txt\")"
}
ak="/cg-b/arm64/kiosk/pv-kiosk"
aargs="--headless --surveys content/surveys --assets assets --size 800x480 --tts /cg-tts"
chroot "$c" sh -c "cd /cg-src && SDL_VIDEODRIVER=dummy SDL_AUDIODRIVER=no-such-device \
  timeout -s KILL 600 qemu-aarch64 -L /usr/aarch64-linux-gnu $ak $aargs --db /cg-run/seed.db \
  --script bench/scripts/startup.txt >/dev/null 2>&1"
echo
echo "arm64 under qemu-aarch64 $(chroot "$c" qemu-aarch64 --version | sed -n '1s/.*version //p'), TCG plugin count, no audio device"
qrow "baseline: pv-kiosk --help" help "$ak" --help
qrow "baseline: pv-kiosk check content/surveys" check "$ak" check content/surveys
# shellcheck disable=SC2086
qrow "start-up (expect attract)" start "$ak" $aargs --db /cg-run/run.db \
  --script bench/scripts/startup.txt
# shellcheck disable=SC2086
qrow "survey answered (tranquillite, fr)" survey "$ak" $aargs --db /cg-run/run.db \
  --script bench/scripts/tranquillite-fr.txt
# shellcheck disable=SC2154
awk -v a="$qmain_start" -v b="$qmain_survey" 'BEGIN {
  printf "  survey cost (survey - start-up, main thread): %.2f M\n", (b - a) / 1e6 }'

# Cross-check of the counter: the amd64 binary under the chroot's
# qemu-x86_64 with the same plugin, against callgrind's figures above.
q86="$c/lib64/ld-linux-x86-64.so.2 --library-path $c/usr/lib/x86_64-linux-gnu:$c/lib/x86_64-linux-gnu $c/usr/bin/qemu-x86_64"
echo
echo "cross-check: amd64 binary under qemu-x86_64 + the plugin (no audio device) vs callgrind"
xrow() { # xrow LABEL CALLGRIND_MAIN ARGS...
  label=$1 ref=$2
  shift 2
  rm -rf "$tmp/run.db" "$tmp/run.db.prompts"
  cp -r "$tmp/seed.db" "$tmp/run.db"
  if [ -e "$tmp/seed.db.prompts" ]; then cp -r "$tmp/seed.db.prompts" "$tmp/run.db.prompts"; fi
  # shellcheck disable=SC2086
  SDL_AUDIODRIVER=no-such-device $q86 -cpu max -plugin "$c/cg-run/libinsncount.so,out=$tmp/x.txt" \
    "$@" >/dev/null 2>&1
  awk -v l="$label" -v r="$ref" '/^main/ { m = $2 }
    END { printf "  %-50s %6.2f M vs callgrind %6.2f M (%+.1f%%)\n", l, m / 1e6, r / 1e6, 100 * (m - r) / r }' "$tmp/x.txt"
}
xrow "pv-kiosk --help" "$main_help" "$kiosk" --help
# shellcheck disable=SC2086
xrow "start-up (expect attract)" "$main_start_nosuchdevice" "$kiosk" $kargs --db "$tmp/run.db" \
  --script "$scripts/startup.txt"
# shellcheck disable=SC2086
xrow "survey answered (tranquillite, fr)" "$main_survey_nosuchdevice" "$kiosk" $kargs \
  --db "$tmp/run.db" --script "$scripts/tranquillite-fr.txt"
