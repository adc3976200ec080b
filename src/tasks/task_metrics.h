// Metrics of the task service, all of them (process registry, metrics/metrics.h). Counters
// of transitions, counted once the write that makes them is done; storage holds no count of
// tasks by state (waiting ones are estimated by tock_due_index_entries, server.cc).
//   tock_tasks_created_total               new tasks: API creates and schedule messages
//   tock_tasks_finished_total{state}       waiting -> success | failed | cancelled
//   tock_tasks_published_total             publish: run now, or a new round after failed
//   tock_delivery_retries_total            retries scheduled after a failed attempt
//
// Thread-safety: the counters are atomic; any thread.
#pragma once

#include "metrics/metrics.h"

namespace tock {

struct TaskMetrics {
  metrics::Counter& created =
      metrics::Process().AddCounter("tock_tasks_created_total", "Tasks created.");
  metrics::Family<metrics::Counter>& finished = metrics::Process().AddCounterFamily(
      "tock_tasks_finished_total", "Tasks that reached a final state, by state.", {"state"});
  metrics::Counter& success = finished.With({"success"});
  metrics::Counter& failed = finished.With({"failed"});
  metrics::Counter& cancelled = finished.With({"cancelled"});
  metrics::Counter& published = metrics::Process().AddCounter(
      "tock_tasks_published_total", "Tasks run now or re-armed through publish.");
  metrics::Counter& retries = metrics::Process().AddCounter(
      "tock_delivery_retries_total", "Retries scheduled after a failed attempt.");
};

// The one instance, registered at start (so every series shows from the first scrape).
TaskMetrics& GetTaskMetrics();

}  // namespace tock
