// DESIGN
// One rocksdb::DB with a column family per record kind (keys.h). Column families share one
// WAL, so a WriteBatch that touches tasks, due and task_no is atomic across them.
//
// Task ids come from a counter reserved on disk in blocks (kIdBlock): the meta entry
// "next_task_id" always holds a value no handed-out id reaches, so after a crash the next
// block starts above every id that might have been acknowledged. The cost is one synced
// write per kIdBlock ids, and a gap of up to kIdBlock ids after a restart.
//
// Once a write fails, every later write is refused (write_error_), and healthy() says so.
//
// Disk full is the exception that heals. A write that fails for lack of space (ENOSPC on
// the write-ahead log, or a memtable flush that could not write its table file) leaves
// RocksDB in a background-error state that refuses every write, including after space is
// freed, until DB::Resume() clears it (Resume flushes the memtables again, so the torn WAL
// tail is never needed). So a NoSpace error is marked recoverable: while it stands, Write()
// and healthy() call Resume() at most once per kResumeIntervalMs, on the calling thread
// (serialised by resume_mu_; concurrent callers do not wait for it, they are refused), and
// the first success lifts the refusal. Nothing acknowledged is lost on the way: a refused
// write was never acknowledged, and what was written before stays in the memtables and WAL.
// Any other write error still latches until restart.

#include "storage/rocksdb/rocksdb_store.h"

#include <rocksdb/cache.h>
#include <rocksdb/db.h>
#include <rocksdb/filter_policy.h>
#include <rocksdb/options.h>
#include <rocksdb/table.h>
#include <rocksdb/utilities/checkpoint.h>
#include <rocksdb/write_batch.h>

#include <atomic>
#include <mutex>
#include <optional>
#include <vector>

#include "common/clock.h"
#include "common/coding.h"
#include "common/log.h"
#include "storage/rocksdb/codecs.h"
#include "storage/rocksdb/keys.h"
#include "storage/rocksdb/rocks_logger.h"
#include "storage/rocksdb/rocks_status.h"
#include "storage/rocksdb/task_index.h"

namespace tock {
namespace {

constexpr uint64_t kIdBlock = 1 << 16;
// How often, at most, a disk-full store tries to resume (see the DESIGN note).
constexpr int64_t kResumeIntervalMs = 500;

// True for RocksDB's "no space left on device" errors, however they surfaced: the WAL
// append or sync (IOError/NoSpace) or the stored background error a later write returns.
bool IsNoSpace(const rocksdb::Status& s) {
  return s.IsNoSpace() || s.ToString().find("No space left on device") != std::string::npos;
}

// What clients (the 503's message) and health checks are told while the disk is full. The
// RocksDB detail, which names files, goes to the log only.
constexpr const char kNoSpaceMessage[] =
    "disk full: no space left on device for the data directory; writes are refused until "
    "space is freed (tock resumes by itself)";

enum Cf {
  kApps,
  kTasks,
  kTaskNo,
  kDue,
  kAttempts,
  kRetire,
  kNonces,
  kMeta,
  kSchedules,
  kScheduleIndex,
  kScheduleTimers,
  kMsgIds,
  kTaskIndex,
  kNumCf
};
const char* const kCfNames[kNumCf] = {
    keys::kApps,   keys::kTasks,  keys::kTaskNo, keys::kDue,       keys::kAttempts,
    keys::kRetire, keys::kNonces, keys::kMeta,   keys::kSchedules, keys::kScheduleIndex,
    keys::kScheduleTimers, keys::kMsgIds, keys::kTaskIndex};

// The Store over one rocksdb::DB. Every method may be called from any thread.
class RocksStore final : public Store {
 public:
  RocksStore() = default;
  ~RocksStore() override {
    if (db_ != nullptr) {
      // Flushing the memtables on a clean stop spares the next start a write-ahead-log
      // replay (about 1.3 s with 1 000 000 tasks pending).
      std::vector<rocksdb::ColumnFamilyHandle*> all;
      for (auto* h : handles_) {
        if (h != nullptr) all.push_back(h);
      }
      if (!write_error_.load() && !all.empty()) {
        rocksdb::Status f = db_->Flush(rocksdb::FlushOptions(), all);
        if (!f.ok()) log::Warn("store.flush_failed", {{"error", f.ToString()}});
      }
      for (auto* h : handles_) {
        if (h != nullptr) db_->DestroyColumnFamilyHandle(h);
      }
      if (default_cf_ != nullptr) db_->DestroyColumnFamilyHandle(default_cf_);
      rocksdb::Status s = db_->Close();
      if (!s.ok()) log::Warn("store.close_failed", {{"error", s.ToString()}});
      delete db_;
    }
  }

