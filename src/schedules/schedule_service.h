// ScheduleService: the life of a schedule (SPEC §4, issue: schedules), from creation through
// its fires to expiry and removal.
//
//   created (enabled) --fire, next exists--> waiting for the next fire
//   any --fire, no next fire--> expired (readable for `retention_ms`, then swept)
//   any --Delete--> gone at once
// Each fire creates one message: a task (TaskService) whose content is the push object and
// whose id is the message id. The next fire of every schedule is an entry in the due index,
// (next_fire_ms, timer_id), so the DueLoader streams schedule timers into the wheel exactly
// like tasks, and the FirePath hands timer ids (kScheduleTimerBit (model/timer_id.h) set) to FireBatch().
// Nothing about schedules is held in memory.
//
// Owned by the server; holds references to the store, task service, loader and clock, which
// outlive it. Thread-safety: every method may be called from any thread (HTTP threads,
// the fire path, the janitor).
#pragma once

#include <array>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <string_view>
#include <vector>

#include "common/clock.h"
#include "common/status.h"
#include "schedules/trigger.h"
#include "model/app.h"
#include "model/schedule.h"
#include "timeutil/time_zone.h"

namespace tock {

class DueSource;
class Store;
class TaskService;

struct ScheduleServiceOptions {
  int64_t max_per_app = 1000;                        // unexpired schedules per application
  int64_t retention_ms = 30LL * 24 * 3600 * 1000;    // expired schedules stay readable
  int64_t misfire_grace_ms = 3600LL * 1000;          // a later fire is skipped
  int64_t page_size = 50;
  int32_t message_timeout_ms = 30000;                // each message task's attempt timeout
  TimeZone server_zone;                              // zone_type 1
};

struct ScheduleSpec {
  std::string name;
  bool enabled = true;
  Trigger trigger;
  std::string trigger_sent;  // the trigger object as sent (minified), echoed back
  std::string push_json;     // minified JSON object
  std::string cid;           // the client's idempotency key (JPush's cid), or ""
};

// Each given section replaces that whole section.
struct ScheduleUpdate {
  std::optional<std::string> name;
  std::optional<bool> enabled;
  std::optional<Trigger> trigger;
  std::string trigger_sent;  // with `trigger`: as sent (minified)
  std::optional<std::string> push_json;
};

struct SchedulePage {
  uint64_t total_count = 0;
  uint64_t total_pages = 0;
  int64_t page = 1;
  std::vector<Schedule> schedules;
};

class ScheduleService {
 public:
  ScheduleService(Store& store, TaskService& tasks, DueSource& loader, const Clock& clock,
                  ScheduleServiceOptions opts);
  ScheduleService(const ScheduleService&) = delete;
  ScheduleService& operator=(const ScheduleService&) = delete;

  // Invalid: enabled false, a trigger that does not validate against now, the per-app
  // limit reached. The write is synced before this returns.
  // With a cid, the schedule's id is derived from (app, cid), and a create whose cid names a
  // schedule that still exists (also expired, within the retention) returns that schedule,
  // unchanged, without validating the request: a retried create makes one schedule, as
  // JPush's cid promises. After a delete the cid makes a new one.
  Result<Schedule> Create(const App& app, ScheduleSpec spec);
  // NotFound for unknown ids, another application's, and expired ones past retention.
  Result<Schedule> Get(const App& app, std::string_view id);
  // Unexpired schedules by creation time. REQUIRES: page >= 1.
  Result<SchedulePage> List(const App& app, int64_t page);
  // Invalid: expired, a different trigger kind or zone_type (CheckTriggerUpdate), a result
  // that does not validate.
  Result<Schedule> Update(const App& app, std::string_view id, ScheduleUpdate update);
  Status Delete(const App& app, std::string_view id);
  // Every message id of the schedule, in fire order.
  Result<std::vector<uint64_t>> MsgIds(const App& app, std::string_view id);

  // --- the fire path's side (schedules/fire_path.h) ----------------------------------------
  // The timers (timer_id, due_ms) fired. For each, creates the message for (schedule, fire
  // time) at most once and moves the schedule to its next fire or expires it; all of them
  // in one synced batch (group commit). A stale timer (deleted, updated, already fired) does
  // nothing. The timer may come before due_ms (the fire lead): the message is then due at
  // due_ms. On a failed write the timers are handed to the loader again (DueSource::Rewind).
  Status FireBatch(const std::vector<std::pair<uint64_t, int64_t>>& timers);
  Status Fire(uint64_t timer_id, int64_t due_ms);  // FireBatch of one

  // Counts each application's unexpired schedules (one scan of its index). Start-up only,
  // before any request.
  Status LoadCounts(const std::vector<std::string>& app_keys);

  // --- the janitor's side ----------------------------------------------------------------
  // Looks at up to `limit` schedule records (resuming where the last call stopped, wrapping
  // around) and removes those expired longer than the retention ago; returns how many.
  Result<size_t> SweepExpired(size_t limit);

 private:
  static constexpr size_t kStripes = 256;
  std::mutex& ScheduleLock(std::string_view id);
  // Cancels the schedule's messages written ahead of a fire time that has not come yet.
  static constexpr size_t kPreparedCheck = 4;
  void CancelPrepared(const App& app, const std::string& schedule_id,
                      const Result<std::vector<uint64_t>>& msg_ids);
  Result<Schedule> LoadOwned(const App& app, std::string_view id);

  Store& store_;
  TaskService& tasks_;
  DueSource& loader_;
  const Clock& clock_;
  const ScheduleServiceOptions opts_;

  std::array<std::mutex, kStripes> schedule_locks_;  // serialise changes to one schedule
  // Unexpired schedules per application and its newest created_ms: the limit check and the
  // creation-order stamp cost O(1) instead of a scan of the app's index per create. Loaded
  // for every application at start (LoadCounts); an application seen later starts at zero.
  struct AppCount {
    int64_t unexpired = 0;
    int64_t last_created = INT64_MIN;
  };
  void AdjustUnexpired(const std::string& app_key, int64_t delta);
  std::mutex counts_mu_;
  std::unordered_map<std::string, AppCount> counts_;  // GUARDED_BY(counts_mu_)
  std::mutex sweep_mu_;
  std::string sweep_cursor_;  // GUARDED_BY(sweep_mu_): next schedule id the sweep looks at
};

}  // namespace tock
