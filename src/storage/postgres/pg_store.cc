#include "storage/postgres/pg_store.h"

#include <algorithm>
#include <chrono>
#include <unordered_map>
#include <unordered_set>
#include <condition_variable>
#include <mutex>

#include "common/clock.h"
#include "common/log.h"
#include "storage/postgres/pg_batch.h"
#include "storage/postgres/pg_connection.h"
#include "storage/postgres/schema.h"

namespace tock {
namespace {

using pg::ByteString;
using pg::Cell;
using pg::Params;
using pg::Rows;
using pg::TableShape;

// Runs of one batch's transaction when the server refuses it for a deadlock or a
// serialization failure (pg::IsRetryableTransaction; each found after the server's
// deadlock_timeout, 1 s by default).
constexpr int kTransactionTries = 5;
// How often, at most, an unhealthy store tries the database again.
constexpr int64_t kRetryIntervalMs = 500;
// Rows read per round trip by the scans, so an early stop or a large index costs little.
constexpr int kScanPage = 4096;
// Rows per round trip of a taskNo prefix scan: a listing takes a page of them.
constexpr int kTaskNoPage = 512;

// --- the tables, as the batch writes them (schema.cc creates them) ------------------------
const TableShape kApps{"apps", {{"app_key", "text"}},
    {{"secret_key", "text"}, {"name", "text"}, {"link_url", "text"}, {"remark", "text"},
     {"step_s", "integer"}, {"retry_total", "integer"}, {"success_mode", "smallint"},
     {"created_ms", "bigint"}, {"previous_secret", "text"},
     {"previous_secret_until_ms", "bigint"}, {"parallelism", "integer"},
     {"rate_per_second", "double precision"}, {"pause", "smallint"},
     {"pause_reason", "text"}, {"paused_ms", "bigint"}, {"time_zone", "text"},
     {"webhook_key", "bytea"}, {"previous_webhook_key", "bytea"}, {"revision", "bigint"}},
    false, "version = nextval('app_versions')", "apps.revision = EXCLUDED.revision - 1"};
const TableShape kTasks{"tasks", {{"id", "bigint"}},
    {{"app_key", "text"}, {"task_no", "text"}, {"name", "text"}, {"content", "text"},
     {"runtime_ms", "bigint"}, {"next_run_ms", "bigint"}, {"created_ms", "bigint"},
     {"finished_ms", "bigint"}, {"timeout_ms", "integer"}, {"status", "smallint"},
     {"round", "integer"}, {"round_start", "integer"}, {"elapsed_ms", "bigint"},
     {"schedule_id", "text"}, {"revision", "bigint"}},
    false, nullptr, "tasks.revision = EXCLUDED.revision - 1"};
// Inserted, never overwritten: two nodes creating one taskNo at once make one task (the
// second write is refused with Conflict and the committer finds the first's task).
const TableShape kTaskNos{"task_nos", {{"app_key", "text"}, {"task_no", "text"}},
    {{"id", "bigint"}}, true};
const TableShape kDue{"due", {{"due_ms", "bigint"}, {"id", "bigint"}}, {}};
const TableShape kRetire{"retire", {{"expire_ms", "bigint"}, {"id", "bigint"}}, {}};
const TableShape kAttempts{"attempts", {{"task_id", "bigint"}, {"number", "integer"}},
    {{"started_ms", "bigint"}, {"duration_ms", "bigint"}, {"http_status", "integer"},
     {"outcome", "smallint"}, {"error", "text"}, {"response", "bytea"}}};
const TableShape kNonces{"nonces", {{"app_key", "text"}, {"nonce", "text"}},
    {{"ts_s", "bigint"}}, true};
const TableShape kSchedules{"schedules", {{"id", "text"}},
    {{"app_key", "text"}, {"name", "text"}, {"enabled", "boolean"},
     {"trigger_json", "text"}, {"push_json", "text"}, {"timer_id", "bigint"},
     {"next_fire_ms", "bigint"}, {"created_ms", "bigint"}, {"updated_ms", "bigint"},
     {"expired_ms", "bigint"}, {"fires", "bigint"}, {"trigger_sent", "text"},
     {"cid", "text"}, {"revision", "bigint"}},
    false, nullptr, "schedules.revision = EXCLUDED.revision - 1"};
const TableShape kScheduleIndex{"schedule_index",
    {{"app_key", "text"}, {"created_ms", "bigint"}, {"schedule_id", "text"}}, {}};
const TableShape kScheduleTimers{"schedule_timers", {{"timer_id", "bigint"}},
    {{"schedule_id", "text"}}};
const TableShape kMsgIds{"msg_ids", {{"schedule_id", "text"}, {"fire_ms", "bigint"}},
    {{"task_id", "bigint"}}, true};

// "a, b, c": every column of the shape, keys first (the order the readers below expect).
std::string ColumnsOf(const TableShape& t) {
  std::string s;
  for (const auto& c : t.key) s += (s.empty() ? "" : ", ") + std::string(c.first);
  for (const auto& c : t.value) s += (s.empty() ? "" : ", ") + std::string(c.first);
  return s;
}

Cell I(int64_t v) { return Cell(v); }
Cell U(uint64_t v) { return Cell(static_cast<int64_t>(v)); }
Cell T(std::string_view v) { return Cell(std::string(v)); }
Cell B(std::string_view v) { return Cell(ByteString{std::string(v)}); }

std::vector<Cell> AppRow(const App& a) {
  return {T(a.app_key), T(a.secret_key), T(a.name), T(a.link_url), T(a.remark), I(a.step_s),
          I(a.retry_total), I(static_cast<int64_t>(a.success_mode)), I(a.created_ms),
          T(a.previous_secret), I(a.previous_secret_until_ms), I(a.parallelism),
          Cell(a.rate_per_second), I(static_cast<int64_t>(a.pause)), T(a.pause_reason),
          I(a.paused_ms), T(a.time_zone), B(a.webhook_key), B(a.previous_webhook_key),
          U(a.revision + 1)};
}

App AppAt(const Rows& r, int i) {
  App a;
  a.app_key = r.Text(i, 0);
  a.secret_key = r.Text(i, 1);
  a.name = r.Text(i, 2);
  a.link_url = r.Text(i, 3);
  a.remark = r.Text(i, 4);
  a.step_s = static_cast<int32_t>(r.Int64(i, 5));
  a.retry_total = static_cast<int32_t>(r.Int64(i, 6));
  a.success_mode = static_cast<SuccessMode>(r.Int64(i, 7));
  a.created_ms = r.Int64(i, 8);
  a.previous_secret = r.Text(i, 9);
  a.previous_secret_until_ms = r.Int64(i, 10);
  a.parallelism = static_cast<int32_t>(r.Int64(i, 11));
  a.rate_per_second = std::stod(std::string(r.Text(i, 12)));
  a.pause = static_cast<PauseKind>(r.Int64(i, 13));
  a.pause_reason = r.Text(i, 14);
  a.paused_ms = r.Int64(i, 15);
  a.time_zone = r.Text(i, 16);
  a.webhook_key = r.Bytes(i, 17);
  a.previous_webhook_key = r.Bytes(i, 18);
  a.revision = static_cast<uint64_t>(r.Int64(i, 19));
  return a;
}

std::vector<Cell> TaskRow(const Task& t) {
  return {U(t.id), T(t.app_key), T(t.task_no), T(t.name), T(t.content), I(t.runtime_ms),
          I(t.next_run_ms), I(t.created_ms), I(t.finished_ms), I(t.timeout_ms),
          I(static_cast<int64_t>(t.status)), I(t.round), I(t.round_start), I(t.elapsed_ms),
          T(t.schedule_id), U(t.revision + 1)};
}

Task TaskAt(const Rows& r, int i) {
  Task t;
  t.id = static_cast<uint64_t>(r.Int64(i, 0));
  t.app_key = r.Text(i, 1);
  t.task_no = r.Text(i, 2);
  t.name = r.Text(i, 3);
  t.content = r.Text(i, 4);
  t.runtime_ms = r.Int64(i, 5);
  t.next_run_ms = r.Int64(i, 6);
  t.created_ms = r.Int64(i, 7);
  t.finished_ms = r.Int64(i, 8);
  t.timeout_ms = static_cast<int32_t>(r.Int64(i, 9));
  t.status = static_cast<TaskStatus>(r.Int64(i, 10));
  t.round = static_cast<uint32_t>(r.Int64(i, 11));
  t.round_start = static_cast<uint32_t>(r.Int64(i, 12));
  t.elapsed_ms = r.Int64(i, 13);
  t.schedule_id = r.Text(i, 14);
  t.revision = static_cast<uint64_t>(r.Int64(i, 15));
  return t;
}

std::vector<Cell> AttemptRow(const Attempt& a) {
  return {U(a.task_id), I(a.number), I(a.started_ms), I(a.duration_ms), I(a.http_status),
          I(static_cast<int64_t>(a.outcome)), T(a.error), B(a.response)};
}

Attempt AttemptAt(const Rows& r, int i) {
  Attempt a;
  a.task_id = static_cast<uint64_t>(r.Int64(i, 0));
  a.number = static_cast<uint32_t>(r.Int64(i, 1));
  a.started_ms = r.Int64(i, 2);
  a.duration_ms = r.Int64(i, 3);
  a.http_status = static_cast<int32_t>(r.Int64(i, 4));
  a.outcome = static_cast<AttemptOutcome>(r.Int64(i, 5));
  a.error = r.Text(i, 6);
  a.response = r.Bytes(i, 7);
  return a;
}

std::vector<Cell> ScheduleRow(const Schedule& s) {
  return {T(s.id), T(s.app_key), T(s.name), Cell(s.enabled), T(s.trigger_json),
          T(s.push_json), U(s.timer_id), I(s.next_fire_ms), I(s.created_ms),
          I(s.updated_ms), I(s.expired_ms), U(s.fires), T(s.trigger_sent), T(s.cid),
          U(s.revision + 1)};
}

Schedule ScheduleAt(const Rows& r, int i) {
  Schedule s;
  s.id = r.Text(i, 0);
  s.app_key = r.Text(i, 1);
  s.name = r.Text(i, 2);
  s.enabled = r.Text(i, 3) == "t";
  s.trigger_json = r.Text(i, 4);
  s.push_json = r.Text(i, 5);
  s.timer_id = static_cast<uint64_t>(r.Int64(i, 6));
  s.next_fire_ms = r.Int64(i, 7);
  s.created_ms = r.Int64(i, 8);
  s.updated_ms = r.Int64(i, 9);
  s.expired_ms = r.Int64(i, 10);
  s.fires = static_cast<uint64_t>(r.Int64(i, 11));
  s.trigger_sent = r.Text(i, 12);
  s.cid = r.Text(i, 13);
  s.revision = static_cast<uint64_t>(r.Int64(i, 14));
  return s;
}

}  // namespace

// --- the connection pool -----------------------------------------------------------------
// Connections are opened on demand up to max_connections; a caller beyond that waits for one
// to come back. A broken connection is dropped, not returned, and the idle ones with it (the
// server went away: they are broken too, only not yet found out). Health: the first Unavailable
// marks the store unhealthy with its message; the next successful call (or healthy()'s own
// probe, at most every kRetryIntervalMs) marks it healthy again.
class PgStore::Pool {
 public:
  static constexpr int64_t kProbeTimeoutMs = 2'000;

