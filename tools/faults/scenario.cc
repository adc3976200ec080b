#include "scenario.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <utility>

#include "../bench/bench_util.h"

namespace tock::faults {

std::string ScenarioResult::SummaryLine() const {
  std::string line = name;
  for (const Figure& f : figures) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.*f", f.precision, std::isfinite(f.value) ? f.value : -1.0);
    line += " " + f.name + "=" + buf + f.unit;
  }
  line += ok() ? " ok" : " FAILED";
  return line;
}

std::string ScenarioResult::Details() const {
  std::string out;
  for (const auto& v : violations) out += "#   VIOLATION: " + v + "\n";
  for (const auto& n : notes) out += "#   note: " + n + "\n";
  return out;
}

ScenarioResult SetupFailure(const std::string& name, const std::string& why) {
  ScenarioResult r;
  r.name = name + " setup";
  r.Violation(why);
  return r;
}

bool IsCancelled(const CommonOptions& o) { return o.cancelled && o.cancelled(); }

testing::TockProcess::Options FaultsTockOptions(const CommonOptions& c) {
  testing::TockProcess::Options o;
  o.binary = c.tock_binary;
  o.extra_args = c.tock_args;
  o.ready_timeout = std::chrono::seconds(60);
  o.temp_prefix = "tock-faults-";
  o.keep_env_var = "TOCK_FAULTS_KEEP";
  o.cancelled = c.cancelled;
  return o;
}

testing::AppOptions ScenarioAppOptions(std::string name, int64_t retry_total) {
  testing::AppOptions o;
  o.name = std::move(name);
  o.step = 1;
  o.retry_total = retry_total;
  return o;
}

std::vector<int64_t> CreateInBatches(testing::ApiClient& api, const testing::App& app, int64_t n,
                                     const std::function<std::string(int64_t)>& task_json,
                                     std::string* error) {
  std::vector<int64_t> ids;
  ids.reserve(static_cast<size_t>(n));
  for (int64_t first = 0; first < n; first += 1000) {
    const int64_t last = std::min(n, first + 1000);
    std::string body = "{\"tasks\":[";
    for (int64_t i = first; i < last; ++i) {
      if (i != first) body += ',';
      body += task_json(i);
    }
    body += "]}";
    testing::ApiResponse r = api.AppPost(app, "/task/batch-create", body);
    if (r.status != 200 || r.Size("/data/taskIds") != last - first) {
      *error = "batch-create: " + r.Describe();
      return ids;
    }
    for (int64_t k = 0; k < last - first; ++k) {
      ids.push_back(r.Int("/data/taskIds/" + std::to_string(k)));
    }
  }
  return ids;
}

testing::TaskSpec MixedLoadTask(const std::string& prefix, int64_t i, int64_t burst_due_ms,
                                int64_t spread_ms) {
  const int64_t spread = std::max<int64_t>(1, spread_ms);
  const int64_t runtime = i % 2 == 0 ? burst_due_ms : bench::WallNowMs() + (i * 7919) % spread;
  testing::TaskSpec spec;
  spec.task_no = prefix + "-" + std::to_string(i);
  spec.runtime = testing::RuntimeJson(runtime);
  spec.content = "{\"p\":\"" + prefix + "\",\"i\":" + std::to_string(i) + "}";
  return spec;
}

std::string TaskJson(int64_t runtime_ms, int64_t i, int64_t timeout_ms) {
  std::string s = "{\"runtime\":" + testing::RuntimeJson(runtime_ms) +
                  ",\"content\":{\"i\":" + std::to_string(i) + "}";
  if (timeout_ms > 0) s += ",\"timeout\":" + std::to_string(timeout_ms);
  return s + "}";
}

void Progress(const CommonOptions& o, const std::string& line) {
  if (o.verbose) std::fprintf(stderr, "# faults: %s\n", line.c_str());
}

}  // namespace tock::faults
