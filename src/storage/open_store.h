// OpenStore: the one place that turns the configured store into a Store (storage/store.h).
// Today it knows "rocksdb", the embedded store in the data directory.
//
// Thread-safety: a plain function; call it once at start.
#pragma once

#include <memory>
#include <string>

#include "common/status.h"
#include "storage/rocksdb/rocksdb_store.h"
#include "storage/store.h"

namespace tock {

struct StoreConfig {
  std::string kind = "rocksdb";  // the backend: "rocksdb"
  std::string data_dir;          // rocksdb: the database lives in data_dir + "/db"
  RocksStoreOptions rocksdb;
};

// Invalid for an unknown kind; otherwise what the backend's open returns.
Result<std::unique_ptr<Store>> OpenStore(const StoreConfig& config);

}  // namespace tock