  explicit Pool(PgStoreOptions opts) : opts_(std::move(opts)) {}

  // Runs fn with a connection of the pool.
  Status Run(const std::function<Status(pg::Connection&)>& fn) {
    std::unique_ptr<pg::Connection> conn;
    {
      std::unique_lock<std::mutex> lock(mu_);
      cv_.wait(lock, [&] { return !idle_.empty() || open_ < opts_.max_connections; });
      if (!idle_.empty()) {
        conn = std::move(idle_.back());
        idle_.pop_back();
      } else {
        ++open_;
      }
    }
    Status s = Status::Ok();
    if (!conn) {
      Result<std::unique_ptr<pg::Connection>> opened = pg::Connection::Open(opts_.url);
      if (opened.ok()) {
        conn = std::move(opened).value();
      } else {
        s = opened.status();
      }
    }
    if (conn) s = fn(*conn);
    std::vector<std::unique_ptr<pg::Connection>> stale;  // closed after the lock is let go
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (conn && conn->healthy()) {
        idle_.push_back(std::move(conn));
      } else {
        --open_;
        // A connection lost (or none to be had) means the server went away, most likely for
        // all of them: the idle ones are from before, and after its return each would fail
        // one call (a create's 503, an outcome unwritten) before being dropped. Dropped now.
        open_ -= idle_.size();
        stale.swap(idle_);
      }
      if (s.code() == Code::kUnavailable && !pg::IsRetryableTransaction(s)) {
        if (unhealthy_.empty()) log::Warn("store.database_unavailable", {{"error", s.message()}});
        unhealthy_ = s.message();
      } else if (!unhealthy_.empty() && (s.ok() || s.code() == Code::kNotFound)) {
        log::Info("store.database_available", {});
        unhealthy_.clear();
      }
    }
    if (stale.empty()) {
      cv_.notify_one();
    } else {
      cv_.notify_all();  // more than one place came free
    }
    return s;
  }

