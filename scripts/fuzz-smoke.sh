#!/bin/sh
# Fuzz smoke test of the parsers that read untrusted bytes: the survey
# loader (tests/fuzz/fuzz_survey) and the sync wire decoders
# (tests/fuzz/fuzz_protocol). Builds them with clang, libFuzzer, ASan and
# UBSan into build/fuzz; for each, replays the known reproducers in
# tests/fuzz/crashes[-NAME]/, then fuzzes from a copy of its corpus.
# FUZZ_SECONDS (default 30) is shared: two thirds to the survey loader,
# one third to the protocol. Exits non-zero on any crash, leak, sanitizer
# report or broken promise; prints the number of runs of each.
# Needs clang and libclang-rt-14-dev (Debian 12).
#   FUZZ_SECONDS=300 scripts/fuzz-smoke.sh
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
build="$top/build/fuzz"
seconds=${FUZZ_SECONDS:-30}
case $seconds in
  '' | *[!0-9]*) echo "fuzz-smoke: FUZZ_SECONDS must be a whole number of seconds" >&2; exit 2 ;;
esac
cc=${CC:-clang}
case $("$cc" --version 2>/dev/null | head -n 1) in
  *clang*) ;;
  *) echo "fuzz-smoke: needs clang (CC=$cc is not clang)" >&2; exit 2 ;;
esac

mkdir -p "$build"
cmake -S "$top" -B "$build" -DCMAKE_C_COMPILER="$cc" -DPV_FUZZ=ON \
      -DCMAKE_BUILD_TYPE=RelWithDebInfo >"$build/configure.log" 2>&1 ||
  { cat "$build/configure.log" >&2; exit 1; }
cmake --build "$build" --target fuzz_survey fuzz_protocol -j "$(nproc 2>/dev/null || echo 2)"

# Leaks are findings; abort so every sanitizer report is a crash.
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1:allocator_may_return_null=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

fail=0
sanitizer_said() {
  grep -Eq 'ERROR: (AddressSanitizer|LeakSanitizer|libFuzzer)|runtime error:|broken promise|SUMMARY: ' "$1"
}

# fuzz NAME CORPUS CRASHES DICT SECONDS
fuzz() {
  name=$1 corpus=$2 crashes=$3 dict=$4 secs=$5
  fuzzer="$build/tests/fuzz/fuzz_$name"
  # Known reproducers must no longer crash once the code is fixed.
  if [ -d "$crashes" ] && [ -n "$(ls -A "$crashes" 2>/dev/null)" ]; then
    for f in "$crashes"/*; do
      [ -f "$f" ] || continue
      log="$build/replay-$name.log"
      if ! "$fuzzer" -runs=1 "$f" >"$log" 2>&1 || sanitizer_said "$log"; then
        echo "fuzz-smoke: known reproducer still fails: $f" >&2
        grep -E 'ERROR|runtime error|broken promise|SUMMARY|#[0-9]+ 0x' "$log" | head -n 20 >&2
        fail=1
      fi
    done
  fi
  work="$build/corpus-run-$name"
  artifacts="$build/artifacts-$name/"
  rm -rf "$work" "$artifacts"
  mkdir -p "$work" "$artifacts"
  cp "$corpus"/* "$work"/
  log="$build/fuzz-$name.log"
  echo "fuzz-smoke: fuzzing $name for ${secs}s (log: $log)"
  status=0
  "$fuzzer" "$work" \
    -max_total_time="$secs" -max_len=65536 -timeout=5 -rss_limit_mb=2048 \
    ${dict:+-dict="$dict"} -artifact_prefix="$artifacts" \
    -print_final_stats=1 >"$log" 2>&1 || status=$?
  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
  [ -n "$runs" ] || runs=$(sed -n 's/^Done \([0-9]*\) runs.*/\1/p' "$log" | tail -n 1)
  cov=$(grep -Eo 'cov: [0-9]+ ft: [0-9]+ corp: [0-9]+/[0-9]+[a-zA-Z]*' "$log" | tail -n 1)
  echo "fuzz-smoke: $name: ${runs:-?} runs in ${secs}s (${cov:-no coverage line}), $(ls "$work" | wc -l) corpus files"
  if [ "$status" -ne 0 ] || sanitizer_said "$log"; then
    echo "fuzz-smoke: $name FAILED (exit $status); reproducers in $artifacts:" >&2
    ls -1 "$artifacts" >&2 || true
    grep -E 'ERROR|runtime error|broken promise|SUMMARY|#[0-9]+ 0x' "$log" | head -n 30 >&2
    fail=1
  fi
}

survey_secs=$((seconds * 2 / 3))
[ "$survey_secs" -ge 1 ] || survey_secs=1
protocol_secs=$((seconds - survey_secs))
[ "$protocol_secs" -ge 1 ] || protocol_secs=1
fuzz survey "$top/tests/fuzz/corpus" "$top/tests/fuzz/crashes" "$top/tests/fuzz/survey.dict" "$survey_secs"
fuzz protocol "$top/tests/fuzz/corpus-protocol" "$top/tests/fuzz/crashes-protocol" "" "$protocol_secs"
[ "$fail" -eq 0 ] && echo "fuzz-smoke: ok"
exit "$fail"