  Status Open(const std::string& dir, const RocksStoreOptions& opts) {
    rocksdb::Options db_opts;
    db_opts.create_if_missing = true;
    db_opts.create_missing_column_families = true;
    db_opts.max_background_jobs = 2;
    db_opts.max_open_files = opts.max_open_files;
    db_opts.max_total_wal_size = opts.max_wal_bytes;
    // After a crash, the replayed writes stay in the memtables (their WAL is kept until the
    // next flush) instead of being flushed to a table file before Open returns: recovery
    // reads the bounded WAL and writes nothing.
    db_opts.avoid_flush_during_recovery = true;
    db_opts.bytes_per_sync = 1 << 20;
    // Measured on 2 cores with 64 concurrent synced writers (tools/bench W1): the default
    // adaptive yield lets waiting writers spin in sched_yield for up to 100 us each, which
    // burns the cores the group leader and the HTTP threads need; blocking at once is cheaper.
    db_opts.enable_write_thread_adaptive_yield = false;
    db_opts.enable_pipelined_write = true;
    // All column families' memtables share one budget: RSS stays flat however many tasks are
    // pending (tools/bench W3), instead of each family filling its own write buffers.
    db_opts.db_write_buffer_size = opts.memtable_budget_bytes;
    db_opts.keep_log_file_num = 5;
    db_opts.info_log_level = rocksdb::InfoLogLevel::WARN_LEVEL;
    // Not a LOG file on the data disk: see storage/rocksdb/rocks_logger.h (a full disk aborted
    // tock).
    db_opts.info_log = std::make_shared<RocksLogger>(rocksdb::InfoLogLevel::WARN_LEVEL);

    cache_ = rocksdb::NewLRUCache(opts.block_cache_bytes);
    rocksdb::BlockBasedTableOptions table;
    table.block_cache = cache_;
    table.filter_policy.reset(rocksdb::NewBloomFilterPolicy(10));
    table.cache_index_and_filter_blocks = true;

    std::vector<rocksdb::ColumnFamilyDescriptor> descs;
    rocksdb::ColumnFamilyOptions base;
    base.write_buffer_size = opts.write_buffer_bytes;
    base.table_factory.reset(rocksdb::NewBlockBasedTableFactory(table));
    base.compression = rocksdb::kLZ4Compression;
    descs.emplace_back(rocksdb::kDefaultColumnFamilyName, base);
    for (int i = 0; i < kNumCf; ++i) descs.emplace_back(kCfNames[i], base);

    std::vector<rocksdb::ColumnFamilyHandle*> handles;
    rocksdb::Status s = rocksdb::DB::Open(db_opts, dir, descs, &handles, &db_);
    if (!s.ok()) return FromRocks(s, "open " + dir);
    default_cf_ = handles[0];
    for (int i = 0; i < kNumCf; ++i) handles_[i] = handles[i + 1];

    std::string v;
    s = db_->Get(rocksdb::ReadOptions(), handles_[kMeta], keys::kMetaSchemaVersion, &v);
    const uint64_t version = s.ok() && v.size() == 8 ? DecodeFixed64BE(v.data()) : 0;
    if (!s.ok() && !s.IsNotFound()) return FromRocks(s, "read schema version");
    if (s.ok() && version != keys::kSchemaVersion &&
        version != keys::kSchemaVersionBeforeTaskIndex) {
      return Status::Internal("data directory " + dir + " has an unknown schema version");
    }
    if (version == keys::kSchemaVersionBeforeTaskIndex) {
      // Written by a tock without the task lists: index its tasks once (keys.h).
      const int64_t t0 = MonoNowNs();
      Result<uint64_t> filled = FillTaskIndex(db_, handles_[kTasks], handles_[kTaskIndex]);
      if (!filled.ok()) return filled.status();
      log::Info("store.task_index_filled",
                {{"tasks", *filled}, {"ms", (MonoNowNs() - t0) / 1'000'000}});
    }
    if (version != keys::kSchemaVersion) {
      std::string enc;
      PutFixed64BE(&enc, keys::kSchemaVersion);
      rocksdb::WriteOptions wo;
      wo.sync = true;  // also makes the index filled above durable (one WAL)
      s = db_->Put(wo, handles_[kMeta], keys::kMetaSchemaVersion, enc);
      if (!s.ok()) return FromRocks(s, "write schema version");
    }

    s = db_->Get(rocksdb::ReadOptions(), handles_[kMeta], keys::kMetaNextTaskId, &v);
    if (s.ok() && v.size() == 8) {
      next_id_ = reserved_until_ = DecodeFixed64BE(v.data());
    } else if (s.IsNotFound()) {
      next_id_ = reserved_until_ = 1;
    } else {
      return FromRocks(s, "read task id counter");
    }
    return Status::Ok();
  }

