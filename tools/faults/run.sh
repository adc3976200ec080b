#!/usr/bin/env bash
# Builds tock and the fault driver, then runs the fault suite of issue 5, e.g.
#   tools/faults/run.sh                          # all: 10 kill -9 rounds, 3 bad-receivers runs, disk full
#   tools/faults/run.sh --scenario kill9 --rounds 3
# and, named on their own, the PostgreSQL scenarios of issue 12 (each starts a throw-away
# cluster with tools/pg.sh and stops it by PID):
#   tools/faults/run.sh --scenario nodes-kill9 --rounds 10   # kill -9 one of two nodes
#   tools/faults/run.sh --scenario nodes-kill9 --postgresql postgresql://u:p@host:5432/db
#   tools/faults/run.sh --scenario pg-outage --outage 10     # the database down for 10 s
#   tools/faults/run.sh --scenario pg-outage --nodes 2
# (--tock-arg --lease-ttl --tock-arg 3 shortens the nodes' lease; the default is 10 s.)
# Prints one line per scenario (per round for the kill -9 ones) and exits 1 on any violation.
# The disk-full scenario mounts a tmpfs: run as root or with passwordless sudo (it fails,
# saying so, otherwise). BUILD_DIR selects the build tree (default build/).
set -euo pipefail
cd "$(dirname "$0")/../.."
. tools/bench/build_targets.sh
build_targets tock tools/faults/tock_faults
# Bounded: SIGINT after FAULTS_TIMEOUT seconds (default 1800) lets the driver stop its tock
# processes, receivers and database; SIGKILL 60 s later if it has not.
exec timeout --signal=INT --kill-after=60 "${FAULTS_TIMEOUT:-1800}" \
  "$build_dir/tools/faults/tock_faults" "$@"
