// DESIGN
// tock_bench drives the workloads of the performance issue against the real tock binary of
// this build tree and prints one summary line per workload; every figure also goes to a JSON
// file. The parts:
// - TockProcess (tests/testutil/tock_process.h, the integration tests' harness): a fresh
//   `tock serve --listen 127.0.0.1:0` per run, on its own temp data dir, with
//   TOCK_ADMIN_TOKEN set; the port is read from the `event=listening` log line, readiness
//   from GET /readyz. Stopped with SIGTERM then SIGKILL, temp dir removed, also on failure
//   (destructors) and on SIGINT/SIGTERM of the driver (a cancel flag that every wait checks);
//   PR_SET_PDEATHSIG covers a crash of the driver, so the workloads run on the main thread.
// - FastReceiver (fast_receiver.h): the callback target, in this process: lock-free per-task
//   slots preallocated before the run, so recording an arrival costs two atomics.
// - ClientPool (bench_util.h): 64 keep-alive clients, one thread each, pulling work from a
//   shared counter, so the load is closed-loop: the measured rate is what tock sustains.
// The machine has 2 cores for tock, the receiver and the driver, so enqueue and delivery are
// separate phases: the burst is due only after enqueue ends (the lead time comes from a short
// calibration enqueue of tasks due in a day), and each rate is measured on its own phase.
// With --runs R each workload runs R times on fresh servers; the summary shows the median of
// each figure, the JSON keeps every run plus median, min and max.
// With --postgresql (issue 12) tock runs on PostgreSQL instead of its embedded RocksDB: a
// fresh database per run on a server given by URL, or on a throw-away cluster this driver
// starts with tools/pg.sh and stops by PID when it exits (also on SIGINT/SIGTERM: the cancel
// flag ends the runs, and the cluster's owner goes out of scope). --nodes N runs W1, W2 and W5
// on N tock nodes of that database (tock_nodes.h). The JSON records the store and the nodes.
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "bench_util.h"
#include "common/fd_limit.h"
#include "common/json_writer.h"
#include "fast_receiver.h"
#include "storage/postgres/pg_connection.h"
#include "testutil/pg_cluster.h"
#include "workloads.h"

#ifndef TOCK_BENCH_TOCK_BINARY
#define TOCK_BENCH_TOCK_BINARY "build/tock"
#endif
#ifndef TOCK_BENCH_DEFAULT_JSON
#define TOCK_BENCH_DEFAULT_JSON "build/bench-results.json"
#endif