  std::unique_ptr<Batch> NewBatch() override;
  Status Write(Batch& batch, bool sync) override;
  Result<uint64_t> AllocateTaskIds(uint64_t n) override;
  Result<Task> GetTask(uint64_t id) override;
  Result<std::optional<uint64_t>> FindTaskNo(std::string_view app_key,
                                             std::string_view task_no) override;
  Result<std::vector<Task>> GetTasks(const std::vector<uint64_t>& ids) override;
  Status ScanTaskIndex(const TaskIndexRange& range,
                       const std::function<bool(int64_t, uint64_t)>& fn) override {
    return ScanTaskIndexRange(db_, handles_[kTaskIndex], range, fn);
  }
  Status ScanTaskNos(std::string_view app_key, std::string_view prefix, std::string_view after,
                     bool descending,
                     const std::function<bool(std::string_view, uint64_t)>& fn) override {
    return ScanTaskNoPrefix(db_, handles_[kTaskNo], app_key, prefix, after, descending, fn);
  }
  Result<std::vector<Attempt>> ListAttempts(uint64_t task_id) override;
  Status ScanDue(int64_t from_ms, int64_t to_ms,
                 const std::function<bool(int64_t, uint64_t)>& fn) override {
    return Scan(kDue, from_ms, to_ms, fn);
  }
  Status ScanRetire(int64_t from_ms, int64_t to_ms,
                    const std::function<bool(int64_t, uint64_t)>& fn) override {
    return Scan(kRetire, from_ms, to_ms, fn);
  }
  Status ForEachApp(const std::function<void(App&&)>& fn) override;
  Status ForEachNonce(
      const std::function<void(std::string_view, std::string_view, int64_t)>& fn) override;
  Result<Schedule> GetSchedule(std::string_view schedule_id) override;
  Result<std::optional<std::string>> FindScheduleTimer(uint64_t timer_id) override;
  Result<std::optional<uint64_t>> FindMsgId(std::string_view schedule_id, int64_t fire_ms) override;
  Result<std::vector<uint64_t>> ListMsgIds(std::string_view schedule_id) override;
  Status ScanScheduleIndex(std::string_view app_key,
                           const std::function<bool(int64_t, std::string_view)>& fn) override;
  Status ScanSchedules(std::string_view from_id,
                       const std::function<bool(Schedule&&)>& fn) override;
  // May resume a disk-full store (the DESIGN note): healthy() is const to callers only.
  bool healthy() const override { return const_cast<RocksStore*>(this)->TryResume(); }
  std::string health_message() const override {
    std::lock_guard<std::mutex> l(health_mu_);
    return health_message_;
  }
  Status Backup(const std::string& dir) override;
  StoreStats Stats() override;

  rocksdb::ColumnFamilyHandle* cf(Cf c) const { return handles_[c]; }

