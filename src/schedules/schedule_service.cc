// DESIGN
// Storage is the only home of a schedule: its record (schedules), its place in the app's
// listing (schedule_index, unexpired only), the map from its timer id back to it
// (schedule_timers), one msg_ids entry per fire, and its next fire as a due-index entry
// (next_fire_ms, timer_id). The timer id is allocated once, at creation, from the task id
// counter with kScheduleTimerBit set, so it never collides with a task id and the wheel
// keeps one timer per schedule. 100 000 schedules cost 100 000 due entries on disk and,
// like tasks, only the next wheel-horizon's worth of timers in memory.
//
// Exactly-once messages. A fire writes, in ONE synced batch: the msg_ids entry for
// (schedule, fire_ms), the message task (record, due entry, taskNo) and the schedule's new
// next fire (or its expiry). A repeated fire of the same (timer, due) - the loader and an
// Arm both handing it over - finds next_fire_ms moved on and does nothing; should the
// msg_ids entry exist anyway, no message is made and the schedule only moves on. A crash
// before the batch is durable leaves the old due entry, and the fire happens after restart.
// The fires that come together (the fire path takes all waiting) share one synced write;
// each costs one task id; misfire checks cost nothing extra.
//
// Misfires. Fire compares the due time with the clock: within misfire_grace_ms it fires
// once (however many fire times passed, the next is computed after now); beyond it the fire
// is skipped and logged, except that the latest fire time still inside the grace window, if
// any, fires once instead.
//
// Locks: schedule_locks_[hash(id) % 256] around every read-modify-write of one schedule
// (update, delete, fire, sweep), held across the synced write. counts_mu_ guards the
// per-application counts: a create reserves its slot under it (so two concurrent creates
// cannot both take the last one) and writes without it; it is never held across I/O except
// at start-up (LoadCounts). Arming timers happens after the locks are released.
// The stripes serialise this process only. On a store shared by nodes a schedule write based
// on a stale read is refused (Schedule::revision): an update reads again and retries, a fire
// rewinds its timers (the refire reads again; the msg-id keeps it one message), and a create
// of a cid another node made at the same moment answers that node's schedule. The
// per-application count is this node's: with N nodes an application can reach the limit on
// each of them before the counts are read again at a restart (see the README).

#include "schedules/schedule_service.h"

#include <algorithm>
#include <functional>
#include <unordered_set>

#include "auth/signing.h"
#include "common/log.h"
#include "metrics/metrics.h"
#include "model/timer_id.h"
#include "storage/store.h"
#include "tasks/due_source.h"
#include "tasks/stale_write.h"
#include "tasks/task_service.h"