  bool healthy() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (unhealthy_.empty()) return true;
      int64_t now = SystemClock::Instance().MonoMs();
      if (now - last_probe_ms_ < kRetryIntervalMs) return false;
      last_probe_ms_ = now;
    }
    // Short: /readyz waits for it, and a load balancer's check gives up after seconds.
    Status probe = Run([](pg::Connection& c) {
      return c.Exec("SELECT 1", pg::Params(), kProbeTimeoutMs).status();
    });
    return probe.ok();
  }

  std::string message() {
    std::lock_guard<std::mutex> lock(mu_);
    return unhealthy_;
  }

 private:
  const PgStoreOptions opts_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<std::unique_ptr<pg::Connection>> idle_;  // GUARDED_BY(mu_)
  size_t open_ = 0;             // GUARDED_BY(mu_): connections out or idle
  std::string unhealthy_;       // GUARDED_BY(mu_): why the last call could not reach it
  int64_t last_probe_ms_ = 0;   // GUARDED_BY(mu_)
};

// --- the batch ----------------------------------------------------------------------------
namespace {

class PgBatch final : public Store::Batch {
 public:
  void PutApp(const App& app) override;
  void PutTask(const Task& task) override;
  void DeleteTask(uint64_t id) override;
  void PutTaskNo(std::string_view app_key, std::string_view task_no, uint64_t id) override;
  void DeleteTaskNo(std::string_view app_key, std::string_view task_no) override;
  // No-ops: schema.cc migration 2 indexes the tasks row's own columns.
  void PutTaskIndex(const TaskIndexEntry&) override {}
  void DeleteTaskIndex(const TaskIndexEntry&) override {}
  void PutDue(int64_t due_ms, uint64_t id) override;
  void DeleteDue(int64_t due_ms, uint64_t id) override;
  void PutAttempt(const Attempt& attempt) override;
  void DeleteAttempts(uint64_t task_id) override;
  void PutRetire(int64_t expire_ms, uint64_t id) override;
  void DeleteRetire(int64_t expire_ms, uint64_t id) override;
  void PutNonce(std::string_view app_key, std::string_view nonce, int64_t ts_s) override;
  void DeleteNonce(std::string_view app_key, std::string_view nonce) override;
  void PutSchedule(const Schedule& schedule) override;
  void DeleteSchedule(std::string_view schedule_id) override;
  void PutScheduleIndex(std::string_view app_key, int64_t created_ms,
                        std::string_view schedule_id) override;
  void DeleteScheduleIndex(std::string_view app_key, int64_t created_ms,
                           std::string_view schedule_id) override;
  void PutScheduleTimer(uint64_t timer_id, std::string_view schedule_id) override;
  void DeleteScheduleTimer(uint64_t timer_id) override;
  void PutMsgId(std::string_view schedule_id, int64_t fire_ms, uint64_t task_id) override;
  void DeleteMsgIds(std::string_view schedule_id) override;
  size_t Count() const override;

  const pg::PgWrites& writes() const { return writes_; }

 private:
  pg::PgWrites writes_;
  // Tasks this batch writes for the first time (revision 0: ids just handed out), so that
  // their rows, and their due entries, are inserted rather than upserted.
  std::unordered_set<uint64_t> new_tasks_;
};


void PgBatch::PutApp(const App& app) { writes_.Put(kApps, AppRow(app)); }
void PgBatch::PutTask(const Task& task) {
  if (task.revision != 0) return writes_.Put(kTasks, TaskRow(task));
  writes_.Insert(kTasks, TaskRow(task));
  new_tasks_.insert(task.id);
}
void PgBatch::DeleteTask(uint64_t id) { writes_.Delete(kTasks, {U(id)}); }
void PgBatch::PutTaskNo(std::string_view app_key, std::string_view task_no,
                               uint64_t id) {
  writes_.Put(kTaskNos, {T(app_key), T(task_no), U(id)});
}
void PgBatch::DeleteTaskNo(std::string_view app_key, std::string_view task_no) {
  writes_.Delete(kTaskNos, {T(app_key), T(task_no)});
}
void PgBatch::PutDue(int64_t due_ms, uint64_t id) {
  if (new_tasks_.count(id) != 0) return writes_.Insert(kDue, {I(due_ms), U(id)});
  writes_.Put(kDue, {I(due_ms), U(id)});
}
void PgBatch::DeleteDue(int64_t due_ms, uint64_t id) {
  writes_.Delete(kDue, {I(due_ms), U(id)});
}
// An attempt's number is its task's round, which only rises and is written with the task under
// its revision guard: a row of that number cannot exist unless another write of the task won,
// and then this batch fails with Conflict either way.
void PgBatch::PutAttempt(const Attempt& attempt) {
  writes_.Insert(kAttempts, AttemptRow(attempt));
}
void PgBatch::DeleteAttempts(uint64_t task_id) {
  writes_.DeleteAllOf(kAttempts, U(task_id));
}
void PgBatch::PutRetire(int64_t expire_ms, uint64_t id) {
  writes_.Put(kRetire, {I(expire_ms), U(id)});
}
void PgBatch::DeleteRetire(int64_t expire_ms, uint64_t id) {
  writes_.Delete(kRetire, {I(expire_ms), U(id)});
}
void PgBatch::PutNonce(std::string_view app_key, std::string_view nonce, int64_t ts_s) {
  writes_.Put(kNonces, {T(app_key), T(nonce), I(ts_s)});
}
void PgBatch::DeleteNonce(std::string_view app_key, std::string_view nonce) {
  writes_.Delete(kNonces, {T(app_key), T(nonce)});
}
void PgBatch::PutSchedule(const Schedule& schedule) {
  writes_.Put(kSchedules, ScheduleRow(schedule));
}
void PgBatch::DeleteSchedule(std::string_view schedule_id) {
  writes_.Delete(kSchedules, {T(schedule_id)});
}
void PgBatch::PutScheduleIndex(std::string_view app_key, int64_t created_ms,
                                      std::string_view schedule_id) {
  writes_.Put(kScheduleIndex, {T(app_key), I(created_ms), T(schedule_id)});
}
void PgBatch::DeleteScheduleIndex(std::string_view app_key, int64_t created_ms,
                                         std::string_view schedule_id) {
  writes_.Delete(kScheduleIndex, {T(app_key), I(created_ms), T(schedule_id)});
}
void PgBatch::PutScheduleTimer(uint64_t timer_id, std::string_view schedule_id) {
  writes_.Put(kScheduleTimers, {U(timer_id), T(schedule_id)});
}
void PgBatch::DeleteScheduleTimer(uint64_t timer_id) {
  writes_.Delete(kScheduleTimers, {U(timer_id)});
}
void PgBatch::PutMsgId(std::string_view schedule_id, int64_t fire_ms, uint64_t task_id) {
  writes_.Put(kMsgIds, {T(schedule_id), I(fire_ms), U(task_id)});
}
void PgBatch::DeleteMsgIds(std::string_view schedule_id) {
  writes_.DeleteAllOf(kMsgIds, T(schedule_id));
}
size_t PgBatch::Count() const { return writes_.Count(); }

}  // namespace

