#!/usr/bin/env bash
# Builds (tools/fuzz/build.sh) and runs every libFuzzer target for a bounded time.
# Usage: tools/fuzz/run.sh [SECONDS_PER_TARGET]   (default 30)
# Each target runs with -max_total_time on its own corpus, build-fuzz/corpus/<target>, seeded
# from tools/fuzz/seeds/<target>/; the targets run side by side,
# FUZZ_JOBS at a time (default: nproc). Crash
# inputs land in build-fuzz/artifacts/, logs in build-fuzz/logs/<target>.log. Prints one line
# per target and exits non-zero if any target crashed (libFuzzer stops a target at its first
# crash, leak, UBSan report or input slower than FUZZ_TIMEOUT seconds, default 10).
set -euo pipefail
cd "$(dirname "$0")/../.."
SECONDS_PER_TARGET=${1:-30}
TIMEOUT=${FUZZ_TIMEOUT:-10}
BUILD=build-fuzz
TARGETS=(fuzz_json_request fuzz_runtime fuzz_trigger fuzz_cron fuzz_auth)

tools/fuzz/build.sh >"${TMPDIR:-/tmp}/tock-fuzz-build.log" 2>&1 ||
  { cat "${TMPDIR:-/tmp}/tock-fuzz-build.log"; exit 2; }

mkdir -p "$BUILD/artifacts" "$BUILD/logs"
SYMBOLIZER=$(command -v llvm-symbolizer-14 || command -v llvm-symbolizer || true)
export ASAN_OPTIONS=${ASAN_OPTIONS:-abort_on_error=1:detect_leaks=1${SYMBOLIZER:+:external_symbolizer_path=$SYMBOLIZER}}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1${SYMBOLIZER:+:external_symbolizer_path=$SYMBOLIZER}}

# One process per target, at most FUZZ_JOBS (default: the CPU count) at a time, so each
# target gets a whole core for its SECONDS_PER_TARGET.
JOBS=${FUZZ_JOBS:-$(nproc)}
declare -A before
run_one() {
  local t=$1 rc=0
  "$BUILD/tools/fuzz/$t" -max_total_time="$SECONDS_PER_TARGET" -timeout="$TIMEOUT" \
    -rss_limit_mb=2048 -print_final_stats=1 -artifact_prefix="$BUILD/artifacts/$t-" \
    "$BUILD/corpus/$t" >"$BUILD/logs/$t.log" 2>&1 || rc=$?
  echo "$rc" >"$BUILD/logs/$t.rc"
}
running=0
for t in "${TARGETS[@]}"; do
  mkdir -p "$BUILD/corpus/$t"
  cp -n tools/fuzz/seeds/"$t"/* "$BUILD/corpus/$t/" 2>/dev/null || true
  before[$t]=$(find "$BUILD/artifacts" -name "$t-*" | wc -l)
  rm -f "$BUILD/logs/$t.rc"
  if (( running >= JOBS )); then wait -n || true; running=$((running - 1)); fi
  run_one "$t" &
  running=$((running + 1))
done
wait

failed=0
for t in "${TARGETS[@]}"; do
  rc=$(cat "$BUILD/logs/$t.rc" 2>/dev/null || echo 1)
  log="$BUILD/logs/$t.log"
  runs=$(grep -oE '^stat::number_of_executed_units: *[0-9]+' "$log" | grep -oE '[0-9]+$' | head -1 || true)
  [[ -n $runs ]] || runs=$(grep -oE '^#[0-9]+' "$log" | tail -1 | tr -d '#' || true)
  crashes=$(( $(find "$BUILD/artifacts" -name "$t-*" | wc -l) - before[$t] ))
  if (( rc != 0 && crashes == 0 )); then crashes=1; fi  # died without writing an artifact
  printf '%-18s runs=%-10s crashes=%s%s\n' "$t" "${runs:-?}" "$crashes" \
    "$( ((crashes > 0)) && echo "  (see $log)" )"
  if (( crashes > 0 )); then failed=1; fi
done
exit $failed