 private:
  Status WriteRaw(rocksdb::WriteBatch* batch, bool sync) {
    if (write_error_.load(std::memory_order_acquire) && !TryResume()) {
      return Status::Unavailable(no_space_.load() ? std::string(kNoSpaceMessage)
                                                  : "storage is refusing writes after an "
                                                    "earlier failure: " +
                                                        health_message());
    }
    rocksdb::WriteOptions wo;
    wo.sync = sync;
    rocksdb::Status s = db_->Write(wo, batch);
    if (!s.ok()) {
      Status st = FromRocks(s, "write");
      const bool no_space = IsNoSpace(s);
      bool first;
      {
        std::lock_guard<std::mutex> l(health_mu_);
        first = health_message_.empty();
        if (first) health_message_ = no_space ? std::string(kNoSpaceMessage) : st.message();
      }
      if (no_space) no_space_.store(true);
      write_error_.store(true, std::memory_order_release);
      if (first) {
        log::Error("store.write_failed",
                   {{"error", st.message()}, {"no_space", no_space ? "true" : "false"}});
      }
      if (no_space) return Status::Unavailable(kNoSpaceMessage);
      return Status::Unavailable("storage write failed: " + st.message());
    }
    return Status::Ok();
  }

  // Tries to lift a disk-full refusal (see the DESIGN note). True when writes may go on.
  // Other errors are never resumed.
  bool TryResume() {
    if (!write_error_.load(std::memory_order_acquire)) return true;
    if (!no_space_.load()) return false;
    std::unique_lock<std::mutex> l(resume_mu_, std::try_to_lock);
    if (!l.owns_lock()) return false;
    if (!write_error_.load(std::memory_order_acquire)) return true;  // resumed meanwhile
    const int64_t now = MonoNowNs() / 1'000'000;
    if (now - last_resume_ms_ < kResumeIntervalMs) return false;
    last_resume_ms_ = now;
    rocksdb::Status s = db_->Resume();
    ++resume_attempts_;
    if (!s.ok()) {
      // At most one line per 30 attempts (15 s) while the disk stays full.
      if (resume_attempts_ % 30 == 1) {
        log::Warn("store.resume_failed", {{"error", s.ToString()}, {"attempts", resume_attempts_}});
      }
      return false;
    }
    {
      std::lock_guard<std::mutex> hl(health_mu_);
      health_message_.clear();
    }
    no_space_.store(false);
    write_error_.store(false, std::memory_order_release);
    log::Info("store.resumed", {{"attempts", resume_attempts_}});
    resume_attempts_ = 0;
    return true;
  }

  Result<uint64_t> AllocateIds(uint64_t n) {
    std::lock_guard<std::mutex> l(id_mu_);
    if (next_id_ + n > reserved_until_) {
      uint64_t new_until = next_id_ + n + kIdBlock;
      std::string enc;
      PutFixed64BE(&enc, new_until);
      rocksdb::WriteBatch b;
      b.Put(handles_[kMeta], keys::kMetaNextTaskId, enc);
      // Held under id_mu_: id allocation waits for one fsync per kIdBlock ids.
      Status st = WriteRaw(&b, /*sync=*/true);
      if (!st.ok()) return st;
      reserved_until_ = new_until;
    }
    uint64_t first = next_id_;
    next_id_ += n;
    return first;
  }

  Status Scan(Cf cf, int64_t from_ms, int64_t to_ms,
              const std::function<bool(int64_t, uint64_t)>& fn) {
    std::string lo = keys::TimeIdKey(from_ms, 0);
    std::string hi = keys::TimeIdKey(to_ms, 0);
    rocksdb::Slice upper(hi);
    rocksdb::ReadOptions ro;
    ro.iterate_upper_bound = &upper;
    std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(ro, handles_[cf]));
    for (it->Seek(lo); it->Valid(); it->Next()) {
      rocksdb::Slice k = it->key();
      if (k.size() != 16) continue;
      std::string_view kv(k.data(), k.size());
      if (!fn(keys::TimeOfTimeIdKey(kv), keys::IdOfTimeIdKey(kv))) break;
    }
    return FromRocks(it->status(), "scan index");
  }