// --- the store ----------------------------------------------------------------------------
Result<std::unique_ptr<PgStore>> PgStore::Open(const PgStoreOptions& opts) {
  Result<std::unique_ptr<pg::Connection>> conn = pg::Connection::Open(opts.url);
  if (!conn.ok()) return conn.status();
  TOCK_RETURN_IF_ERROR(pg::Migrate(**conn));
  return std::unique_ptr<PgStore>(new PgStore(std::make_unique<Pool>(opts)));
}

PgStore::PgStore(std::unique_ptr<Pool> pool) : pool_(std::move(pool)) {}
PgStore::~PgStore() = default;

std::unique_ptr<Store::Batch> PgStore::NewBatch() { return std::make_unique<PgBatch>(); }

Status PgStore::Write(Batch& batch_in, bool sync) {
  const PgBatch& batch = static_cast<const PgBatch&>(batch_in);
  if (batch.writes().empty()) return Status::Ok();
  // Two round trips whatever the batch holds: BEGIN and every statement in one pipeline,
  // then, once the guarded puts' row counts are checked, COMMIT (or ROLLBACK).
  std::vector<pg::Connection::Statement> statements;
  statements.push_back({"BEGIN", Params()});
  if (!sync) statements.push_back({"SET LOCAL synchronous_commit = off", Params()});
  const size_t first = statements.size();
  pg::PgWrites::Plan plan = batch.writes().Statements();
  for (pg::Connection::Statement& st : plan.statements) statements.push_back(std::move(st));
  return pool_->Run([&](pg::Connection& c) -> Status {
    // A deadlock with another transaction on the same rows rolls this one back whole: run it
    // again. Giving up instead would repeat the batch's attempts (their outcomes unwritten).
    Status s;
    for (int tries = 1; tries <= kTransactionTries; ++tries) {
      Result<std::vector<Rows>> results = c.ExecPipeline(statements);
      s = results.ok() ? pg::PgWrites::CheckGuards(plan, *results, first) : results.status();
      if (s.ok()) s = c.ExecScript("COMMIT");
      if (s.ok()) return s;
      (void)c.ExecScript("ROLLBACK");
      if (!pg::IsRetryableTransaction(s) || !c.healthy()) return s;
    }
    return s;
  });
}

Result<uint64_t> PgStore::AllocateTaskIds(uint64_t n) {
  std::lock_guard<std::mutex> l(ids_mu_);
  if (ids_left_ < n) {
    // A new block (the old one's rest is a gap: n ids must be consecutive), committed
    // before any id of it is handed out, so no id is handed out twice even after a crash.
    const uint64_t block = std::max(n, kIdBlock);
    uint64_t first = 0;
    Status s = pool_->Run([&](pg::Connection& c) -> Status {
      Result<Rows> r = c.Exec(
          "UPDATE tock_ids SET next = next + $1 WHERE name = 'task' RETURNING next - $1",
          Params().Int(static_cast<int64_t>(block)));
      if (!r.ok()) return r.status();
      if (r->size() != 1) return Status::Internal("database: the task id counter is missing");
      first = static_cast<uint64_t>(r->Int64(0, 0));
      return Status::Ok();
    });
    if (!s.ok()) return s;
    next_id_ = first;
    ids_left_ = block;
  }
  const uint64_t first = next_id_;
  next_id_ += n;
  ids_left_ -= n;
  return first;
}

Result<Task> PgStore::GetTask(uint64_t id) {
  std::optional<Task> task;
  Status s = pool_->Run([&](pg::Connection& c) -> Status {
    Result<Rows> r = c.Exec("SELECT " + ColumnsOf(kTasks) + " FROM tasks WHERE id = $1",
                            Params().Int(static_cast<int64_t>(id)));
    if (!r.ok()) return r.status();
    if (r->size() == 1) task = TaskAt(*r, 0);
    return Status::Ok();
  });
  if (!s.ok()) return s;
  if (!task) return Status::NotFound("no task " + std::to_string(id));
  return std::move(*task);
}

Result<std::optional<uint64_t>> PgStore::FindTaskNo(std::string_view app_key,
                                                    std::string_view task_no) {
  std::optional<uint64_t> id;
  Status s = pool_->Run([&](pg::Connection& c) -> Status {
    Result<Rows> r = c.Exec("SELECT id FROM task_nos WHERE app_key = $1 AND task_no = $2",
                            Params().Text(app_key).Text(task_no));
    if (!r.ok()) return r.status();
    if (r->size() == 1) id = static_cast<uint64_t>(r->Int64(0, 0));
    return Status::Ok();
  });
  if (!s.ok()) return s;
  return id;
}

