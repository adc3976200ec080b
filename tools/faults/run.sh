#!/usr/bin/env bash
# Builds tock and the fault driver, then runs the fault suite of issue 5, e.g.
#   tools/faults/run.sh                          # all: 10 kill -9 rounds, bad receivers, disk full
#   tools/faults/run.sh --scenario kill9 --rounds 3
# Prints one line per scenario (per round for kill -9) and exits 1 on any violation.
# The disk-full scenario mounts a tmpfs: run as root or with passwordless sudo (it fails,
# saying so, otherwise). BUILD_DIR selects the build tree (default build/).
set -euo pipefail
cd "$(dirname "$0")/../.."
. tools/bench/build_targets.sh
build_targets tock tools/faults/tock_faults
# Bounded: SIGINT after FAULTS_TIMEOUT seconds (default 1800) lets the driver stop its tock
# processes and receivers; SIGKILL 60 s later if it has not.
exec timeout --signal=INT --kill-after=60 "${FAULTS_TIMEOUT:-1800}" \
  "$build_dir/tools/faults/tock_faults" "$@"