  uint64_t SumProperty(const std::string& name) const {
    uint64_t total = 0;
    for (int i = 0; i < kNumCf; ++i) {
      uint64_t v = 0;
      if (db_->GetIntProperty(handles_[i], name, &v)) total += v;
    }
    return total;
  }

  rocksdb::DB* db_ = nullptr;
  rocksdb::ColumnFamilyHandle* default_cf_ = nullptr;
  rocksdb::ColumnFamilyHandle* handles_[kNumCf] = {};
  std::shared_ptr<rocksdb::Cache> cache_;
  std::atomic<bool> write_error_{false};
  std::atomic<bool> no_space_{false};  // the standing write error is a disk-full one
  std::mutex resume_mu_;
  int64_t last_resume_ms_ = 0;    // GUARDED_BY(resume_mu_)
  uint64_t resume_attempts_ = 0;  // GUARDED_BY(resume_mu_)
  mutable std::mutex health_mu_;
  std::string health_message_;  // GUARDED_BY(health_mu_)
  std::mutex id_mu_;
  uint64_t next_id_ = 1;         // GUARDED_BY(id_mu_)
  uint64_t reserved_until_ = 1;  // GUARDED_BY(id_mu_)
};

// --- Batch -------------------------------------------------------------------------------

class RocksBatch final : public Store::Batch {
 public:
  explicit RocksBatch(const RocksStore& store) : store_(store) {}

  void PutApp(const App& app) override { wb_.Put(cf(kApps), app.app_key, EncodeApp(app)); }
  void PutTask(const Task& task) override {
    wb_.Put(cf(kTasks), keys::TaskKey(task.id), EncodeTask(task));
  }
  void DeleteTask(uint64_t id) override { wb_.Delete(cf(kTasks), keys::TaskKey(id)); }
  void PutTaskNo(std::string_view app_key, std::string_view task_no, uint64_t id) override {
    wb_.Put(cf(kTaskNo), keys::TaskNoKey(app_key, task_no), keys::TaskKey(id));
  }
  void DeleteTaskNo(std::string_view app_key, std::string_view task_no) override {
    wb_.Delete(cf(kTaskNo), keys::TaskNoKey(app_key, task_no));
  }
  void PutTaskIndex(const TaskIndexEntry& entry) override {
    AddTaskIndexWrites(wb_, cf(kTaskIndex), entry, /*put=*/true);
  }
  void DeleteTaskIndex(const TaskIndexEntry& entry) override {
    AddTaskIndexWrites(wb_, cf(kTaskIndex), entry, /*put=*/false);
  }
  void PutDue(int64_t due_ms, uint64_t id) override {
    wb_.Put(cf(kDue), keys::TimeIdKey(due_ms, id), rocksdb::Slice());
  }
  void DeleteDue(int64_t due_ms, uint64_t id) override {
    wb_.Delete(cf(kDue), keys::TimeIdKey(due_ms, id));
  }
  void PutAttempt(const Attempt& a) override {
    wb_.Put(cf(kAttempts), keys::AttemptKey(a.task_id, a.number), EncodeAttempt(a));
  }
  void DeleteAttempts(uint64_t task_id) override {
    wb_.DeleteRange(cf(kAttempts), keys::AttemptKey(task_id, 0), keys::AttemptKey(task_id + 1, 0));
  }
  void PutRetire(int64_t expire_ms, uint64_t id) override {
    wb_.Put(cf(kRetire), keys::TimeIdKey(expire_ms, id), rocksdb::Slice());
  }
  void DeleteRetire(int64_t expire_ms, uint64_t id) override {
    wb_.Delete(cf(kRetire), keys::TimeIdKey(expire_ms, id));
  }
  void PutNonce(std::string_view app_key, std::string_view nonce, int64_t ts_s) override {
    std::string v;
    PutInt64BE(&v, ts_s);
    wb_.Put(cf(kNonces), keys::NonceKey(app_key, nonce), v);
  }
  void DeleteNonce(std::string_view app_key, std::string_view nonce) override {
    wb_.Delete(cf(kNonces), keys::NonceKey(app_key, nonce));
  }
  void PutSchedule(const Schedule& schedule) override {
    wb_.Put(cf(kSchedules), schedule.id, EncodeSchedule(schedule));
  }
  void DeleteSchedule(std::string_view schedule_id) override {
    wb_.Delete(cf(kSchedules), rocksdb::Slice(schedule_id.data(), schedule_id.size()));
  }
  void PutScheduleIndex(std::string_view app_key, int64_t created_ms,
                        std::string_view schedule_id) override {
    wb_.Put(cf(kScheduleIndex), keys::ScheduleIndexKey(app_key, created_ms, schedule_id),
            rocksdb::Slice());
  }
  void DeleteScheduleIndex(std::string_view app_key, int64_t created_ms,
                           std::string_view schedule_id) override {
    wb_.Delete(cf(kScheduleIndex), keys::ScheduleIndexKey(app_key, created_ms, schedule_id));
  }
  void PutScheduleTimer(uint64_t timer_id, std::string_view schedule_id) override {
    wb_.Put(cf(kScheduleTimers), keys::TaskKey(timer_id),
            rocksdb::Slice(schedule_id.data(), schedule_id.size()));
  }
  void DeleteScheduleTimer(uint64_t timer_id) override {
    wb_.Delete(cf(kScheduleTimers), keys::TaskKey(timer_id));
  }
  void PutMsgId(std::string_view schedule_id, int64_t fire_ms, uint64_t task_id) override {
    wb_.Put(cf(kMsgIds), keys::MsgIdKey(schedule_id, fire_ms), keys::TaskKey(task_id));
  }
  void DeleteMsgIds(std::string_view schedule_id) override {
    // Every key of the schedule is schedule_id followed by 8 bytes, so it sorts below
    // schedule_id ‖ 9 x 0xFF.
    std::string lo(schedule_id);
    std::string hi = lo + std::string(9, '\xff');
    wb_.DeleteRange(cf(kMsgIds), lo, hi);
  }
  size_t Count() const override { return wb_.Count(); }