namespace tock::bench {
namespace {

constexpr const char kUsage[] =
    "usage: tock_bench [options]\n"
    "  --workload W      W1, W2, W3, W4, W5, W6, a comma list, or all (default all)\n"
    "  --tasks N         tasks per run (defaults: W1 100000, W2 1000*seconds, W3 1000000,\n"
    "                    W5 20000, W6 1000000)\n"
    "  --latency-ms L    W5: the receiver answers each callback after L ms (default 200)\n"
    "  --seconds S       W2: span of the due times (default 60)\n"
    "  --runs R          repeat each workload R times; the summary shows medians (default 1)\n"
    "  --json FILE       where every figure goes (default " TOCK_BENCH_DEFAULT_JSON ")\n"
    "  --clients N       keep-alive client connections/threads (default 64)\n"
    "  --batch N         tasks per /task/batch-create (default 1000)\n"
    "  --offset S        W1/W2: seconds from enqueue start to the first due task\n"
    "                    (default: computed from a calibration enqueue)\n"
    "  --single-share F  W1: share of the burst created by single requests (default 0.5)\n"
    "  --tock BIN        tock binary (default " TOCK_BENCH_TOCK_BINARY ")\n"
    "  --tock-arg ARG    extra argument for `tock serve` (repeatable)\n"
    "  --postgresql URL  run tock on PostgreSQL: a fresh database per run on the server of\n"
    "                    URL (an admin URL: CREATE DATABASE rights), dropped after it;\n"
    "                    `--postgresql start`: on a throw-away cluster (tools/pg.sh)\n"
    "  --nodes N         with --postgresql: W1, W2, W5 on N tock nodes of one database, the\n"
    "                    client connections spread over them (default 1)\n"
    "  --dump PREFIX     W1/W2: write per-task arrivals to PREFIX.<W>.<ms>.csv\n"
    "  --quiet           no progress lines on stderr\n";

struct Aggregate {
  std::string name;
  std::vector<std::string> order;  // figure names in first-seen order
  std::map<std::string, std::vector<double>> values;
  std::map<std::string, Figure> shape;  // unit, precision, summary of each name
  std::vector<RunResult> runs;
};

std::string Num(double v, int precision) {
  if (!std::isfinite(v)) return "null";
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", precision, v);
  return buf;
}

void PrintRun(const std::string& name, int k, int total, const RunResult& r) {
  std::string line = "# " + name + " run " + std::to_string(k) + "/" + std::to_string(total) +
                     (r.ok ? " ok" : " FAILED");
  for (const Figure& f : r.figures) line += " " + f.name + "=" + Num(f.value, f.precision) + f.unit;
  std::fprintf(stderr, "%s\n", line.c_str());
  for (const auto& n : r.notes) std::fprintf(stderr, "#   note: %s\n", n.c_str());
  if (!r.ok) std::fprintf(stderr, "#   error: %s\n", r.error.c_str());
}

// The one summary line: the median of each summary figure; "(lo..hi)" when runs > 1.
std::string SummaryLine(const Aggregate& a) {
  if (!a.runs.empty() && a.runs.front().skipped) return a.runs.front().notes.front();
  std::string line = a.name;
  bool all_ok = true;
  for (const auto& r : a.runs) all_ok = all_ok && r.ok;
  for (const std::string& name : a.order) {
    const Figure& shape = a.shape.at(name);
    if (!shape.summary) continue;
    const auto& v = a.values.at(name);
    line += " " + name + "=" + Num(Median(v), shape.precision) + shape.unit;
    if (v.size() > 1) {
      auto [lo, hi] = std::minmax_element(v.begin(), v.end());
      if (*lo != *hi) {
        line += "(" + Num(*lo, shape.precision) + ".." + Num(*hi, shape.precision) + ")";
      }
    }
  }
  if (a.runs.size() > 1) line += " runs=" + std::to_string(a.runs.size());
  if (!all_ok) line += " FAILED";
  return line;
}

void WriteFigures(JsonWriter& w, const Aggregate& a, double (*pick)(const std::vector<double>&)) {
  w.BeginObject();
  for (const std::string& name : a.order) {
    w.Key(name);
    w.Raw(Num(pick(a.values.at(name)), 3));
  }
  w.EndObject();
}

// What the runs' tock stored its tasks in, for the JSON.
struct StoreInfo {
  std::string kind = "rocksdb";  // or "postgresql"
  std::string server;            // PostgreSQL: "started" (a throw-away cluster) or the URL
};

bool WriteJson(const std::string& path, const BenchOptions& opts, const StoreInfo& store,
               int runs, const std::vector<Aggregate>& all) {
  JsonWriter w;
  w.BeginObject();
  w.Key("tool"); w.String("tock_bench");
  w.Key("started_at"); w.String(Rfc3339Ms(WallNowMs()));
  w.Key("tock_binary"); w.String(opts.tock_binary);
  w.Key("cpus"); w.Int(sysconf(_SC_NPROCESSORS_ONLN));
  w.Key("store"); w.String(store.kind);
  if (!store.server.empty()) { w.Key("postgresql"); w.String(store.server); }
  w.Key("nodes"); w.Int(opts.nodes);
  w.Key("options");
  w.BeginObject();
  w.Key("tasks"); w.Int(opts.tasks);
  w.Key("seconds"); w.Int(opts.seconds);
  w.Key("latency_ms"); w.Int(opts.latency_ms);
  w.Key("runs"); w.Int(runs);
  w.Key("clients"); w.Int(opts.clients);
  w.Key("batch"); w.Int(opts.batch);
  w.Key("offset_s"); w.Raw(Num(opts.offset_s, 3));
  w.Key("single_share"); w.Raw(Num(opts.single_share, 3));
  w.Key("tock_args");
  w.BeginArray();
  for (const auto& s : opts.tock_args) w.String(s);
  w.EndArray();
  w.EndObject();
  w.Key("workloads");
  w.BeginObject();
  for (const Aggregate& a : all) {
    w.Key(a.name);
    w.BeginObject();
    bool ok = true, skipped = false;
    for (const auto& r : a.runs) {
      ok = ok && r.ok;
      skipped = skipped || r.skipped;
    }
    w.Key("ok"); w.Bool(ok);
    w.Key("skipped"); w.Bool(skipped);
    w.Key("summary"); w.String(SummaryLine(a));
    w.Key("median"); WriteFigures(w, a, [](const std::vector<double>& v) { return Median(v); });
    w.Key("min");
    WriteFigures(w, a, [](const std::vector<double>& v) {
      return *std::min_element(v.begin(), v.end());
    });
    w.Key("max");
    WriteFigures(w, a, [](const std::vector<double>& v) {
      return *std::max_element(v.begin(), v.end());
    });
    w.Key("runs");
    w.BeginArray();
    for (const RunResult& r : a.runs) {
      w.BeginObject();
      w.Key("ok"); w.Bool(r.ok);
      if (!r.error.empty()) { w.Key("error"); w.String(r.error); }
      w.Key("notes");
      w.BeginArray();
      for (const auto& n : r.notes) w.String(n);
      w.EndArray();
      w.Key("figures");
      w.BeginObject();
      for (const Figure& f : r.figures) {
        w.Key(f.name);
        w.Raw(Num(f.value, 3));
      }
      w.EndObject();
      w.EndObject();
    }
    w.EndArray();
    w.EndObject();
  }
  w.EndObject();
  w.EndObject();
  std::ofstream out(path, std::ios::trunc);
  out << w.str() << "\n";
  return static_cast<bool>(out);
}

int Main(int argc, char** argv) {
  BenchOptions opts;
  opts.tock_binary = TOCK_BENCH_TOCK_BINARY;
  std::string json_path = TOCK_BENCH_DEFAULT_JSON;
  std::string workloads = "all";
  std::string postgresql;
  int runs = 1;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto value = [&] { return ArgValue(argc, argv, &i, "tock_bench", kUsage); };
    if (a == "--workload") workloads = value();
    else if (a == "--tasks") opts.tasks = std::atoll(value().c_str());
    else if (a == "--seconds") opts.seconds = std::atoll(value().c_str());
    else if (a == "--latency-ms") opts.latency_ms = std::max(0, std::atoi(value().c_str()));
    else if (a == "--runs") runs = std::max(1, std::atoi(value().c_str()));
    else if (a == "--json") json_path = value();
    else if (a == "--clients") opts.clients = std::max(1, std::atoi(value().c_str()));
    else if (a == "--batch") opts.batch = std::clamp(std::atoi(value().c_str()), 1, 1000);
    else if (a == "--offset") opts.offset_s = std::atof(value().c_str());
    else if (a == "--single-share")
      opts.single_share = std::clamp(std::atof(value().c_str()), 0.0, 1.0);
    else if (a == "--tock") opts.tock_binary = value();
    else if (a == "--tock-arg") opts.tock_args.push_back(value());
    else if (a == "--dump") opts.dump_path = value();
    else if (a == "--postgresql") postgresql = value();
    else if (a == "--nodes") opts.nodes = std::max(1, std::atoi(value().c_str()));
    else if (a == "--quiet") opts.verbose = false;
    else if (a == "--help" || a == "-h") {
      std::fputs(kUsage, stdout);
      return 0;
    } else {
      std::fprintf(stderr, "tock_bench: unknown argument %s\n%s", a.c_str(), kUsage);
      return 2;
    }
  }
  std::vector<std::string> names;
  if (workloads == "all") {
    names = {"W1", "W2", "W3", "W4", "W5", "W6"};
  } else {
    size_t start = 0;
    while (start <= workloads.size()) {
      size_t comma = workloads.find(',', start);
      std::string w = workloads.substr(start, comma == std::string::npos ? comma : comma - start);
      for (auto& ch : w) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
      if (w != "W1" && w != "W2" && w != "W3" && w != "W4" && w != "W5" && w != "W6") {
        std::fprintf(stderr, "tock_bench: unknown workload '%s'\n%s", w.c_str(), kUsage);
        return 2;
      }
      names.push_back(w);
      if (comma == std::string::npos) break;
      start = comma + 1;
    }
  }
  if (opts.nodes > 1 && postgresql.empty()) {
    std::fprintf(stderr, "tock_bench: --nodes needs --postgresql (nodes share one database)\n");
    return 2;
  }
  if (!CheckExecutable("tock_bench", opts.tock_binary)) return 2;

