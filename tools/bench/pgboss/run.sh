#!/usr/bin/env bash
# The pg-boss half of issue 12's side-by-side W1 (see README.md beside this file):
#   tools/bench/pgboss/run.sh [--tasks N] [--runs K] [-- ARGS for pgboss_w1.mjs]
# e.g. tools/bench/pgboss/run.sh --tasks 5000 --runs 1          # a smoke run
#      tools/bench/pgboss/run.sh --runs 3 -- --workers 8 --batch-size 200
# Installs the pinned pg-boss (package.json and package-lock.json beside this file) into
# $BUILD_DIR/bench-node (default build/, git-ignored) if it is missing, starts a throw-away
# PostgreSQL 15 with tools/pg.sh (stopped by PID on exit), runs the workload K times (default
# 3; each run drops and recreates pg-boss's schema), prints each run's JSON line and then one
# line of medians. Every line also goes to $BUILD_DIR/pgboss-results.jsonl.
set -euo pipefail
cd "$(dirname "$0")/../../.."
here=tools/bench/pgboss
tasks=100000
runs=3
extra=()
while [ $# -gt 0 ]; do
  case $1 in
    --tasks) tasks=$2; shift 2 ;;
    --runs) runs=$2; shift 2 ;;
    --) shift; extra=("$@"); break ;;
    *) echo "usage: $here/run.sh [--tasks N] [--runs K] [-- pgboss_w1.mjs args]" >&2; exit 2 ;;
  esac
done

build=${BUILD_DIR:-build}
nodedir=$build/bench-node
want=$(node -p "require('./$here/package.json').dependencies['pg-boss']")
have=$(node -p "try { require('./$nodedir/node_modules/pg-boss/package.json').version } catch { '' }")
if [ "$have" != "$want" ]; then
  mkdir -p "$nodedir"
  cp "$here/package.json" "$here/package-lock.json" "$nodedir/"
  (cd "$nodedir" && npm ci --silent --no-audit --no-fund >/dev/null)
  echo "# installed pg-boss $want into $nodedir" >&2
fi

tmp=$(mktemp -d /tmp/tock-pgboss-XXXXXX)
chmod 755 "$tmp"  # the postgres user enters it
trap 'tools/pg.sh stop "$tmp/pg"; rm -rf "$tmp"' EXIT
trap 'exit 143' TERM INT  # so that the EXIT trap stops PostgreSQL
url=$(tools/pg.sh start "$tmp/pg")
echo "# PostgreSQL at ${url/tock:tock@/tock:***@}; load: $(cut -d' ' -f1-3 /proc/loadavg)" >&2

results=$build/pgboss-results.jsonl
lines=()
for k in $(seq 1 "$runs"); do
  set +e
  line=$(NODE_PATH="$PWD/$nodedir/node_modules" node "$here/pgboss_w1.mjs" --url "$url" \
           --tasks "$tasks" --pg-pid "$(cat "$tmp/pg/pid")" --verbose "${extra[@]}" | tail -1)
  rc=$?
  set -e
  echo "$line"
  echo "$line" >> "$results"
  [ $rc -eq 0 ] || echo "# run $k failed (exit $rc)" >&2
  lines+=("$line")
done

printf '%s\n' "${lines[@]}" | node -e '
  const rows = require("fs").readFileSync(0, "utf8").trim().split("\n")
    .map((l) => { try { return JSON.parse(l); } catch { return null; } }).filter(Boolean);
  const keys = ["enqueue_single", "enqueue_batch", "deliver", "late_p50_ms", "late_p99_ms",
                "late_max_ms", "lost", "dup", "loadavg1"];
  const med = (a) => { a = [...a].sort((x, y) => x - y); const m = a.length >> 1;
                       return a.length % 2 ? a[m] : (a[m - 1] + a[m]) / 2; };
  const out = { median_of: rows.length, ok: rows.every((r) => r.ok) };
  for (const k of keys) {
    const v = rows.map((r) => r[k]).filter((x) => typeof x === "number");
    if (v.length) out[k] = { median: med(v), min: Math.min(...v), max: Math.max(...v) };
  }
  if (rows.length) Object.assign(out, { pgboss: rows[0].pgboss, postgres: rows[0].postgres,
    workers: rows[0].workers, batch_size: rows[0].batch_size, procs: rows[0].procs,
    poll_s: rows[0].poll_s, tasks: rows[0].tasks });
  console.log(JSON.stringify(out));' | tee -a "$results"
