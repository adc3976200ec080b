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
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "storage/due_leases.h"
#include "storage/store.h"

namespace tock {

struct PgStoreOptions {
  std::string url;             // postgresql://user:password@host:port/db?sslmode=...
  size_t max_connections = 16; // the pool's size
};

class PgStore final : public Store, public DueLeases {
 public:
  // Connects, migrates the schema (see schema.h) and returns the store. Unavailable when the
  // database cannot be reached; Invalid for a bad URL or a newer schema.
  static Result<std::unique_ptr<PgStore>> Open(const PgStoreOptions& opts);
  ~PgStore() override;

  std::unique_ptr<Batch> NewBatch() override;
  Status Write(Batch& batch, bool sync) override;
  // From a block of at least kIdBlock ids this node reserved with one committed update of
  // the shared counter: most calls touch no database, and nodes do not queue on the
  // counter's row lock for every group commit. The rest of a block is a gap in the ids once
  // the node stops (ids are unique and rising per node, not dense, and not in creation order
  // across nodes).
  Result<uint64_t> AllocateTaskIds(uint64_t n) override;
  static constexpr uint64_t kIdBlock = 1024;

  Result<Task> GetTask(uint64_t id) override;
  Result<std::optional<uint64_t>> FindTaskNo(std::string_view app_key,
                                             std::string_view task_no) override;
  Result<std::vector<Task>> GetTasks(const std::vector<uint64_t>& ids) override;
  // On schema.cc migration 2's indexes of the tasks and task_nos tables.
  Status ScanTaskIndex(const TaskIndexRange& range,
                       const std::function<bool(int64_t, uint64_t)>& fn) override;
  Status ScanTaskNos(std::string_view app_key, std::string_view prefix, std::string_view after,
                     bool descending,
                     const std::function<bool(std::string_view, uint64_t)>& fn) override;
  Result<std::vector<Attempt>> ListAttempts(uint64_t task_id) override;
  Status ScanDue(int64_t from_ms, int64_t to_ms,
                 const std::function<bool(int64_t, uint64_t)>& fn) override;
  Status ScanRetire(int64_t from_ms, int64_t to_ms,
                    const std::function<bool(int64_t, uint64_t)>& fn) override;
  Status ForEachApp(const std::function<void(App&&)>& fn) override;
  Status ForEachNonce(
      const std::function<void(std::string_view, std::string_view, int64_t)>& fn) override;

  Result<Schedule> GetSchedule(std::string_view schedule_id) override;
  Result<std::optional<std::string>> FindScheduleTimer(uint64_t timer_id) override;
  Result<std::optional<uint64_t>> FindMsgId(std::string_view schedule_id,
                                            int64_t fire_ms) override;
  Result<std::vector<uint64_t>> ListMsgIds(std::string_view schedule_id) override;
  Status ScanScheduleIndex(std::string_view app_key,
                           const std::function<bool(int64_t, std::string_view)>& fn) override;
  Status ScanSchedules(std::string_view from_id,
                       const std::function<bool(Schedule&&)>& fn) override;

  bool healthy() const override;
  std::string health_message() const override;
  // Invalid: a PostgreSQL store is backed up by the database's own tools.
  Status Backup(const std::string& dir) override;
  StoreStats Stats() override;

  // --- DueLeases (storage/due_leases.h), on schema.cc's `due` and `node_leases` tables --
  Result<int64_t> ClaimDue(std::string_view owner, int64_t until_ms, size_t limit,
                           const std::function<void(int64_t, uint64_t)>& fn) override;
  Result<Renewal> RenewLeases(std::string_view owner, int64_t lease_ms) override;
  Status ListLeased(std::string_view owner, int64_t from_ms, uint64_t from_id,
                    const std::function<void(int64_t, uint64_t)>& fn) override;
  Status ReleaseLeases(std::string_view owner) override;

 private:
  class Pool;
  explicit PgStore(std::unique_ptr<Pool> pool);
  std::unique_ptr<Pool> pool_;
  std::mutex ids_mu_;          // held across a reservation: allocators wait for its block
  uint64_t next_id_ = 0;       // GUARDED_BY(ids_mu_): the reserved block's next id
  uint64_t ids_left_ = 0;      // GUARDED_BY(ids_mu_)
};

}  // namespace tock