  InstallCancelHandlers();
  // Declared before the runs, so it outlives every tock that uses it and stops after them.
  std::unique_ptr<testing::PgCluster> cluster;
  StoreInfo store;
  if (postgresql == "start") {
    std::string error;
    if (!testing::PgCluster::Start("tock-bench-pg-", &cluster, &error)) {
      std::fprintf(stderr, "tock_bench: %s\n", error.c_str());
      return 1;
    }
    opts.pg_url = cluster->admin_url();
    store = {"postgresql", "started"};
  } else if (!postgresql.empty()) {
    opts.pg_url = postgresql;
    store = {"postgresql", pg::RedactUrl(postgresql)};
  }
  if (opts.verbose && !opts.pg_url.empty()) {
    std::fprintf(stderr, "# store: PostgreSQL %s, %d node(s)\n",
                 pg::RedactUrl(opts.pg_url).c_str(), opts.nodes);
  }
  // W5 holds thousands of callback connections open at once in this process.
  RaiseFileLimit();
  FastReceiver rx;
  if (!rx.ok()) {
    std::fprintf(stderr, "tock_bench: the receiver could not bind 127.0.0.1\n");
    return 1;
  }

  std::vector<Aggregate> all;
  bool ok = true;
  for (const std::string& name : names) {
    Aggregate a;
    a.name = name;
    const int n_runs = name == "W4" ? 1 : runs;
    for (int k = 1; k <= n_runs && !Cancelled(); ++k) {
      RunResult r = name == "W1"   ? RunW1(opts, rx)
                    : name == "W2" ? RunW2(opts, rx)
                    : name == "W3" ? RunW3(opts, rx)
                    : name == "W4" ? RunW4(opts, rx)
                    : name == "W5" ? RunW5(opts, rx)
                                   : RunW6(opts, rx);
      if (!r.skipped && opts.verbose) PrintRun(name, k, n_runs, r);
      ok = ok && r.ok;
      for (const Figure& f : r.figures) {
        if (!a.values.count(f.name)) {
          a.order.push_back(f.name);
          a.shape[f.name] = f;
        }
        a.values[f.name].push_back(f.value);
      }
      a.runs.push_back(std::move(r));
    }
    if (a.runs.empty()) break;
    std::printf("%s\n", SummaryLine(a).c_str());
    std::fflush(stdout);
    all.push_back(std::move(a));
    // Partial results survive a later failure or cancel.
    if (!WriteJson(json_path, opts, store, runs, all)) {
      std::fprintf(stderr, "tock_bench: cannot write %s\n", json_path.c_str());
      ok = false;
    }
  }
  if (Cancelled()) {
    std::fprintf(stderr, "tock_bench: cancelled\n");
    return 130;
  }
  if (opts.verbose) std::fprintf(stderr, "# figures written to %s\n", json_path.c_str());
  return ok ? 0 : 1;
}

}  // namespace
}  // namespace tock::bench

int main(int argc, char** argv) { return tock::bench::Main(argc, argv); }