Result<std::vector<Task>> PgStore::GetTasks(const std::vector<uint64_t>& ids) {
  std::vector<Task> out;
  if (ids.empty()) return out;
  pg::ArrayLiteral list;
  for (uint64_t id : ids) list.Int(static_cast<int64_t>(id));
  Result<Rows> rows = Status::Internal("unset");
  TOCK_RETURN_IF_ERROR(pool_->Run([&](pg::Connection& c) -> Status {
    rows = c.Exec("SELECT " + ColumnsOf(kTasks) + " FROM tasks WHERE id = ANY($1::bigint[])",
                  Params().Text(list.Finish()));
    return rows.status();
  }));
  std::unordered_map<uint64_t, int> at;
  for (int i = 0; i < rows->size(); ++i) at[static_cast<uint64_t>(rows->Int64(i, 0))] = i;
  out.reserve(at.size());
  for (uint64_t id : ids) {
    auto it = at.find(id);
    if (it != at.end()) out.push_back(TaskAt(*rows, it->second));
  }
  return out;
}

namespace {

// The least UTF-8 text above every text that starts with `prefix` ("" when there is none):
// its last code point raised by one (UTF-8 sorts like its code points, so this is the byte
// range RocksDB reads too, and stays valid text for the database).
std::string Utf8PrefixEnd(std::string p) {
  while (!p.empty()) {
    size_t start = p.size() - 1;
    while (start > 0 && (static_cast<uint8_t>(p[start]) & 0xC0) == 0x80) --start;
    const auto* b = reinterpret_cast<const uint8_t*>(p.data() + start);
    const size_t n = p.size() - start;
    uint32_t cp = n == 1 ? b[0]
                  : n == 2 ? ((b[0] & 0x1Fu) << 6) | (b[1] & 0x3Fu)
                  : n == 3 ? ((b[0] & 0x0Fu) << 12) | ((b[1] & 0x3Fu) << 6) | (b[2] & 0x3Fu)
                           : ((b[0] & 0x07u) << 18) | ((b[1] & 0x3Fu) << 12) |
                                 ((b[2] & 0x3Fu) << 6) | (b[3] & 0x3Fu);
    p.resize(start);
    if (cp >= 0x10FFFF) continue;
    cp = cp + 1 == 0xD800 ? 0xE000 : cp + 1;
    if (cp < 0x80) {
      p += static_cast<char>(cp);
    } else if (cp < 0x800) {
      p += static_cast<char>(0xC0 | (cp >> 6));
      p += static_cast<char>(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
      p += static_cast<char>(0xE0 | (cp >> 12));
      p += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
      p += static_cast<char>(0x80 | (cp & 0x3F));
    } else {
      p += static_cast<char>(0xF0 | (cp >> 18));
      p += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
      p += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
      p += static_cast<char>(0x80 | (cp & 0x3F));
    }
    return p;
  }
  return p;
}

}  // namespace

Status PgStore::ScanTaskIndex(const TaskIndexRange& r,
                              const std::function<bool(int64_t, uint64_t)>& fn) {
  const bool failed_at = r.kind == TaskIndexRange::Kind::kFailedAt;
  // The partial index's predicate is written out (status = 4), so the planner uses it.
  const std::string ms = failed_at ? "finished_ms" : "runtime_ms";
  const std::string where =
      "app_key = $1 AND " + (failed_at ? std::string("status = 4")
                                       : "status = " + std::to_string(static_cast<int>(r.status))) +
      " AND " + ms + " >= $2 AND " + ms + " < $3";
  const char* dir = r.descending ? " DESC" : "";
  const std::string order = " ORDER BY " + ms + dir + ", id" + dir;
  const int page = static_cast<int>(std::clamp<size_t>(r.read_ahead, 1, kScanPage));
  std::optional<IndexPos> after = r.after;
  while (true) {
    Result<Rows> rows = Status::Internal("unset");
    TOCK_RETURN_IF_ERROR(pool_->Run([&](pg::Connection& c) -> Status {
      Params p;
      p.Text(r.app_key).Int(r.from_ms).Int(r.to_ms);
      std::string sql = "SELECT " + ms + ", id FROM tasks WHERE " + where;
      if (after) {
        sql += std::string(" AND (") + ms + ", id) " + (r.descending ? "<" : ">") + " ($4, $5)";
        p.Int(after->ms).Int(static_cast<int64_t>(after->id));
      }
      rows = c.Exec(sql + order + " LIMIT " + std::to_string(page), p);
      return rows.status();
    }));
    for (int i = 0; i < rows->size(); ++i) {
      after = IndexPos{rows->Int64(i, 0), static_cast<uint64_t>(rows->Int64(i, 1))};
      if (!fn(after->ms, after->id)) return Status::Ok();
    }
    if (rows->size() < page) return Status::Ok();
  }
}

Status PgStore::ScanTaskNos(std::string_view app_key, std::string_view prefix,
                            std::string_view after_in, bool descending,
                            const std::function<bool(std::string_view, uint64_t)>& fn) {
  const std::string end = Utf8PrefixEnd(std::string(prefix));
  std::string after(after_in);
  const char* dir = descending ? " DESC" : "";
  while (true) {
    Result<Rows> rows = Status::Internal("unset");
    TOCK_RETURN_IF_ERROR(pool_->Run([&](pg::Connection& c) -> Status {
      Params p;
      p.Text(app_key).Text(prefix);
      std::string sql = "SELECT task_no, id FROM task_nos WHERE app_key = $1 AND "
                        "task_no COLLATE \"C\" >= $2";
      int n = 2;
      if (!end.empty()) {
        sql += " AND task_no COLLATE \"C\" < $" + std::to_string(++n);
        p.Text(end);
      }
      if (!after.empty()) {
        sql += std::string(" AND task_no COLLATE \"C\" ") + (descending ? "<" : ">") + " $" +
               std::to_string(++n);
        p.Text(after);
      }
      rows = c.Exec(sql + " ORDER BY task_no COLLATE \"C\"" + dir + " LIMIT " +
                        std::to_string(kTaskNoPage),
                    p);
      return rows.status();
    }));
    for (int i = 0; i < rows->size(); ++i) {
      after = std::string(rows->Text(i, 0));
      if (!fn(after, static_cast<uint64_t>(rows->Int64(i, 1)))) return Status::Ok();
    }
    if (rows->size() < kTaskNoPage) return Status::Ok();
  }
}

Result<std::vector<Attempt>> PgStore::ListAttempts(uint64_t task_id) {
  std::vector<Attempt> out;
  Status s = pool_->Run([&](pg::Connection& c) -> Status {
    Result<Rows> r = c.Exec("SELECT " + ColumnsOf(kAttempts) +
                                " FROM attempts WHERE task_id = $1 ORDER BY number",
                            Params().Int(static_cast<int64_t>(task_id)));
    if (!r.ok()) return r.status();
    for (int i = 0; i < r->size(); ++i) out.push_back(AttemptAt(*r, i));
    return Status::Ok();
  });
  if (!s.ok()) return s;
  return out;
}

Status PgStore::ForEachApp(const std::function<void(App&&)>& fn) {
  Result<Rows> rows = Status::Internal("unset");
  Status s = pool_->Run([&](pg::Connection& c) -> Status {
    rows = c.Exec("SELECT " + ColumnsOf(kApps) + " FROM apps ORDER BY app_key");
    return rows.status();
  });
  if (!s.ok()) return s;
  for (int i = 0; i < rows->size(); ++i) fn(AppAt(*rows, i));
  return Status::Ok();
}

namespace {

// Pages through (a, b) pairs with from <= a < to in (a, b) order: keyset pagination, so each
// page is an index range read however far the scan has gone.
using RunFn = std::function<Status(const std::function<Status(pg::Connection&)>&)>;

Status ScanPairsPaged(const RunFn& run, const char* table, const char* a, const char* b, int64_t from_ms,
                      int64_t to_ms, const std::function<bool(int64_t, uint64_t)>& fn) {
  int64_t last_a = from_ms;
  int64_t last_b = INT64_MIN;
  bool first = true;
  while (true) {
    Result<Rows> rows = Status::Internal("unset");
    TOCK_RETURN_IF_ERROR(run([&](pg::Connection& c) -> Status {
      std::string sql = std::string("SELECT ") + a + ", " + b + " FROM " + table + " WHERE ";
      sql += std::string("(") + a + ", " + b + (first ? ") >= ($1, $2)" : ") > ($1, $2)");
      sql += std::string(" AND ") + a + " < $3 ORDER BY " + a + ", " + b + " LIMIT " +
             std::to_string(kScanPage);
      rows = c.Exec(sql, Params().Int(last_a).Int(last_b).Int(to_ms));
      return rows.status();
    }));
    first = false;
    for (int i = 0; i < rows->size(); ++i) {
      last_a = rows->Int64(i, 0);
      last_b = rows->Int64(i, 1);
      if (!fn(last_a, static_cast<uint64_t>(last_b))) return Status::Ok();
    }
    if (rows->size() < kScanPage) return Status::Ok();
  }
}

}  // namespace

Status PgStore::ScanDue(int64_t from_ms, int64_t to_ms,
                        const std::function<bool(int64_t, uint64_t)>& fn) {
  auto run = [this](const std::function<Status(pg::Connection&)>& f) { return pool_->Run(f); };
  return ScanPairsPaged(run, "due", "due_ms", "id", from_ms, to_ms, fn);
}

Status PgStore::ScanRetire(int64_t from_ms, int64_t to_ms,
                           const std::function<bool(int64_t, uint64_t)>& fn) {
  auto run = [this](const std::function<Status(pg::Connection&)>& f) { return pool_->Run(f); };
  return ScanPairsPaged(run, "retire", "expire_ms", "id", from_ms, to_ms, fn);
}

Status PgStore::ForEachNonce(
    const std::function<void(std::string_view, std::string_view, int64_t)>& fn) {
  Result<Rows> rows = Status::Internal("unset");
  TOCK_RETURN_IF_ERROR(pool_->Run([&](pg::Connection& c) -> Status {
    rows = c.Exec("SELECT app_key, nonce, ts_s FROM nonces");
    return rows.status();
  }));
  for (int i = 0; i < rows->size(); ++i) {
    fn(rows->Text(i, 0), rows->Text(i, 1), rows->Int64(i, 2));
  }
  return Status::Ok();
}

Result<Schedule> PgStore::GetSchedule(std::string_view schedule_id) {
  std::optional<Schedule> out;
  TOCK_RETURN_IF_ERROR(pool_->Run([&](pg::Connection& c) -> Status {
    Result<Rows> r = c.Exec("SELECT " + ColumnsOf(kSchedules) + " FROM schedules WHERE id = $1",
                            Params().Text(schedule_id));
    if (!r.ok()) return r.status();
    if (r->size() == 1) out = ScheduleAt(*r, 0);
    return Status::Ok();
  }));
  if (!out) return Status::NotFound("no schedule " + std::string(schedule_id));
  return std::move(*out);
}

Result<std::optional<std::string>> PgStore::FindScheduleTimer(uint64_t timer_id) {
  std::optional<std::string> out;
  TOCK_RETURN_IF_ERROR(pool_->Run([&](pg::Connection& c) -> Status {
    Result<Rows> r = c.Exec("SELECT schedule_id FROM schedule_timers WHERE timer_id = $1",
                            Params().Int(static_cast<int64_t>(timer_id)));
    if (!r.ok()) return r.status();
    if (r->size() == 1) out = std::string(r->Text(0, 0));
    return Status::Ok();
  }));
  return out;
}

Result<std::optional<uint64_t>> PgStore::FindMsgId(std::string_view schedule_id, int64_t fire_ms) {
  std::optional<uint64_t> out;
  TOCK_RETURN_IF_ERROR(pool_->Run([&](pg::Connection& c) -> Status {
    Result<Rows> r =
        c.Exec("SELECT task_id FROM msg_ids WHERE schedule_id = $1 AND fire_ms = $2",
               Params().Text(schedule_id).Int(fire_ms));
    if (!r.ok()) return r.status();
    if (r->size() == 1) out = static_cast<uint64_t>(r->Int64(0, 0));
    return Status::Ok();
  }));
  return out;
}

Result<std::vector<uint64_t>> PgStore::ListMsgIds(std::string_view schedule_id) {
  std::vector<uint64_t> out;
  TOCK_RETURN_IF_ERROR(pool_->Run([&](pg::Connection& c) -> Status {
    Result<Rows> r = c.Exec(
        "SELECT task_id FROM msg_ids WHERE schedule_id = $1 ORDER BY fire_ms",
        Params().Text(schedule_id));
    if (!r.ok()) return r.status();
    for (int i = 0; i < r->size(); ++i) out.push_back(static_cast<uint64_t>(r->Int64(i, 0)));
    return Status::Ok();
  }));
  return out;
}

Status PgStore::ScanScheduleIndex(std::string_view app_key,
                                  const std::function<bool(int64_t, std::string_view)>& fn) {
  int64_t last_ms = INT64_MIN;
  std::string last_id;
  while (true) {
    Result<Rows> rows = Status::Internal("unset");
    TOCK_RETURN_IF_ERROR(pool_->Run([&](pg::Connection& c) -> Status {
      rows = c.Exec(
          "SELECT created_ms, schedule_id FROM schedule_index WHERE app_key = $1 AND "
          "(created_ms, schedule_id) > ($2, $3) ORDER BY created_ms, schedule_id LIMIT " +
              std::to_string(kScanPage),
          Params().Text(app_key).Int(last_ms).Text(last_id));
      return rows.status();
    }));
    for (int i = 0; i < rows->size(); ++i) {
      last_ms = rows->Int64(i, 0);
      last_id = rows->Text(i, 1);
      if (!fn(last_ms, last_id)) return Status::Ok();
    }
    if (rows->size() < kScanPage) return Status::Ok();
  }
}

Status PgStore::ScanSchedules(std::string_view from_id,
                              const std::function<bool(Schedule&&)>& fn) {
  std::string from(from_id);
  bool inclusive = true;
  while (true) {
    Result<Rows> rows = Status::Internal("unset");
    TOCK_RETURN_IF_ERROR(pool_->Run([&](pg::Connection& c) -> Status {
      rows = c.Exec("SELECT " + ColumnsOf(kSchedules) + " FROM schedules WHERE id " +
                        (inclusive ? ">=" : ">") + " $1 ORDER BY id LIMIT " +
                        std::to_string(kScanPage),
                    Params().Text(from));
      return rows.status();
    }));
    inclusive = false;
    for (int i = 0; i < rows->size(); ++i) {
      Schedule s = ScheduleAt(*rows, i);
      from = s.id;
      if (!fn(std::move(s))) return Status::Ok();
    }
    if (rows->size() < kScanPage) return Status::Ok();
  }
}

// The database's clock in milliseconds, for leases.
#define TOCK_PG_NOW_MS "(extract(epoch FROM clock_timestamp()) * 1000)::bigint"
// due.lease_until_ms of a row held under its node's lease (node_leases), not a per-row lease
// (schema.cc, migration 3): the largest bigint, so that a node of the previous release, which
// takes rows whose per-row lease has ended, never takes it.
#define TOCK_PG_NODE_LEASED "9223372036854775807"

// How the node leases work (storage/due_leases.h), and why each step is safe against the
// others running at the same time on other nodes (read committed: each statement sees what
// was committed when it began; a row lock waited for is re-checked on the row's newest
// version, but the rest of the statement keeps its older view):
//  - A due row is free when owner IS NULL, or when it carries a per-row lease of the previous
//    release that ran out (lease_until_ms < now; TOCK_PG_NODE_LEASED never is). Both are
//    facts of the row itself, so the re-check of a row another node claimed a moment ago
//    finds it taken. (Asking "has the row's owner a lease?" instead is wrong on that
//    re-check: a node that started after the claimer's statement began has a lease the
//    statement cannot see, and the row it claimed would be taken from it.)
//  - A node claims only while it holds a lock (FOR KEY SHARE) on its own live lease row, to
//    its commit. A taker must delete that row first, so it waits or skips.
//  - Taking over a dead node (ClaimDue's reaping): delete its lease row (expired, and not
//    locked: SKIP LOCKED passes over one whose node is renewing or claiming right now), then
//    free all its rows in the same transaction, in a later statement, which therefore sees
//    every claim of that node (each committed before the delete could lock the row). The
//    rows become free, not the taker's: from there on they are claimed like any other.
//  - A renewal that finds its lease row gone (reaped) inserts a new one and says so
//    (kTakenAfresh): everything it held was freed. A renewal that finds the row, even
//    expired, was not taken over (a takeover deletes the row with the freeing).
//  - Two reapers cannot both take one node: the second's delete skips the row the first
//    locked, or finds it gone. Nothing locks due rows and then a lease row, so a reaper
//    (lease row, then due rows) deadlocks with nothing.
Result<int64_t> PgStore::ClaimDue(std::string_view owner, int64_t until_ms, size_t limit,
                                  const std::function<void(int64_t, uint64_t)>& fn) {
  Result<Rows> rows = Status::Internal("unset");
  int64_t next_takeover_ms = kNoOtherLease;
  TOCK_RETURN_IF_ERROR(pool_->Run([&](pg::Connection& c) -> Status {
    // Two round trips when no node died (a third frees a dead node's rows).
    Result<std::vector<Rows>> reaped = c.ExecPipeline({
        {"BEGIN", Params()},
        {"DELETE FROM node_leases WHERE owner IN (SELECT owner FROM node_leases WHERE "
         "lease_until_ms < " TOCK_PG_NOW_MS " FOR UPDATE SKIP LOCKED) RETURNING owner",
         Params()}});
    Status s = reaped.status();
    if (s.ok() && (*reaped)[1].size() > 0) {
      pg::ArrayLiteral dead;
      std::string names;
      for (int i = 0; i < (*reaped)[1].size(); ++i) {
        dead.Text((*reaped)[1].Text(i, 0));
        names += (i > 0 ? "," : "") + std::string((*reaped)[1].Text(i, 0));
      }
      Result<Rows> freed = c.Exec(
          "UPDATE due SET owner = NULL, lease_until_ms = 0 WHERE owner = ANY($1::text[])",
          Params().Text(dead.Finish()));
      s = freed.status();
      // The operator's one sign of a takeover (the dead node cannot say it). Logged before
      // the commit: should it fail, the next pass frees them again and logs again.
      if (s.ok()) {
        log::Warn("store.node_taken_over", {{"nodes", names}, {"entries_freed", freed->affected()},
                                            {"by", std::string(owner)}});
      }
    }
    if (s.ok()) {
      // SKIP LOCKED: nodes claiming at the same moment take different rows instead of
      // queueing behind each other's locks. Without a live lease of its own (none yet, or
      // it ran out) a node claims nothing: any other node could take it all at once.
      Result<std::vector<Rows>> claimed = c.ExecPipeline({
          {"SELECT 1 FROM node_leases WHERE owner = $1 AND lease_until_ms >= " TOCK_PG_NOW_MS
           " FOR KEY SHARE",
           Params().Text(owner)},
          // The picked rows are updated by their ctid (a TID scan): they are locked, so
          // their ctid holds to the commit. Joined back by key instead, the planner hashed
          // the whole `due` table on every claim (17 ms at 51 000 rows against 8 ms).
          {"UPDATE due SET owner = $3, lease_until_ms = " TOCK_PG_NODE_LEASED " WHERE ctid = "
           "ANY (ARRAY(SELECT ctid FROM due WHERE due_ms < $1 AND (owner IS NULL "
           "OR lease_until_ms < " TOCK_PG_NOW_MS ") AND EXISTS (SELECT 1 FROM node_leases "
           "WHERE owner = $3 AND lease_until_ms >= " TOCK_PG_NOW_MS ") "
           "ORDER BY due_ms, id LIMIT $2 FOR UPDATE SKIP LOCKED)) RETURNING due_ms, id",
           Params().Int(until_ms).Int(static_cast<int64_t>(limit)).Text(owner)},
          // When the next takeover could happen (an expired row left here is one SKIP
          // LOCKED passed over above: its node is renewing right now).
          {"SELECT min(lease_until_ms) - " TOCK_PG_NOW_MS " FROM node_leases WHERE owner <> $1",
           Params().Text(owner)},
          {"COMMIT", Params()}});
      s = claimed.status();
      if (s.ok()) {
        rows = std::move((*claimed)[1]);
        const Rows& next = (*claimed)[2];
        if (next.size() == 1 && !next.IsNull(0, 0)) {
          next_takeover_ms = std::max<int64_t>(next.Int64(0, 0), 0);
        }
      }
    }
    if (!s.ok()) (void)c.ExecScript("ROLLBACK");
    return s;
  }));
  for (int i = 0; i < rows->size(); ++i) {
    fn(rows->Int64(i, 0), static_cast<uint64_t>(rows->Int64(i, 1)));
  }
  return next_takeover_ms;
}

Result<DueLeases::Renewal> PgStore::RenewLeases(std::string_view owner, int64_t lease_ms) {
  Renewal out = Renewal::kRenewed;
  TOCK_RETURN_IF_ERROR(pool_->Run([&](pg::Connection& c) -> Status {
    // One row, whatever the node holds. Its row still there means no node took it over,
    // even if it ran out meanwhile (see ClaimDue); gone means another node did.
    Result<Rows> r = c.Exec(
        "UPDATE node_leases SET lease_until_ms = " TOCK_PG_NOW_MS " + $2 WHERE owner = $1",
        Params().Text(owner).Int(lease_ms));
    if (!r.ok()) return r.status();
    if (r->affected() == 1) return Status::Ok();
    out = Renewal::kTakenAfresh;
    // ON CONFLICT: only this node writes its own row, but an error here would be no better.
    return c.Exec("INSERT INTO node_leases VALUES ($1, " TOCK_PG_NOW_MS " + $2) "
                  "ON CONFLICT (owner) DO UPDATE SET lease_until_ms = EXCLUDED.lease_until_ms",
                  Params().Text(owner).Int(lease_ms)).status();
  }));
  return out;
}

Status PgStore::ListLeased(std::string_view owner, int64_t from_ms, uint64_t from_id,
                           const std::function<void(int64_t, uint64_t)>& fn) {
  Result<Rows> rows = Status::Internal("unset");
  TOCK_RETURN_IF_ERROR(pool_->Run([&](pg::Connection& c) -> Status {
    // A node's leased set is its near horizon: small, and found by the due_by_owner index.
    rows = c.Exec("SELECT due_ms, id FROM due WHERE owner = $1 AND due_ms >= $2 "
                  "ORDER BY due_ms, id",
                  Params().Text(owner).Int(from_ms));
    return rows.status();
  }));
  // Entries at from_ms itself are all handed over, whatever their id: one too many in the
  // wheel is harmless (the task service refuses a stale or running one).
  (void)from_id;
  for (int i = 0; i < rows->size(); ++i) {
    fn(rows->Int64(i, 0), static_cast<uint64_t>(rows->Int64(i, 1)));
  }
  return Status::Ok();
}

Status PgStore::ReleaseLeases(std::string_view owner) {
  return pool_->Run([&](pg::Connection& c) -> Status {
    // A takeover of this node's own making, in one round trip: the lease row and the rows it
    // covers go together, as in ClaimDue's reaping.
    Result<std::vector<Rows>> r = c.ExecPipeline({
        {"BEGIN", Params()},
        {"DELETE FROM node_leases WHERE owner = $1", Params().Text(owner)},
        {"UPDATE due SET owner = NULL, lease_until_ms = 0 WHERE owner = $1",
         Params().Text(owner)},
        {"COMMIT", Params()}});
    if (!r.ok()) (void)c.ExecScript("ROLLBACK");
    return r.status();
  });
}

namespace {
// PostgreSQL's own estimate of a table's rows (kept by VACUUM/ANALYZE): cheap, like RocksDB's.
uint64_t EstimateRows(const RunFn& run, const char* table) {
  uint64_t n = 0;
  Status s = run([&](pg::Connection& c) -> Status {
    Result<Rows> r = c.Exec(
        "SELECT greatest(reltuples, 0)::bigint FROM pg_class WHERE relname = $1 AND "
        "relnamespace = current_schema()::regnamespace",
        Params().Text(table));
    if (!r.ok()) return r.status();
    if (r->size() == 1) n = static_cast<uint64_t>(r->Int64(0, 0));
    return Status::Ok();
  });
  return s.ok() ? n : 0;
}
}  // namespace

StoreStats PgStore::Stats() {
  RunFn run = [this](const std::function<Status(pg::Connection&)>& f) { return pool_->Run(f); };
  StoreStats stats;
  stats.due_entries = EstimateRows(run, "due");
  stats.tasks = EstimateRows(run, "tasks");
  return stats;
}

Status PgStore::Backup(const std::string& /*dir*/) {
  return Status::Invalid(
      "this tock stores its data in PostgreSQL, which /admin/backup does not copy: back it up "
      "with the database's own tools (pg_dump, pg_basebackup, or your provider's backups)");
}

bool PgStore::healthy() const { return pool_->healthy(); }
std::string PgStore::health_message() const { return pool_->message(); }

}  // namespace tock
