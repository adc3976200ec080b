#include "arrival_check.h"

#include <algorithm>

namespace tock::faults {

ArrivalCheck CheckArrivals(const Recorder& rx, const std::vector<int64_t>& acked, int64_t fault_ms,
                           int64_t cut_ms) {
  ArrivalCheck c;
  c.acked = static_cast<int64_t>(acked.size());
  for (int64_t id : acked) {
    Recorder::Task t = rx.Get(id);
    if (t.arrivals.empty()) {
      if (c.missing++ == 0) c.first_missing = id;
      continue;
    }
    std::sort(t.arrivals.begin(), t.arrivals.end(),
              [](const auto& a, const auto& b) { return a.wall_ms < b.wall_ms; });
    if (t.arrivals.front().wall_ms < t.scheduled_ms) ++c.early;
    // Sent before the cut: by when the kernel took it in, not when the receiver read it.
    const bool first_before_cut =
        t.arrivals.front().received_ms <= cut_ms + Recorder::kReceivedSlackMs;
    if (first_before_cut) ++c.before_cut;
    if (first_before_cut && t.arrivals.front().wall_ms > cut_ms) ++c.read_after_cut;
    const int64_t extra = static_cast<int64_t>(t.arrivals.size()) - 1;
    c.duplicates += extra;
    const bool explained = extra == 1 && first_before_cut && t.arrivals[1].wall_ms > fault_ms;
    if (extra > 0 && !explained && c.dup_unexplained++ == 0) {
      c.unexplained_example = "taskId " + std::to_string(id) + " due at " +
                              std::to_string(t.scheduled_ms - fault_ms) + " ms, arrived at";
      for (const Recorder::Arrival& a : t.arrivals) {
        c.unexplained_example += " " + std::to_string(a.wall_ms - fault_ms) + " ms (received " +
                                 std::to_string(a.received_ms - fault_ms) + " ms, attempt " +
                                 std::to_string(a.attempt) + ")";
      }
      c.unexplained_example += ", from the fault; the fault over at " +
                               std::to_string(cut_ms - fault_ms) + " ms";
    }
  }
  return c;
}

void AddArrivalCheck(const ArrivalCheck& c, const std::string& evidence_on_missing,
                     ScenarioResult* res) {
  res->Add("acked", static_cast<double>(c.acked));
  res->Add("missing", static_cast<double>(c.missing));
  res->Add("duplicates", static_cast<double>(c.duplicates));
  res->Add("dup_unexplained", static_cast<double>(c.dup_unexplained));
  res->Add("read_after_cut", static_cast<double>(c.read_after_cut));
  if (c.acked == 0) res->notes.push_back("no task was acked");
  if (c.missing > 0) {
    res->Violation(std::to_string(c.missing) + " acked tasks never delivered (e.g. taskId " +
                   std::to_string(c.first_missing) + ")\n" + evidence_on_missing);
  }
  if (c.dup_unexplained > 0) {
    res->Violation(std::to_string(c.dup_unexplained) +
                   " tasks repeated without having been delivered before the fault was over (" +
                   c.unexplained_example + ")");
  }
  if (c.early > 0) {
    res->Violation(std::to_string(c.early) + " tasks delivered before their runtime");
  }
  if (c.bad_webhook_ids > 0) {
    res->Violation(std::to_string(c.bad_webhook_ids) +
                   " deliveries whose webhook-id is not the taskId");
  }
}

}  // namespace tock::faults
