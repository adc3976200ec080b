#!/usr/bin/env bash
# The README's second command: installs what is missing, builds, and runs every test.
# Ends with one line "N passed, N failed" (test cases, summed over all test binaries, plus
# one per libFuzzer target) and exits non-zero if anything failed.
#
# Usage: tools/test.sh [doctest options, e.g. -tc="Wheel*"]
# Environment:
#   TOCK_BUILD_DIR     the build dir of tock and its tests (default build)
#   TOCK_FUZZ_SECONDS  seconds each fuzz target runs (default 20; 0 = replay the stored
#                      inputs only); TOCK_FUZZ_JOBS targets at a time (default 2).
#                      TOCK_FUZZ=0 skips the fuzz stage (e.g. on a machine without clang).
# The fuzz stage (tools/fuzz/run.sh) builds the targets with clang, ASan and UBSan in
# build-fuzz/ (configured once, then incremental), replays tools/fuzz/seeds/ and
# tools/fuzz/regressions/ through every target and fuzzes each for TOCK_FUZZ_SECONDS; each
# target counts as one test case, failed on any crash, leak, UBSan report or timeout.
set -uo pipefail
cd "$(dirname "$0")/.."

bash tools/deps.sh --test || { echo "0 passed, 1 failed"; exit 1; }
bash tools/build.sh || { echo "0 passed, 1 failed"; exit 1; }

passed=0
failed=0
BUILD=${TOCK_BUILD_DIR:-build}

# One real PostgreSQL 15 for every test that needs it (tests/testutil/pg_server.h makes a
# database per test on it); stopped by PID when this script exits, however it exits.
pg_dir=$(mktemp -d "${TMPDIR:-/tmp}/tock-test-pg.XXXXXX")
trap 'bash tools/pg.sh stop "$pg_dir"' EXIT
if ! TOCK_TEST_PG_URL=$(bash tools/pg.sh start "$pg_dir"); then
  echo "PostgreSQL did not start"; echo "0 passed, 1 failed"; exit 1
fi
export TOCK_TEST_PG_URL
logdir=$BUILD/test-logs
mkdir -p "$logdir"
# The integration suites that make up tock's contract run a second time on PostgreSQL (every
# server they start gets --store <a fresh database>); the store, task and schedule unit suites
# already run on both backends. What is about one backend (RocksDB files, backups, disk
# full, descriptors) runs once.
pg_suites="Auth,BatchCreate,Delivery,DeliveryFlow,Isolation,Retry,TaskLifecycle,Validation"
pg_suites+=",ScheduleApi,ScheduleFiring,ScheduleJPushApi,SecretRotation,Strangers"
pg_suites+=",ConsoleAdminApi"
for run in unit integration integration-postgresql; do
  log=$logdir/$run.log
  echo "== $run"
  case $run in
    unit) "$BUILD/tests/tock_unit" --no-version --duration=false "$@" 2>&1 | tee "$log" ;;
    integration) "$BUILD/tests/tock_integration" --no-version --duration=false "$@" 2>&1 | tee "$log" ;;
    integration-postgresql)
      TOCK_IT_STORE=postgresql "$BUILD/tests/tock_integration" --no-version --duration=false \
        -ts="$pg_suites" "$@" 2>&1 | tee "$log" ;;
  esac
  rc=${PIPESTATUS[0]}
  summary=$(grep -E '^\[doctest\] test cases:' "$log" | tail -1)
  if [ -z "$summary" ]; then
    # The binary died before doctest could summarise: count it as one failure.
    echo "$run: no summary (exit $rc)"
    failed=$((failed + 1))
    continue
  fi
  p=$(sed -E 's/.*\|[[:space:]]*([0-9]+) passed.*/\1/' <<<"$summary")
  f=$(sed -E 's/.*\|[[:space:]]*([0-9]+) failed.*/\1/' <<<"$summary")
  passed=$((passed + p))
  failed=$((failed + f))
  if [ "$rc" != 0 ] && [ "$f" = 0 ]; then failed=$((failed + 1)); fi
done

if [ "${TOCK_FUZZ:-1}" != 0 ]; then
  echo "== fuzz (${TOCK_FUZZ_SECONDS:-20} s per target, ${TOCK_FUZZ_JOBS:-2} at a time)"
  fuzz_log=build-fuzz/run.log
  mkdir -p build-fuzz
  FUZZ_JOBS=${TOCK_FUZZ_JOBS:-2} bash tools/fuzz/run.sh "${TOCK_FUZZ_SECONDS:-20}" 2>&1 | tee "$fuzz_log"
  rc=${PIPESTATUS[0]}
  p=$(grep -cE '^fuzz_[a-z_]+ +ok ' "$fuzz_log")
  f=$(grep -cE '^fuzz_[a-z_]+ +FAILED ' "$fuzz_log")
  passed=$((passed + p))
  failed=$((failed + f))
  # The build failed, or run.sh failed without naming a target: one failure.
  if [ "$rc" != 0 ] && [ "$f" = 0 ]; then echo "fuzz: exit $rc"; failed=$((failed + 1)); fi
fi

echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