namespace tock {
namespace {

Status NotFoundStatus(std::string_view id) {
  return Status::NotFound("schedule " + std::string(id) + " does not exist");
}

}  // namespace

ScheduleService::ScheduleService(Store& store, TaskService& tasks, DueSource& loader,
                                 const Clock& clock, ScheduleServiceOptions opts)
    : store_(store), tasks_(tasks), loader_(loader), clock_(clock), opts_(std::move(opts)) {}

std::mutex& ScheduleService::ScheduleLock(std::string_view id) {
  return schedule_locks_[std::hash<std::string_view>()(id) % kStripes];
}

Result<Schedule> ScheduleService::LoadOwned(const App& app, std::string_view id) {
  Result<Schedule> s = store_.GetSchedule(id);
  if (!s.ok()) {
    if (s.status().code() == Code::kNotFound) return NotFoundStatus(id);
    return s.status();
  }
  // Another application's schedule is reported exactly like a missing one, and so is one
  // expired longer than the retention that the janitor has not swept yet.
  if (s->app_key != app.app_key) return NotFoundStatus(id);
  if (s->expired_ms != 0 && s->expired_ms + opts_.retention_ms <= clock_.WallMs()) {
    return NotFoundStatus(id);
  }
  return s;
}

Result<Schedule> ScheduleService::Create(const App& app, ScheduleSpec spec) {
  // A cid names one schedule per application: its id is derived from both, and creates with
  // the same id are serialised by its stripe lock, held across the synced write.
  const std::string id =
      spec.cid.empty() ? RandomUuid() : NameUuid("schedule-cid:" + app.app_key + '\0' + spec.cid);
  std::unique_lock<std::mutex> cid_lock;
  bool replaces_stale = false;  // an expired record past its retention that the janitor left
  uint64_t stale_revision = 0;  // its revision, which the new record's write replaces
  if (!spec.cid.empty()) {
    cid_lock = std::unique_lock<std::mutex>(ScheduleLock(id));
    Result<Schedule> raw = store_.GetSchedule(id);
    if (raw.ok()) {
      if (raw->app_key != app.app_key) {
        return Status::Internal("schedule id " + id + " of a cid is another application's");
      }
      Result<Schedule> visible = LoadOwned(app, id);
      if (visible.ok() || visible.status().code() != Code::kNotFound) return visible;
      replaces_stale = true;
      stale_revision = raw->revision;
    } else if (raw.status().code() != Code::kNotFound) {
      return raw.status();
    }
  }
  if (!spec.enabled) {
    return Status::Invalid("enabled: must be true when a schedule is created");
  }
  const int64_t now = clock_.WallMs();
  TOCK_RETURN_IF_ERROR(ValidateForCreate(spec.trigger, now));
  std::optional<int64_t> next = NextFireAfter(spec.trigger, now);
  if (!next) return Status::Invalid("trigger: would never fire");

  // Reserve a slot under the counts lock; the synced write happens without it, so
  // concurrent creates share fsyncs. A failed write gives the slot back.
  int64_t created_ms;
  {
    std::lock_guard<std::mutex> l(counts_mu_);
    AppCount& c = counts_[app.app_key];
    if (c.unexpired >= opts_.max_per_app) {
      return Status::Invalid("schedules: the application already has " +
                             std::to_string(opts_.max_per_app) +
                             " unexpired schedules, the limit; delete one first");
    }
    ++c.unexpired;
    // Creation order is listing order: a create in the same millisecond as the app's
    // newest schedule is stamped one millisecond later.
    created_ms = c.last_created == INT64_MIN ? now : std::max(now, c.last_created + 1);
    c.last_created = created_ms;
  }

  Result<uint64_t> n = store_.AllocateTaskIds(1);
  if (!n.ok()) {
    AdjustUnexpired(app.app_key, -1);
    return n.status();
  }
  Schedule s;
  s.id = id;
  s.cid = std::move(spec.cid);
  s.app_key = app.app_key;
  s.name = std::move(spec.name);
  s.enabled = true;
  s.trigger_json = TriggerToJson(spec.trigger);
  s.trigger_sent = std::move(spec.trigger_sent);
  s.push_json = std::move(spec.push_json);
  s.timer_id = kScheduleTimerBit | *n;
  s.next_fire_ms = *next;
  s.created_ms = s.updated_ms = created_ms;
  s.revision = stale_revision;

  const std::unique_ptr<Store::Batch> b = store_.NewBatch();
  if (replaces_stale) b->DeleteMsgIds(s.id);  // the old schedule's messages are not this one's
  b->PutSchedule(s);
  b->PutScheduleIndex(s.app_key, s.created_ms, s.id);
  b->PutScheduleTimer(s.timer_id, s.id);
  b->PutDue(s.next_fire_ms, s.timer_id);
  Status written = store_.Write(*b, /*sync=*/true);
  if (!written.ok()) {
    AdjustUnexpired(app.app_key, -1);
    // Another node made this cid's schedule at the same moment: that one is the answer.
    if (IsStaleWrite(written) && !s.cid.empty()) return LoadOwned(app, id);
    return written;
  }
  loader_.Arm(s.timer_id, s.next_fire_ms);
  log::Info("schedule.created", {{"app", s.app_key}, {"schedule", s.id},
                                 {"next_fire_ms", s.next_fire_ms}});
  return s;
}

Result<Schedule> ScheduleService::Get(const App& app, std::string_view id) {
  return LoadOwned(app, id);
}

Result<SchedulePage> ScheduleService::List(const App& app, int64_t page) {
  SchedulePage out;
  out.page = page;
  const uint64_t size = static_cast<uint64_t>(opts_.page_size);
  const uint64_t first = static_cast<uint64_t>(page - 1) * size;
  std::vector<std::string> ids;
  // O(unexpired schedules of the app) keys, bounded by max_per_app (plus creates racing).
  TOCK_RETURN_IF_ERROR(store_.ScanScheduleIndex(app.app_key, [&](int64_t, std::string_view id) {
    if (out.total_count >= first && out.total_count < first + size) ids.emplace_back(id);
    ++out.total_count;
    return true;
  }));
  out.total_pages = (out.total_count + size - 1) / size;
  for (const std::string& id : ids) {
    Result<Schedule> s = store_.GetSchedule(id);
    if (!s.ok()) {
      if (s.status().code() == Code::kNotFound) continue;  // deleted since the scan
      return s.status();
    }
    out.schedules.push_back(std::move(s).value());
  }
  return out;
}

Result<Schedule> ScheduleService::Update(const App& app, std::string_view id,
                                         ScheduleUpdate update) {
  std::optional<int64_t> arm;
  Schedule s;
  bool disabled = false;
  {
    std::lock_guard<std::mutex> l(ScheduleLock(id));
    for (int tries = 1;; ++tries) {
      Result<Schedule> r = LoadOwned(app, id);
      if (!r.ok()) return r.status();
      s = std::move(r).value();
      if (s.expired_ms != 0) {
        return Status::Invalid("schedule " + s.id + " has expired and cannot be updated");
      }
      Result<Trigger> current = ParseTrigger(s.trigger_json, opts_.server_zone);
      if (!current.ok()) {
        return Status::Internal("stored trigger of schedule " + s.id +
                                " does not parse: " + current.status().message());
      }
      const int64_t now = clock_.WallMs();
      const bool re_enabled = update.enabled.has_value() && *update.enabled && !s.enabled;
      disabled = update.enabled.has_value() && !*update.enabled && s.enabled;
      const bool re_triggered = update.trigger.has_value();
      if (re_triggered) TOCK_RETURN_IF_ERROR(CheckTriggerUpdate(*current, *update.trigger));
      const Trigger& trigger = re_triggered ? *update.trigger : *current;
      TOCK_RETURN_IF_ERROR(ValidateForCreate(trigger, now));

      int64_t next = s.next_fire_ms;
      if (re_enabled || re_triggered) {
        std::optional<int64_t> n = NextFireAfter(trigger, now);
        if (!n) return Status::Invalid("trigger: would never fire");
        next = *n;
      }
      // Copied, not moved from: a write refused as stale is made again from a fresh read.
      if (update.name) s.name = *update.name;
      if (update.enabled) s.enabled = *update.enabled;
      if (update.push_json) s.push_json = *update.push_json;
      if (re_triggered) {
        s.trigger_json = TriggerToJson(trigger);
        s.trigger_sent = update.trigger_sent;
      }
      s.updated_ms = now;

      const std::unique_ptr<Store::Batch> b = store_.NewBatch();
      if (next != s.next_fire_ms) {
        b->DeleteDue(s.next_fire_ms, s.timer_id);
        b->PutDue(next, s.timer_id);
        s.next_fire_ms = next;
        arm = next;
      }
      b->PutSchedule(s);
      Status st = store_.Write(*b, /*sync=*/true);
      if (IsStaleWrite(st) && tries < kStaleWriteTries) {
        arm.reset();  // another node changed it (a fire): read it again
        continue;
      }
      TOCK_RETURN_IF_ERROR(st);
      break;
    }
  }
  // The wheel keeps one timer per id: this replaces the old one, or, when the new time is
  // beyond the loader's watermark, the old timer fires, is found stale, and the loader
  // brings the new one in time.
  if (arm) loader_.Arm(s.timer_id, *arm);
  // A message prepared ahead (the fire lead) for a fire that is not due yet belongs to the
  // old trigger or to an enabled schedule: withdrawn. A new trigger's next fire was computed
  // from now, so a fire time still ahead fires again under it.
  if (arm || disabled) CancelPrepared(app, s.id, store_.ListMsgIds(s.id));
  log::Info("schedule.updated", {{"app", s.app_key}, {"schedule", s.id},
                                 {"next_fire_ms", s.next_fire_ms}});
  return s;
}

void ScheduleService::CancelPrepared(const App& app, const std::string& schedule_id,
                                     const Result<std::vector<uint64_t>>& ids) {
  if (!ids.ok()) return;
  const int64_t now = clock_.WallMs();
  // Only the newest messages can still be ahead of their fire time (by at most the lead).
  const size_t from = ids->size() > kPreparedCheck ? ids->size() - kPreparedCheck : 0;
  for (size_t i = from; i < ids->size(); ++i) {
    Result<Task> t = store_.GetTask((*ids)[i]);
    if (t.ok() && t->status == TaskStatus::kWaiting && t->runtime_ms > now && t->round == 0) {
      Status st = tasks_.Cancel(app, t->id);
      if (st.ok()) {
        log::Info("schedule.prepared_message_cancelled",
                  {{"schedule", schedule_id}, {"task_id", t->id}});
      }
    }
  }
}

Status ScheduleService::Delete(const App& app, std::string_view id) {
  uint64_t timer_id;
  Result<std::vector<uint64_t>> msg_ids = std::vector<uint64_t>();
  {
    std::lock_guard<std::mutex> l(ScheduleLock(id));
    Result<Schedule> r = LoadOwned(app, id);
    if (!r.ok()) return r.status();
    const Schedule& s = *r;
    const std::unique_ptr<Store::Batch> b = store_.NewBatch();
    b->DeleteSchedule(s.id);
    if (s.expired_ms == 0) b->DeleteScheduleIndex(s.app_key, s.created_ms, s.id);
    if (s.next_fire_ms != 0) b->DeleteDue(s.next_fire_ms, s.timer_id);
    b->DeleteScheduleTimer(s.timer_id);
    b->DeleteMsgIds(s.id);
    msg_ids = store_.ListMsgIds(s.id);  // under the lock: no fire can add one meanwhile
    TOCK_RETURN_IF_ERROR(store_.Write(*b, /*sync=*/true));
    if (s.expired_ms == 0) AdjustUnexpired(s.app_key, -1);
    timer_id = s.timer_id;
  }
  loader_.Disarm(timer_id);
  CancelPrepared(app, std::string(id), msg_ids);
  log::Info("schedule.deleted", {{"app", app.app_key}, {"schedule", std::string(id)}});
  return Status::Ok();
}

Result<std::vector<uint64_t>> ScheduleService::MsgIds(const App& app, std::string_view id) {
  Result<Schedule> s = LoadOwned(app, id);
  if (!s.ok()) return s.status();
  return store_.ListMsgIds(s->id);
}

Status ScheduleService::Fire(uint64_t timer_id, int64_t due_ms) {
  return FireBatch({{timer_id, due_ms}});
}

Status ScheduleService::FireBatch(const std::vector<std::pair<uint64_t, int64_t>>& timers) {
  // Which schedule each timer belongs to (reads, before any lock). Stale timers end here.
  struct Pending {
    uint64_t timer_id;
    int64_t due_ms;
    std::string id;
  };
  std::vector<Pending> pending;
  pending.reserve(timers.size());
  for (const auto& [timer_id, due_ms] : timers) {
    Result<std::optional<std::string>> sid = store_.FindScheduleTimer(timer_id);
    if (!sid.ok()) return sid.status();
    if (!sid->has_value()) continue;  // deleted or expired: a stale timer
    pending.push_back({timer_id, due_ms, std::move(**sid)});
  }
  if (pending.empty()) return Status::Ok();

  // Every schedule of the group is locked (stripes in ascending order) for its
  // read-modify-write, and all of them are written in one synced batch.
  std::vector<size_t> stripes;
  for (const Pending& p : pending) {
    stripes.push_back(static_cast<size_t>(&ScheduleLock(p.id) - schedule_locks_.data()));
  }
  std::sort(stripes.begin(), stripes.end());
  stripes.erase(std::unique(stripes.begin(), stripes.end()), stripes.end());
  std::vector<std::unique_lock<std::mutex>> held;
  held.reserve(stripes.size());
  for (size_t i : stripes) held.emplace_back(schedule_locks_[i]);

  struct Effect {
    uint64_t timer_id;
    int64_t due_ms;
    std::optional<TaskToArm> message;
    std::optional<int64_t> next;
    std::string expired_app;  // set when the schedule expired
    std::string schedule_id;
  };
  std::vector<Effect> effects;
  std::unordered_set<std::string> seen;
  const std::unique_ptr<Store::Batch> b = store_.NewBatch();
  const int64_t now = clock_.WallMs();
  for (const Pending& p : pending) {
    if (!seen.insert(p.id).second) continue;  // one fire per schedule per group
    Result<Schedule> r = store_.GetSchedule(p.id);
    if (!r.ok()) {
      if (r.status().code() == Code::kNotFound) continue;
      return r.status();
    }
    Schedule s = std::move(r).value();
    const uint64_t timer_id = p.timer_id;
    const int64_t due_ms = p.due_ms;
    if (s.expired_ms != 0 || s.timer_id != timer_id || s.next_fire_ms != due_ms) {
      continue;  // stale: updated, fired already, or expired
    }
    Result<Trigger> trigger = ParseTrigger(s.trigger_json, opts_.server_zone);
    if (!trigger.ok()) {
      log::Error("schedule.trigger_unreadable",
                 {{"schedule", s.id}, {"error", trigger.status().message()}});
      continue;
    }

    // Which fire time (if any) gets a message. The timer comes up to the fire lead ahead of
    // due_ms (now < due_ms): the message is written ahead and delivered at due_ms.
    bool fire = false;
    int64_t fire_ms = 0;
    if (now - due_ms <= opts_.misfire_grace_ms) {
      fire = true;
      fire_ms = due_ms;
    } else {
      log::Warn("schedule.misfire_skipped", {{"schedule", s.id}, {"app", s.app_key},
                                             {"fire_ms", due_ms}, {"late_ms", now - due_ms}});
      std::optional<int64_t> recent = NextFireAfter(*trigger, now - opts_.misfire_grace_ms);
      if (recent && *recent <= now) {
        fire = true;
        fire_ms = *recent;
      }
    }
    if (!s.enabled) fire = false;  // a disabled schedule's timer only moves on

    if (fire) {
      Result<std::optional<uint64_t>> existing = store_.FindMsgId(s.id, fire_ms);
      if (!existing.ok()) return existing.status();
      if (existing->has_value()) {
        // Cannot happen while the batch below is atomic; kept as the last guard against
        // delivering one fire as two messages. The schedule still moves on, so the timer
        // does not come back after every restart.
        log::Warn("schedule.fire_repeated", {{"schedule", s.id}, {"fire_ms", fire_ms}});
        fire = false;
      }
    }

    Effect e{timer_id, due_ms, std::nullopt, std::nullopt, "", s.id};
    if (fire) {
      Result<uint64_t> task_id = store_.AllocateTaskIds(1);
      if (!task_id.ok()) return task_id.status();
      TaskSpec spec;
      spec.task_no = s.id + ":" + std::to_string(fire_ms);
      spec.name = s.name;
      spec.content = s.push_json;
      spec.runtime_ms = fire_ms;
      spec.timeout_ms = opts_.message_timeout_ms;
      spec.schedule_id = s.id;
      e.message = tasks_.AddCreateToBatch(*b, s.app_key, std::move(spec), *task_id, now);
      b->PutMsgId(s.id, fire_ms, *task_id);
      s.fires += 1;
    }

    // Fires that passed meanwhile are coalesced into this one: the next is after now. Said
    // in the log (how many, from when to when), so msg-ids with gaps after downtime or a
    // takeover are explained.
    if (s.enabled && now > due_ms) {
      int64_t coalesced = 0, first = 0, last = 0;
      for (std::optional<int64_t> t = NextFireAfter(*trigger, due_ms); t && *t <= now;
           t = NextFireAfter(*trigger, *t)) {
        if (*t == fire_ms) continue;
        if (coalesced++ == 0) first = *t;
        last = *t;
        if (coalesced == 100000) break;  // a second-by-second cron after a long downtime
      }
      if (coalesced > 0) {
        log::Warn("schedule.fires_coalesced", {{"schedule", s.id}, {"app", s.app_key},
                                               {"count", coalesced}, {"first_ms", first},
                                               {"last_ms", last}, {"fired_ms", fire_ms}});
      }
    }
    e.next = NextFireAfter(*trigger, std::max(due_ms, now));
    b->DeleteDue(due_ms, timer_id);
    if (e.next) {
      s.next_fire_ms = *e.next;
      b->PutDue(*e.next, timer_id);
    } else {
      s.next_fire_ms = 0;
      s.expired_ms = now;
      b->DeleteScheduleIndex(s.app_key, s.created_ms, s.id);
      b->DeleteScheduleTimer(timer_id);
      e.expired_app = s.app_key;
    }
    b->PutSchedule(s);
    effects.push_back(std::move(e));
  }
  if (effects.empty()) return Status::Ok();
  // Synced: an accepted fire's message is as durable as an accepted task.
  Status st = store_.Write(*b, /*sync=*/true);
  held.clear();
  if (!st.ok()) {
    // The timers have fired and the loader is past them: hand them over again once storage
    // accepts writes.
    for (const Effect& e : effects) loader_.Rewind(e.timer_id, e.due_ms);
    return st;
  }
  // The schedule service's one metric (process registry, metrics/metrics.h).
  static metrics::Counter& fired = metrics::Process().AddCounter(
      "tock_schedules_fired_total", "Schedule fires that created a message task.");
  for (const Effect& e : effects) {
    if (!e.expired_app.empty()) {
      AdjustUnexpired(e.expired_app, -1);
      log::Info("schedule.expired", {{"schedule", e.schedule_id}, {"app", e.expired_app}});
    }
    if (e.message) {
      tasks_.Arm(*e.message);
      fired.Inc();
    }
    if (e.next) loader_.Arm(e.timer_id, *e.next);
  }
  return Status::Ok();
}

void ScheduleService::AdjustUnexpired(const std::string& app_key, int64_t delta) {
  std::lock_guard<std::mutex> l(counts_mu_);
  counts_[app_key].unexpired += delta;
}

Status ScheduleService::LoadCounts(const std::vector<std::string>& app_keys) {
  std::unordered_map<std::string, AppCount> counts;
  for (const std::string& key : app_keys) {
    AppCount c;
    TOCK_RETURN_IF_ERROR(store_.ScanScheduleIndex(key, [&](int64_t created, std::string_view) {
      ++c.unexpired;
      c.last_created = std::max(c.last_created, created);
      return true;
    }));
    counts.emplace(key, c);
  }
  std::lock_guard<std::mutex> l(counts_mu_);
  counts_ = std::move(counts);
  return Status::Ok();
}

Result<size_t> ScheduleService::SweepExpired(size_t limit) {
  std::lock_guard<std::mutex> sweep(sweep_mu_);
  const int64_t now = clock_.WallMs();
  std::vector<std::string> old;
  size_t seen = 0;
  std::string last;
  // O(limit) records per call: the cursor walks the whole table over successive calls.
  TOCK_RETURN_IF_ERROR(store_.ScanSchedules(sweep_cursor_, [&](Schedule&& s) {
    last = s.id;
    if (s.expired_ms != 0 && s.expired_ms + opts_.retention_ms <= now) old.push_back(s.id);
    return ++seen < limit;
  }));
  // Next call starts just after the last id seen, or from the beginning after a full pass.
  sweep_cursor_ = seen < limit ? std::string() : last + '\0';

  size_t removed = 0;
  for (const std::string& id : old) {
    std::lock_guard<std::mutex> l(ScheduleLock(id));
    Result<Schedule> s = store_.GetSchedule(id);
    if (!s.ok()) continue;
    if (s->expired_ms == 0 || s->expired_ms + opts_.retention_ms > now) continue;
    const std::unique_ptr<Store::Batch> b = store_.NewBatch();
    b->DeleteSchedule(id);
    b->DeleteMsgIds(id);
    b->DeleteScheduleTimer(s->timer_id);  // normally gone at expiry already
    Status st = store_.Write(*b, /*sync=*/false);
    if (!st.ok()) return st;
    ++removed;
  }
  if (removed > 0) log::Info("schedule.swept", {{"schedules", static_cast<uint64_t>(removed)}});
  return removed;
}

}  // namespace tock
