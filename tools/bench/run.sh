#!/usr/bin/env bash
# Builds tock and the benchmark driver, then runs it with the given arguments, e.g.
#   tools/bench/run.sh --workload W1 --runs 3
#   tools/bench/run.sh --workload W2 --tasks 2000 --seconds 2     # a smoke run in seconds
# BUILD_DIR selects the build tree (default build/; configured here if it is missing).
# Figures go to $BUILD_DIR/bench-results.json unless --json FILE is given.
set -euo pipefail
cd "$(dirname "$0")/../.."
. tools/bench/build_targets.sh
build_targets tock tools/bench/tock_bench
exec "$build_dir/tools/bench/tock_bench" "$@"
