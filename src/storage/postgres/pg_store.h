// PgStore: tock's records in a PostgreSQL database shared by any number of nodes (issue:
// scale out). The schema is in schema.cc; Open() migrates it.
//
// Durability: Write(batch, sync=true) returns once the transaction is committed (the
// server's WAL flushed, synchronous_commit on); sync=false commits with synchronous_commit
// off (an attempt's outcome: losing the last ones repeats a delivery, which webhook-id
// makes safe), as the embedded store does with its unsynced writes.
//
// Failure: while the database cannot be reached every call returns Unavailable, healthy()
// turns false with the reason, and the store reconnects by itself (healthy() retries at
// most every 500 ms); nothing already committed is lost, and nothing refused was
// acknowledged.
//
// Connections: a small pool; each call takes one for its duration. Thread-safety: every
// method may be called from any thread. libpq's header stays in the .cc files.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "storage/due_leases.h"
#include "storage/records.h"

namespace tock {

namespace pg {
class Connection;
class PgWrites;
}  // namespace pg

struct PgStoreOptions {
  std::string url;             // postgresql://user:password@host:port/db?sslmode=...
  size_t max_connections = 16; // the pool's size
};

class PgStore : public DueLeases {
 public:
  class Batch {
   public:
    Batch();
    ~Batch();
    Batch(const Batch&) = delete;
    Batch& operator=(const Batch&) = delete;

    void PutApp(const App& app);
    void PutTask(const Task& task);
    void DeleteTask(uint64_t id);
    void PutTaskNo(std::string_view app_key, std::string_view task_no, uint64_t id);
    void DeleteTaskNo(std::string_view app_key, std::string_view task_no);
    void PutDue(int64_t due_ms, uint64_t id);
    void DeleteDue(int64_t due_ms, uint64_t id);
    void PutAttempt(const Attempt& attempt);
    void DeleteAttempts(uint64_t task_id);
    void PutRetire(int64_t expire_ms, uint64_t id);
    void DeleteRetire(int64_t expire_ms, uint64_t id);
    void PutNonce(std::string_view app_key, std::string_view nonce, int64_t ts_s);
    void DeleteNonce(std::string_view app_key, std::string_view nonce);
    void PutSchedule(const Schedule& schedule);
    void DeleteSchedule(std::string_view schedule_id);
    void PutScheduleIndex(std::string_view app_key, int64_t created_ms,
                          std::string_view schedule_id);
    void DeleteScheduleIndex(std::string_view app_key, int64_t created_ms,
                             std::string_view schedule_id);
    void PutScheduleTimer(uint64_t timer_id, std::string_view schedule_id);
    void DeleteScheduleTimer(uint64_t timer_id);
    void PutMsgId(std::string_view schedule_id, int64_t fire_ms, uint64_t task_id);
    void DeleteMsgIds(std::string_view schedule_id);
    size_t Count() const;

   private:
    friend class PgStore;
    std::unique_ptr<pg::PgWrites> writes_;
  };

  // Connects, migrates the schema (see schema.h) and returns the store. Unavailable when the
  // database cannot be reached; Invalid for a bad URL or a newer schema.
  static Result<std::unique_ptr<PgStore>> Open(const PgStoreOptions& opts);
  ~PgStore();
  PgStore(const PgStore&) = delete;
  PgStore& operator=(const PgStore&) = delete;

  Status Write(Batch& batch, bool sync);
  Result<uint64_t> AllocateTaskIds(uint64_t n);

  Result<Task> GetTask(uint64_t id);
  Result<std::optional<uint64_t>> FindTaskNo(std::string_view app_key, std::string_view task_no);
  Result<std::vector<Attempt>> ListAttempts(uint64_t task_id);
  Status ForEachApp(const std::function<void(App&&)>& fn);
  Status ScanDue(int64_t from_ms, int64_t to_ms,
                 const std::function<bool(int64_t, uint64_t)>& fn);
  Status ScanRetire(int64_t from_ms, int64_t to_ms,
                    const std::function<bool(int64_t, uint64_t)>& fn);
  Status ForEachNonce(
      const std::function<void(std::string_view, std::string_view, int64_t)>& fn);

  Result<Schedule> GetSchedule(std::string_view schedule_id);
  Result<std::optional<std::string>> FindScheduleTimer(uint64_t timer_id);
  Result<std::optional<uint64_t>> FindMsgId(std::string_view schedule_id, int64_t fire_ms);
  Result<std::vector<uint64_t>> ListMsgIds(std::string_view schedule_id);
  Status ScanScheduleIndex(std::string_view app_key,
                           const std::function<bool(int64_t, std::string_view)>& fn);
  Status ScanSchedules(std::string_view from_id, const std::function<bool(Schedule&&)>& fn);

  // --- DueLeases (storage/due_leases.h), on schema.cc's `due` table ---------------------
  // Leases up to `limit` entries due before until_ms that no node holds (new, or their
  // holder's lease ran out) to `owner` for lease_ms, and calls fn(due_ms, id) for each.
  Status ClaimDue(std::string_view owner, int64_t until_ms, size_t limit, int64_t lease_ms,
                  const std::function<void(int64_t, uint64_t)>& fn) override;
  // Extends every lease `owner` holds to lease_ms from now; returns how many it holds.
  Result<uint64_t> RenewLeases(std::string_view owner, int64_t lease_ms) override;
  // Gives up every lease `owner` holds (a clean stop), so other nodes take them at once.
  Status ReleaseLeases(std::string_view owner) override;

  uint64_t EstimateDueEntries();
  uint64_t EstimateTasks();

  bool healthy() const;
  std::string health_message() const;

 private:
  class Pool;
  explicit PgStore(std::unique_ptr<Pool> pool);
  std::unique_ptr<Pool> pool_;
};

}  // namespace tock
