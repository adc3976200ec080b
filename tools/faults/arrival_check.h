// ArrivalCheck: what the fault scenarios promise about the deliveries of acked tasks, checked
// against what the Recorder saw. Every acked task arrived; none before its runtime; a task
// arrived twice only if its first arrival came before the fault was over (`cut`: the kill -9,
// or the moment the database took writes again: an attempt whose outcome could not be
// written is repeated; judged by when the kernel took the request in, Arrival::received_ms) and the repeat after the fault began; never three times; every
// arrival's webhook-id is its taskId, so a repeat carries the same one.
//
// Thread-safety: a pure reading of the Recorder (which locks).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "recorder.h"
#include "scenario.h"

namespace tock::faults {

struct ArrivalCheck {
  int64_t acked = 0;
  int64_t missing = 0;
  int64_t first_missing = -1;   // a taskId never delivered, for the evidence
  int64_t before_cut = 0;       // first arrival at or before the cut
  int64_t read_after_cut = 0;   // of those, read by the receiver only after the cut
  int64_t duplicates = 0;       // arrivals beyond each task's first
  int64_t dup_unexplained = 0;  // tasks repeated other than as above
  std::string unexplained_example;  // the first such task's arrivals, for the evidence
  int64_t early = 0;            // first arrival before the runtime
  int64_t bad_webhook_ids = 0;  // the Recorder's count over the checked span; the caller
                                // sets it (rx.bad_webhook_ids() - the count before)
};

// fault_ms: when the fault began (kill, database stopped); cut_ms: when it was over for the
// tasks (the kill itself; the database writable again).
ArrivalCheck CheckArrivals(const Recorder& rx, const std::vector<int64_t>& acked, int64_t fault_ms,
                           int64_t cut_ms);

// The check's figures (acked, missing, duplicates, dup_unexplained) and its violations, with
// evidence_on_missing (a log tail) appended to the first.
void AddArrivalCheck(const ArrivalCheck& c, const std::string& evidence_on_missing,
                     ScenarioResult* res);

}  // namespace tock::faults