  const RocksStore& store() const { return store_; }
  rocksdb::WriteBatch* rep() { return &wb_; }

 private:
  rocksdb::ColumnFamilyHandle* cf(Cf c) const { return store_.cf(c); }

  const RocksStore& store_;
  rocksdb::WriteBatch wb_;
};

// --- Store -------------------------------------------------------------------------------

std::unique_ptr<Store::Batch> RocksStore::NewBatch() { return std::make_unique<RocksBatch>(*this); }

Status RocksStore::Write(Batch& batch, bool sync) {
  auto& rb = static_cast<RocksBatch&>(batch);
  if (&rb.store() != this) return Status::Internal("a batch written to another store");
  return WriteRaw(rb.rep(), sync);
}

Result<uint64_t> RocksStore::AllocateTaskIds(uint64_t n) { return AllocateIds(n); }

Result<Task> RocksStore::GetTask(uint64_t id) {
  std::string v;
  rocksdb::Status s = db_->Get(rocksdb::ReadOptions(), handles_[kTasks], keys::TaskKey(id), &v);
  if (s.IsNotFound()) return Status::NotFound("task " + std::to_string(id) + " not found");
  if (!s.ok()) return FromRocks(s, "read task");
  return DecodeTask(v);
}

Result<std::optional<uint64_t>> RocksStore::FindTaskNo(std::string_view app_key,
                                                       std::string_view task_no) {
  std::string v;
  rocksdb::Status s =
      db_->Get(rocksdb::ReadOptions(), handles_[kTaskNo], keys::TaskNoKey(app_key, task_no), &v);
  if (s.IsNotFound()) return std::optional<uint64_t>();
  if (!s.ok()) return FromRocks(s, "read taskNo index");
  if (v.size() != 8) return Status::Internal("corrupt taskNo index entry");
  return std::optional<uint64_t>(DecodeFixed64BE(v.data()));
}

Result<std::vector<Task>> RocksStore::GetTasks(const std::vector<uint64_t>& ids) {
  std::vector<std::string> keys;
  keys.reserve(ids.size());
  for (uint64_t id : ids) keys.push_back(keys::TaskKey(id));
  std::vector<rocksdb::Slice> slices(keys.begin(), keys.end());
  std::vector<rocksdb::ColumnFamilyHandle*> cfs(ids.size(), handles_[kTasks]);
  std::vector<std::string> values;
  // One call: the lookups share the table files' index blocks and run batched.
  std::vector<rocksdb::Status> found = db_->MultiGet(rocksdb::ReadOptions(), cfs, slices, &values);
  std::vector<Task> out;
  out.reserve(ids.size());
  for (size_t i = 0; i < found.size(); ++i) {
    if (found[i].IsNotFound()) continue;
    if (!found[i].ok()) return FromRocks(found[i], "read task");
    Result<Task> t = DecodeTask(values[i]);
    if (!t.ok()) return t.status();
    out.push_back(std::move(t).value());
  }
  return out;
}

Result<std::vector<Attempt>> RocksStore::ListAttempts(uint64_t task_id) {
  std::vector<Attempt> out;
  std::string lo = keys::AttemptKey(task_id, 0);
  std::string hi = keys::AttemptKey(task_id + 1, 0);
  rocksdb::Slice upper(hi);
  rocksdb::ReadOptions ro;
  ro.iterate_upper_bound = &upper;
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(ro, handles_[kAttempts]));
  for (it->Seek(lo); it->Valid(); it->Next()) {
    Result<Attempt> a = DecodeAttempt(std::string_view(it->value().data(), it->value().size()));
    if (!a.ok()) return a.status();
    out.push_back(std::move(a).value());
  }
  Status st = FromRocks(it->status(), "read attempts");
  if (!st.ok()) return st;
  return out;
}

