// The workloads of the performance issue. Each one starts its own fresh tock (new temp data
// dir; on PostgreSQL a new database too, see tock_nodes.h), creates an application whose
// linkUrl is the shared FastReceiver, drives the load, measures, and stops tock again, so runs
// are independent and a failure leaves nothing behind.
//
// On PostgreSQL (BenchOptions::pg_url) W1, W2 and W5 may run on several nodes of one database
// (BenchOptions::nodes): the application is made on node 1, the client connections are spread
// over the nodes round-robin, the receiver counts deliveries from all; the figures are the
// one-node figures plus each node's share of the CPU. W3 measures the database's size where
// it measures the data dir on RocksDB, and skips the kill -9 restart (there is no WAL of
// tock's to replay); W3 and W4 run on one node.
//
//   W1 burst:     N tasks all due at one second; enqueue rate (single creates, then 1000-task
//                 batches; half each), then delivery rate and lateness.
//   W2 spread:    N tasks due evenly over S seconds; lateness.
//   W3 pending:   N tasks due in a day (batches); enqueue time, RSS, disk; SIGTERM and
//                 restart: exec -> /readyz 200, RSS after restart; then 200 000 more
//                 tasks and kill -9 at once: restart to ready (with WAL replay).
//   W4 schedules: N single-trigger schedules (default 100 000) pending over the next 300
//                 days: creation rate, RSS, restart to ready and RSS after restart; then
//                 1000 more all due in the same second: fire lateness p50/p99/max.
//   W5 slow receiver: N tasks (default 20 000) of one application due together, to a
//                 receiver that answers each after --latency-ms (default 200): deliveries/s,
//                 callbacks in flight at the receiver (most at once), tock's peak RSS.
//   W6 task list: N tasks (default 1 000 000) due in a day, made by batch-create (taskNos
//                 generated); then GET /admin/tasks: the first page (every application,
//                 any state), a page by application and state, the next page by cursor, a
//                 due-range page, a taskNo-prefix page ("ab": ~1/256 of them), and GET
//                 /admin/failed: the median of 3 of each, in ms (issue 13: <= 50 ms with
//                 1 000 000 stored).
//
// Thread-safety: one workload at a time, from the main thread.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace tock::bench {

class FastReceiver;

struct BenchOptions {
  std::string tock_binary;
  int64_t tasks = -1;      // -1: the workload's default
  int64_t seconds = -1;    // W2 span; -1: 60
  int latency_ms = 200;    // W5: the receiver's answer delay
  int clients = 64;        // keep-alive client connections (one thread each)
  int batch = 1000;        // tasks per /task/batch-create
  double offset_s = -1;    // W1/W2 lead time before the first due task; -1: computed
  double single_share = 0.5;  // W1: share of the burst created by single requests
  std::vector<std::string> tock_args;  // appended to `tock serve ...`
  std::string pg_url;      // a PostgreSQL server's admin URL: each run makes a database on it;
                           // empty: the embedded RocksDB store
  int nodes = 1;           // W1, W2, W5 on PostgreSQL: tock nodes on the run's database
  bool verbose = true;     // progress lines on stderr
  std::string dump_path;   // W1/W2: per-task CSV (slot,scheduled_ms,first_arrival_us,hits)
};

// One measured figure. `summary` ones go on the one-line summary.
struct Figure {
  std::string name;
  double value = 0;
  std::string unit;  // appended on the summary line ("/s", "ms", "MiB", "")
  int precision = 0;
  bool summary = true;
};

struct RunResult {
  bool ok = true;            // false: errors, lost deliveries, tock died, or setup failed
  std::string error;         // first failure, with the tock log tail where it helps
  std::vector<Figure> figures;
  std::vector<std::string> notes;  // abnormal but not failing (duplicates, late enqueue...)
  bool skipped = false;
};

RunResult RunW1(const BenchOptions& opts, FastReceiver& rx);
RunResult RunW2(const BenchOptions& opts, FastReceiver& rx);
RunResult RunW3(const BenchOptions& opts, FastReceiver& rx);
RunResult RunW4(const BenchOptions& opts, FastReceiver& rx);
RunResult RunW5(const BenchOptions& opts, FastReceiver& rx);
RunResult RunW6(const BenchOptions& opts, FastReceiver& rx);

}  // namespace tock::bench
