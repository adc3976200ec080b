// What only the RocksDB store does (storage/rocksdb/rocksdb_store.h): the directory lock,
// the checkpoint behind Backup(), and the schema 1 -> 2 fill of the task-list index. The
// Store contract itself is tests/storage/store_test.cc.
#include "storage/rocksdb/rocksdb_store.h"

#include <doctest/doctest.h>
#include <rocksdb/db.h>

#include <memory>
#include <vector>

#include "common/coding.h"
#include "common/temp_dir.h"
#include "storage/rocksdb/keys.h"

namespace tock {

TEST_SUITE("RocksStore") {
  TEST_CASE("a second open of a live directory is refused") {
    testing::TempDir dir;
    Result<std::unique_ptr<Store>> first = OpenRocksStore(dir.path(), RocksStoreOptions());
    REQUIRE(first.ok());
    CHECK_FALSE(OpenRocksStore(dir.path(), RocksStoreOptions()).ok());
  }

  TEST_CASE("a backup opens as a store with the same records") {
    testing::TempDir dir;
    {
      Result<std::unique_ptr<Store>> s = OpenRocksStore(dir.Sub("db"), RocksStoreOptions());
      REQUIRE(s.ok());
      Task t;
      t.id = 5;
      t.app_key = "AppKey0123456789";
      t.task_no = "no-5";
      const std::unique_ptr<Store::Batch> b = (*s)->NewBatch();
      b->PutTask(t);
      REQUIRE((*s)->Write(*b, true).ok());
      REQUIRE((*s)->Backup(dir.Sub("copy")).ok());
    }
    Result<std::unique_ptr<Store>> copy = OpenRocksStore(dir.Sub("copy"), RocksStoreOptions());
    REQUIRE(copy.ok());
    Result<Task> t = (*copy)->GetTask(5);
    REQUIRE(t.ok());
    CHECK(t->task_no == "no-5");
  }

  TEST_CASE("a schema 1 directory gets its task-list index filled when opened") {
    testing::TempDir dir;
    {
      Result<std::unique_ptr<Store>> s = OpenRocksStore(dir.path(), RocksStoreOptions());
      REQUIRE(s.ok());
      const std::unique_ptr<Store::Batch> b = (*s)->NewBatch();
      for (uint64_t id = 1; id <= 5000; ++id) {  // more than one fill batch
        Task t;
        t.id = id;
        t.app_key = "AppKey0123456789";
        t.task_no = "no-" + std::to_string(id);
        t.runtime_ms = static_cast<int64_t>(id);
        t.status = id % 2 == 0 ? TaskStatus::kFailed : TaskStatus::kWaiting;
        t.finished_ms = t.status == TaskStatus::kFailed ? 100000 + static_cast<int64_t>(id) : 0;
        b->PutTask(t);  // as a tock without the index wrote them: no PutTaskIndex
      }
      REQUIRE((*s)->Write(*b, true).ok());
    }
    {
      // Mark the directory as written by schema 1.
      std::vector<std::string> names;
      REQUIRE(rocksdb::DB::ListColumnFamilies(rocksdb::DBOptions(), dir.path(), &names).ok());
      std::vector<rocksdb::ColumnFamilyDescriptor> descs;
      for (const std::string& n : names) descs.emplace_back(n, rocksdb::ColumnFamilyOptions());
      std::vector<rocksdb::ColumnFamilyHandle*> handles;
      rocksdb::DB* raw = nullptr;
      REQUIRE(rocksdb::DB::Open(rocksdb::DBOptions(), dir.path(), descs, &handles, &raw).ok());
      std::string v1;
      PutFixed64BE(&v1, keys::kSchemaVersionBeforeTaskIndex);
      for (size_t i = 0; i < names.size(); ++i) {
        if (names[i] == keys::kMeta) {
          REQUIRE(raw->Put(rocksdb::WriteOptions(), handles[i], keys::kMetaSchemaVersion, v1).ok());
        }
      }
      for (auto* h : handles) REQUIRE(raw->DestroyColumnFamilyHandle(h).ok());
      REQUIRE(raw->Close().ok());
      delete raw;
    }
    Result<std::unique_ptr<Store>> s = OpenRocksStore(dir.path(), RocksStoreOptions());
    REQUIRE(s.ok());
    size_t waiting = 0;
    TaskIndexRange r;
    r.app_key = "AppKey0123456789";
    REQUIRE((*s)->ScanTaskIndex(r, [&](int64_t, uint64_t) { return ++waiting > 0; }).ok());
    CHECK(waiting == 2500);
    size_t failed = 0;
    r.kind = TaskIndexRange::Kind::kFailedAt;
    REQUIRE((*s)->ScanTaskIndex(r, [&](int64_t ms, uint64_t id) {
      CHECK(ms == 100000 + static_cast<int64_t>(id));
      return ++failed > 0;
    }).ok());
    CHECK(failed == 2500);
  }
}

}  // namespace tock
