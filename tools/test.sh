#!/usr/bin/env bash
# The README's second command: installs what is missing, builds, and runs every test.
# Ends with one line "N passed, N failed" (test cases, summed over all test binaries)
# and exits non-zero if anything failed.
#
# Usage: tools/test.sh [doctest options, e.g. -tc="Wheel*"]
set -uo pipefail
cd "$(dirname "$0")/.."

bash tools/deps.sh --test || { echo "0 passed, 1 failed"; exit 1; }
bash tools/build.sh || { echo "0 passed, 1 failed"; exit 1; }

passed=0
failed=0
logdir=build/test-logs
mkdir -p "$logdir"
for bin in tock_unit tock_integration; do
  log=$logdir/$bin.log
  echo "== $bin"
  ./build/tests/$bin --no-version --duration=false "$@" 2>&1 | tee "$log"
  rc=${PIPESTATUS[0]}
  summary=$(grep -E '^\[doctest\] test cases:' "$log" | tail -1)
  if [ -z "$summary" ]; then
    # The binary died before doctest could summarise: count it as one failure.
    echo "$bin: no summary (exit $rc)"
    failed=$((failed + 1))
    continue
  fi
  p=$(sed -E 's/.*\|[[:space:]]*([0-9]+) passed.*/\1/' <<<"$summary")
  f=$(sed -E 's/.*\|[[:space:]]*([0-9]+) failed.*/\1/' <<<"$summary")
  passed=$((passed + p))
  failed=$((failed + f))
  if [ "$rc" != 0 ] && [ "$f" = 0 ]; then failed=$((failed + 1)); fi
done

echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