Status RocksStore::ForEachApp(const std::function<void(App&&)>& fn) {
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions(), handles_[kApps]));
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    Result<App> a = DecodeApp(std::string_view(it->value().data(), it->value().size()));
    if (!a.ok()) return a.status();
    fn(std::move(a).value());
  }
  return FromRocks(it->status(), "read applications");
}

Status RocksStore::ForEachNonce(
    const std::function<void(std::string_view, std::string_view, int64_t)>& fn) {
  std::unique_ptr<rocksdb::Iterator> it(
      db_->NewIterator(rocksdb::ReadOptions(), handles_[kNonces]));
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    std::string_view k(it->key().data(), it->key().size());
    size_t sep = k.find('\0');
    if (sep == std::string_view::npos || it->value().size() != 8) continue;
    fn(k.substr(0, sep), k.substr(sep + 1), DecodeInt64BE(it->value().data()));
  }
  return FromRocks(it->status(), "read nonces");
}

Result<Schedule> RocksStore::GetSchedule(std::string_view schedule_id) {
  std::string v;
  rocksdb::Status s = db_->Get(rocksdb::ReadOptions(), handles_[kSchedules],
                               rocksdb::Slice(schedule_id.data(), schedule_id.size()), &v);
  if (s.IsNotFound()) {
    return Status::NotFound("schedule " + std::string(schedule_id) + " not found");
  }
  if (!s.ok()) return FromRocks(s, "read schedule");
  return DecodeSchedule(v);
}

Result<std::optional<std::string>> RocksStore::FindScheduleTimer(uint64_t timer_id) {
  std::string v;
  rocksdb::Status s =
      db_->Get(rocksdb::ReadOptions(), handles_[kScheduleTimers], keys::TaskKey(timer_id), &v);
  if (s.IsNotFound()) return std::optional<std::string>();
  if (!s.ok()) return FromRocks(s, "read schedule timer");
  return std::optional<std::string>(std::move(v));
}

Result<std::optional<uint64_t>> RocksStore::FindMsgId(std::string_view schedule_id,
                                                      int64_t fire_ms) {
  std::string v;
  rocksdb::Status s =
      db_->Get(rocksdb::ReadOptions(), handles_[kMsgIds], keys::MsgIdKey(schedule_id, fire_ms), &v);
  if (s.IsNotFound()) return std::optional<uint64_t>();
  if (!s.ok()) return FromRocks(s, "read msg-id");
  if (v.size() != 8) return Status::Internal("corrupt msg-id entry");
  return std::optional<uint64_t>(DecodeFixed64BE(v.data()));
}

