#!/usr/bin/env bash
# Builds (tools/fuzz/build.sh) and runs every libFuzzer target for a bounded time.
# Usage: tools/fuzz/run.sh [SECONDS_PER_TARGET]   (default 30; 0 = replay only, no fuzzing)
#
# Per target, two steps:
#  1. replay: every file under tools/fuzz/seeds/ and tools/fuzz/regressions/ (all targets'
#     files, so a past crash stays fixed wherever it came from) is run through the target once;
#  2. fuzz: the target runs with -max_total_time on its own corpus, build-fuzz/corpus/<target>,
#     seeded from tools/fuzz/seeds/<target>/ and tools/fuzz/regressions/<target>/.
# The targets run side by side, FUZZ_JOBS at a time (default: nproc). For a long campaign that
# leaves the machine usable: FUZZ_JOBS=1 nice -n 19 tools/fuzz/run.sh 720.
# Crash inputs land in build-fuzz/artifacts/, logs in build-fuzz/logs/<target>.{replay,}log.
# Environment: FUZZ_TARGETS (space-separated subset), FUZZ_JOBS, FUZZ_TIMEOUT (seconds one
# input may take, default 10).
#
# Prints one line per target, "<target> ok ..." or "<target> FAILED ..." with the crash input
# and the log, and exits non-zero if any target failed (libFuzzer stops a target at its first
# crash, leak, UBSan report or input slower than FUZZ_TIMEOUT); tools/test.sh counts the lines.
# Exit 2: the build failed (its log is printed).
set -euo pipefail
cd "$(dirname "$0")/../.."
SECONDS_PER_TARGET=${1:-30}
TIMEOUT=${FUZZ_TIMEOUT:-10}
BUILD=build-fuzz
read -r -a TARGETS <<<"${FUZZ_TARGETS:-fuzz_json_request fuzz_runtime fuzz_trigger fuzz_cron fuzz_auth fuzz_http_request fuzz_callback_body}"

mkdir -p "$BUILD"
build_log=$BUILD/build.log
tools/fuzz/build.sh >"$build_log" 2>&1 || { tail -40 "$build_log"; exit 2; }

mkdir -p "$BUILD/artifacts" "$BUILD/logs"
SYMBOLIZER=$(command -v llvm-symbolizer-14 || command -v llvm-symbolizer || true)
export ASAN_OPTIONS=${ASAN_OPTIONS:-abort_on_error=1:detect_leaks=1${SYMBOLIZER:+:external_symbolizer_path=$SYMBOLIZER}}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1${SYMBOLIZER:+:external_symbolizer_path=$SYMBOLIZER}}

# Every stored input: seeds and regressions of all targets.
mapfile -t REPLAY < <(find tools/fuzz/seeds tools/fuzz/regressions -type f 2>/dev/null | sort)

JOBS=${FUZZ_JOBS:-$(nproc)}
run_one() {
  local t=$1 bin=$BUILD/tools/fuzz/$1 rc=0
  # 1. Replay (libFuzzer runs each file given as an argument once and stops at a crash).
  if ((${#REPLAY[@]} > 0)); then
    "$bin" -timeout="$TIMEOUT" -rss_limit_mb=2048 -artifact_prefix="$BUILD/artifacts/$t-replay-" \
      "${REPLAY[@]}" >"$BUILD/logs/$t.replay.log" 2>&1 || rc=$?
    if ((rc != 0)); then
      local input
      input=$(grep -oE '^Running: .*' "$BUILD/logs/$t.replay.log" | tail -1 | cut -c10- || true)
      echo "replay ${input:-?}" >"$BUILD/logs/$t.result"
      return
    fi
  fi
  # 2. Fuzz.
  if ((SECONDS_PER_TARGET > 0)); then
    "$bin" -max_total_time="$SECONDS_PER_TARGET" -timeout="$TIMEOUT" \
      -rss_limit_mb=2048 -print_final_stats=1 -artifact_prefix="$BUILD/artifacts/$t-" \
      "$BUILD/corpus/$t" >"$BUILD/logs/$t.log" 2>&1 || rc=$?
  fi
  echo "fuzz $rc" >"$BUILD/logs/$t.result"
}

running=0
for t in "${TARGETS[@]}"; do
  mkdir -p "$BUILD/corpus/$t"
  cp -n tools/fuzz/seeds/"$t"/* tools/fuzz/regressions/"$t"/* "$BUILD/corpus/$t/" 2>/dev/null || true
  rm -f "$BUILD/logs/$t.result" "$BUILD/logs/$t.log"
  if ((running >= JOBS)); then wait -n || true; running=$((running - 1)); fi
  run_one "$t" &
  running=$((running + 1))
done
wait

failed=0
for t in "${TARGETS[@]}"; do
  read -r step rc <"$BUILD/logs/$t.result" 2>/dev/null || { step=fuzz; rc=1; }
  if [[ $step == replay ]]; then
    printf '%-18s FAILED replay crashed on %s (see %s)\n' "$t" "$rc" "$BUILD/logs/$t.replay.log"
    failed=1
    continue
  fi
  log=$BUILD/logs/$t.log
  stats=""
  if [[ -f $log ]]; then
    runs=$(grep -oE '^stat::number_of_executed_units: *[0-9]+' "$log" | grep -oE '[0-9]+$' | head -1 || true)
    [[ -n $runs ]] || runs=$(grep -oE '^#[0-9]+' "$log" | tail -1 | tr -d '#' || true)
    # cov/ft/corp from libFuzzer's last status line.
    last=$(grep -E '^#[0-9]+.*cov: ' "$log" | tail -1 || true)
    cov=$(grep -oE 'cov: [0-9]+' <<<"$last" | grep -oE '[0-9]+' || true)
    ft=$(grep -oE 'ft: [0-9]+' <<<"$last" | grep -oE '[0-9]+' || true)
    corp=$(grep -oE 'corp: [0-9]+' <<<"$last" | grep -oE '[0-9]+' || true)
    stats="runs=${runs:-?} cov=${cov:-?} ft=${ft:-?} corpus=${corp:-?}"
  else
    stats="replay only"
  fi
  if [[ $rc == 0 ]]; then
    printf '%-18s ok     %s replayed=%s\n' "$t" "$stats" "${#REPLAY[@]}"
  else
    input=$(grep -oE 'Test unit written to .*' "$log" 2>/dev/null | tail -1 | cut -c22- || true)
    printf '%-18s FAILED %s crash input %s (see %s)\n' "$t" "$stats" "${input:-none written}" "$log"
    failed=1
  fi
done
exit $failed
