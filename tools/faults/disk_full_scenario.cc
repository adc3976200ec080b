// DESIGN: the tmpfs is mounted on the TockProcess's data dir before tock
// starts, and unmounted after tock is stopped (members are destroyed in reverse order: the mount is
// declared after the process, and tock is terminated explicitly first). The fill runs `clients`
// creators that stop at the first refusal; the hold phase then probes writes and reads from the
// main thread; the filler is deleted and a create is retried every 200 ms until one succeeds.
#include "disk_full_scenario.h"

#include <atomic>
#include <mutex>
#include <thread>

#include "../bench/bench_util.h"
#include "recorder.h"
#include "testutil/tmpfs_mount.h"

namespace tock::faults {
namespace {

using testing::ApiClient;
using testing::ApiResponse;

bool NamesNoSpace(const std::string& msg) {
  return msg.find("disk full") != std::string::npos || msg.find("no space") != std::string::npos ||
         msg.find("No space") != std::string::npos;
}

struct Fill {
  std::mutex mu;
  std::vector<int64_t> acked;
  std::vector<std::string> bad_answers;  // neither 200 nor a 503 naming the cause
  ApiResponse first_refusal;
  bool refused = false;
};

std::string PaddedTask(int64_t i, int64_t runtime_ms, const std::string& pad) {
  return "{\"runtime\":" + testing::RuntimeJson(runtime_ms) +
         ",\"content\":{\"i\":" + std::to_string(i) + ",\"pad\":\"" + pad + "\"}}";
}

// One create; sorts the answer into acked / refused / bad. Returns true on 200.
bool CreateOne(ApiClient& api, const testing::App& app, int64_t i, int64_t due_in_ms,
               const std::string& pad, Fill& fill) {
  ApiResponse r = api.CreateTaskJson(app, PaddedTask(i, bench::WallNowMs() + due_in_ms, pad));
  std::lock_guard<std::mutex> l(fill.mu);
  if (r.status == 200 && r.Int("/data/taskId") != INT64_MIN) {
    fill.acked.push_back(r.Int("/data/taskId"));
    return true;
  }
  if (r.status == 503 && NamesNoSpace(r.msg())) {
    if (!fill.refused) fill.first_refusal = r;
    fill.refused = true;
  } else {
    fill.bad_answers.push_back(r.Describe());
  }
  return false;
}

}  // namespace

ScenarioResult RunDiskFull(const DiskFullOptions& o) {
  ScenarioResult res;
  res.name = "disk-full";
  Recorder rx;
  if (!CheckStarted(rx, &res)) return res;
  testing::TockProcess tock(FaultsTockOptions(o.common));
  testing::TmpfsMount fs(tock.data_dir(), o.tmpfs_bytes);
  if (!fs.ok()) {
    res.Violation(fs.error());
    return res;
  }
  // Destroyed before fs: tock is stopped before its data dir is unmounted.
  struct StopFirst {
    testing::TockProcess& tock;
    ~StopFirst() { tock.Kill9(); }
  } stop_first{tock};
  std::string error;
  if (!tock.Start(&error)) {
    res.Violation("tock did not start on the tmpfs: " + error);
    return res;
  }
  const pid_t pid = tock.pid();
  ApiClient api(tock);
  testing::App app = api.CreateApp(rx.Url(), ScenarioAppOptions("faults-disk", 5));
  if (!app.ok()) {
    res.Violation("create app: " + app.create_response.Describe());
    return res;
  }
  res.Add("free_at_start", static_cast<double>(fs.FreeBytes()) / (1 << 20), "MiB", 1);
  fs.Fill(o.leave_free_bytes);

  // Fill the rest with tasks until the first refusal.
  const std::string pad(static_cast<size_t>(o.content_bytes), 'x');
  Fill fill;
  std::atomic<int64_t> next{0};
  std::atomic<bool> stop{false};
  std::vector<std::thread> creators;
  for (int c = 0; c < o.clients; ++c) {
    creators.emplace_back([&] {
      ApiClient cli(tock);
      while (!stop.load() && !IsCancelled(o.common)) {
        const int64_t i = next.fetch_add(1);
        if (i >= o.max_tasks) return;
        if (!CreateOne(cli, app, i, o.due_in_ms, pad, fill)) stop.store(true);
      }
    });
  }
  for (auto& t : creators) t.join();
  const int64_t acked_before_full = static_cast<int64_t>(fill.acked.size());
  res.Add("acked_before_full", static_cast<double>(acked_before_full));
  Progress(o.common, "disk-full: " + std::to_string(acked_before_full) +
                         " tasks acked, then: " + fill.first_refusal.Describe());
  if (!fill.refused) {
    res.Violation(
        "the disk never filled, or tock did not refuse with a 503 "
        "naming the cause" +
        (fill.bad_answers.empty() ? std::string() : ": " + fill.bad_answers[0]));
    return res;
  }
  res.notes.push_back("refusal: " + fill.first_refusal.Describe());

  // Hold the disk full: writes refused with 503, reads served.
  int64_t refused = 0, reads_ok = 0, reads = 0;
  int readyz_full = 0;
  std::string readyz_body;
  const int64_t hold_end = bench::WallNowMs() + o.full_hold_ms;
  int64_t i = next.load() + 1;
  while (bench::WallNowMs() < hold_end && !IsCancelled(o.common)) {
    if (!CreateOne(api, app, i++, o.due_in_ms, pad, fill)) ++refused;
    {
      std::lock_guard<std::mutex> l(fill.mu);
      const int64_t id = fill.acked[static_cast<size_t>(reads) % fill.acked.size()];
      ++reads;
      reads_ok += api.Detail(app, id).status == 200 ? 1 : 0;
    }
    reads_ok += api.Healthz() == 200 ? 1 : 0;
    ++reads;
    ApiResponse ready = api.Get("/readyz");
    readyz_full = ready.status;
    readyz_body = ready.body;
    bench::SleepMs(100);
  }
  res.Add("refused_while_full", static_cast<double>(refused));
  res.Add("reads_ok_while_full", static_cast<double>(reads_ok));
  res.Add("readyz_while_full", readyz_full);
  if (reads_ok != reads) {
    res.Violation(std::to_string(reads - reads_ok) + " of " + std::to_string(reads) +
                  " reads failed while the disk was full");
  }
  if (readyz_full != 503 || readyz_body.find("storage_unavailable") == std::string::npos) {
    res.Violation("/readyz while the disk was full: " + std::to_string(readyz_full) + " " +
                  readyz_body);
  }
  if (!tock.running()) {
    res.Violation("tock died while the disk was full\n" + tock.LogTail(2000));
    return res;
  }

  // Space returns: creates succeed again, without a restart.
  fs.RemoveFiller();
  const int64_t t_free = bench::WallNowMs();
  bool recovered = false;
  while (bench::WallNowMs() - t_free < o.recover_timeout_ms && !IsCancelled(o.common)) {
    if (CreateOne(api, app, i++, o.due_in_ms, pad, fill)) {
      recovered = true;
      break;
    }
    bench::SleepMs(200);
  }
  const int64_t recovery_ms = bench::WallNowMs() - t_free;
  res.Add("recovered_after", static_cast<double>(recovery_ms), "ms");
  if (!recovered) {
    res.Violation("creates still refused " + std::to_string(recovery_ms) +
                  " ms after space was freed\n" + tock.LogTail(2000));
  }
  if (tock.pid() != pid || !tock.running()) res.Violation("tock restarted or died");
  // A few more creates after recovery, to show it holds.
  for (int k = 0; k < 20 && recovered; ++k) {
    if (!CreateOne(api, app, i++, o.due_in_ms, pad, fill)) {
      res.Violation("a create failed after recovery");
      break;
    }
  }
  int readyz_after = 0;
  for (int k = 0; k < 20 && readyz_after != 200; ++k) {
    readyz_after = api.Get("/readyz").status;
    if (readyz_after != 200) bench::SleepMs(100);
  }
  res.Add("readyz_after", readyz_after);
  if (readyz_after != 200) res.Violation("/readyz not 200 after recovery");

  // Everything acked is delivered, and its outcome recorded.
  std::vector<int64_t> acked;
  {
    std::lock_guard<std::mutex> l(fill.mu);
    acked = fill.acked;
    for (const auto& b : fill.bad_answers)
      res.Violation("create answered neither 200 nor 503: " + b);
  }
  const bool all =
      rx.WaitForAll(acked, std::chrono::milliseconds(o.deliver_timeout_ms), o.common.cancelled);
  int64_t missing = 0, dups = 0, not_success = 0;
  std::string first_not_success;
  const auto deadline =
      std::chrono::steady_clock::now() + std::chrono::milliseconds(o.deliver_timeout_ms);
  for (int64_t id : acked) {
    Recorder::Task t = rx.Get(id);
    if (t.arrivals.empty())
      ++missing;
    else
      dups += static_cast<int64_t>(t.arrivals.size()) - 1;
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    ApiResponse d = api.WaitForStatus(app, id, 2, std::max(left, std::chrono::milliseconds(1)));
    if (d.Int("/data/status") != 2 && not_success++ == 0) first_not_success = d.Describe();
  }
  res.Add("acked", static_cast<double>(acked.size()));
  res.Add("missing", static_cast<double>(missing));
  res.Add("duplicates", static_cast<double>(dups));
  if (!all || missing > 0) {
    res.Violation(std::to_string(missing) + " acked tasks never delivered\n" + tock.LogTail(2000));
  }
  if (not_success > 0) {
    res.Violation(std::to_string(not_success) +
                  " acked tasks not in state success (outcome lost?); first: " + first_not_success);
  }
  if (rx.early() > 0)
    res.Violation(std::to_string(rx.early()) + " deliveries before their runtime");
  tock.Terminate(std::chrono::seconds(20));
  return res;
}

}  // namespace tock::faults