Result<std::vector<uint64_t>> RocksStore::ListMsgIds(std::string_view schedule_id) {
  std::vector<uint64_t> out;
  std::string lo(schedule_id);
  std::string hi = lo + std::string(9, '\xff');
  rocksdb::Slice upper(hi);
  rocksdb::ReadOptions ro;
  ro.iterate_upper_bound = &upper;
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(ro, handles_[kMsgIds]));
  for (it->Seek(lo); it->Valid(); it->Next()) {
    if (it->key().size() != schedule_id.size() + 8 || it->value().size() != 8) continue;
    out.push_back(DecodeFixed64BE(it->value().data()));
  }
  Status st = FromRocks(it->status(), "read msg-ids");
  if (!st.ok()) return st;
  return out;
}

Status RocksStore::ScanScheduleIndex(std::string_view app_key,
                                     const std::function<bool(int64_t, std::string_view)>& fn) {
  std::string lo = keys::ScheduleIndexPrefix(app_key);
  std::string hi(app_key);
  hi.push_back('\x01');  // just past every key with the prefix app_key ‖ 0x00
  rocksdb::Slice upper(hi);
  rocksdb::ReadOptions ro;
  ro.iterate_upper_bound = &upper;
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(ro, handles_[kScheduleIndex]));
  for (it->Seek(lo); it->Valid(); it->Next()) {
    std::string_view k(it->key().data(), it->key().size());
    if (k.size() < lo.size() + 8) continue;
    if (!fn(DecodeInt64BE(k.data() + lo.size()), k.substr(lo.size() + 8))) break;
  }
  return FromRocks(it->status(), "scan schedule index");
}

Status RocksStore::ScanSchedules(std::string_view from_id,
                                 const std::function<bool(Schedule&&)>& fn) {
  std::unique_ptr<rocksdb::Iterator> it(
      db_->NewIterator(rocksdb::ReadOptions(), handles_[kSchedules]));
  for (it->Seek(rocksdb::Slice(from_id.data(), from_id.size())); it->Valid(); it->Next()) {
    Result<Schedule> s = DecodeSchedule(std::string_view(it->value().data(), it->value().size()));
    if (!s.ok()) return s.status();
    if (!fn(std::move(s).value())) break;
  }
  return FromRocks(it->status(), "scan schedules");
}

Status RocksStore::Backup(const std::string& dir) {
  rocksdb::Checkpoint* cp = nullptr;
  rocksdb::Status s = rocksdb::Checkpoint::Create(db_, &cp);
  if (!s.ok()) return FromRocks(s, "checkpoint");
  std::unique_ptr<rocksdb::Checkpoint> owned(cp);
  return FromRocks(owned->CreateCheckpoint(dir), "checkpoint into " + dir);
}

StoreStats RocksStore::Stats() {
  StoreStats st;
  db_->GetIntProperty(handles_[kDue], "rocksdb.estimate-num-keys", &st.due_entries);
  db_->GetIntProperty(handles_[kTasks], "rocksdb.estimate-num-keys", &st.tasks);
  st.table_bytes = SumProperty("rocksdb.total-sst-files-size");
  st.memtable_bytes = SumProperty("rocksdb.cur-size-all-mem-tables");
  st.pending_compaction_bytes = SumProperty("rocksdb.estimate-pending-compaction-bytes");
  st.writes_stopped = SumProperty("rocksdb.is-write-stopped") > 0;
  return st;
}

}  // namespace

Result<std::unique_ptr<Store>> OpenRocksStore(const std::string& dir,
                                              const RocksStoreOptions& opts) {
  auto store = std::make_unique<RocksStore>();
  Status s = store->Open(dir, opts);
  if (!s.ok()) return s;
  return std::unique_ptr<Store>(std::move(store));
}

}  // namespace tock
