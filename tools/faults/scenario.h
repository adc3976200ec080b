// The shared shape of a fault scenario's outcome, so tools/faults (full size, printed) and
// tests/integration_faults (short form, asserted) read the same thing.
//
// A scenario never throws and never asserts: it runs, measures, and lists violations of what tock
// promises (an acked task not delivered, a 500 where a 503 was due...). ok() is "no violations".
// Figures are what the summary prints; notes explain without failing.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "testutil/api_client.h"
#include "testutil/tock_process.h"

namespace tock::faults {

struct Figure {
  std::string name;
  double value = 0;
  std::string unit;
  int precision = 0;
};

struct ScenarioResult {
  std::string name;  // "kill9 round 3", "bad-receivers", "disk-full"
  std::vector<Figure> figures;
  std::vector<std::string> violations;  // each one a broken promise, with its evidence
  std::vector<std::string> notes;

  bool ok() const { return violations.empty(); }
  void Add(std::string n, double v, std::string unit = "", int precision = 0) {
    figures.push_back({std::move(n), v, std::move(unit), precision});
  }
  void Violation(std::string what) { violations.push_back(std::move(what)); }
  double Get(const std::string& n, double if_absent = -1) const {
    for (const Figure& f : figures) {
      if (f.name == n) return f.value;
    }
    return if_absent;
  }
  // "name key=value... ok|FAILED" on one line.
  std::string SummaryLine() const;
  // Every violation and note, one per line, indented.
  std::string Details() const;
};

// The one result of a scenario of rounds whose setup failed: "<name> setup", `why` its
// violation.
ScenarioResult SetupFailure(const std::string& name, const std::string& why);

// Options every scenario takes.
struct CommonOptions {
  std::string tock_binary;
  std::vector<std::string> tock_args;  // appended to `tock serve ...`
  bool verbose = false;                // progress lines on stderr
  uint64_t seed = 1;                   // for the random kill moments
  std::function<bool()> cancelled;     // stop early (SIGINT); may be empty
  // Scenarios of many nodes: an existing PostgreSQL server's admin URL (each run makes a
  // database on it); empty: a throw-away cluster of the scenario's own (tools/pg.sh).
  std::string pg_url;
};

// Progress line on stderr when verbose ("# faults: ...").
void Progress(const CommonOptions& o, const std::string& line);
bool IsCancelled(const CommonOptions& o);

// The harness options of every scenario's tock: temp dir tock-faults-*, kept when
// TOCK_FAULTS_KEEP=1, a long start timeout (a restart after kill -9 replays the WAL), the cancel
// flag.
testing::TockProcess::Options FaultsTockOptions(const CommonOptions& o);

// The options of a scenario's application: name, retry_total, and a retry step of 1 s.
testing::AppOptions ScenarioAppOptions(std::string name, int64_t retry_total);

// Creates n tasks through POST /task/batch-create, 1000 a request; task_json(i) is the JSON object
// of task i. Returns the taskIds in order; on a refusal stops and fills *error.
std::vector<int64_t> CreateInBatches(testing::ApiClient& api, const testing::App& app, int64_t n,
                                     const std::function<std::string(int64_t)>& task_json,
                                     std::string* error);

// Task i of the kill scenarios' load, taskNo "<prefix>-<i>": even ones W1-style, all due at
// burst_due_ms; odd ones W2-style, due at creation + a spread over [0, spread_ms).
testing::TaskSpec MixedLoadTask(const std::string& prefix, int64_t i, int64_t burst_due_ms,
                                int64_t spread_ms);

// {"runtime":"<RFC 3339 ms>","content":{"i":i}[,"timeout":t]}
std::string TaskJson(int64_t runtime_ms, int64_t i, int64_t timeout_ms = 0);

}  // namespace tock::faults
