// What only the RocksDB store does (storage/rocksdb/rocksdb_store.h): the directory lock,
// and the checkpoint behind Backup(). The Store contract itself is tests/storage/store_test.cc.
#include "storage/rocksdb/rocksdb_store.h"

#include <doctest/doctest.h>

#include <memory>

#include "common/temp_dir.h"

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
}

}  // namespace tock
