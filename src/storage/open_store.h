// OpenStore: the one place that turns the configured store into a Store (storage/store.h).
// It knows "rocksdb", the embedded store in the data directory, and "postgresql", a database
// shared by any number of nodes (storage/postgres/).
//
// Thread-safety: a plain function; call it once at start.
#pragma once

#include <memory>
#include <string>

#include "common/status.h"
#include "storage/postgres/pg_store.h"
#include "storage/rocksdb/rocksdb_store.h"
#include "storage/store.h"

namespace tock {

struct StoreConfig {
  std::string kind = "rocksdb";  // the backend: "rocksdb" or "postgresql"
  std::string data_dir;          // rocksdb: the database lives in data_dir + "/db"
  RocksStoreOptions rocksdb;
  PgStoreOptions postgresql;     // postgresql: the URL and the pool
};

// Invalid for an unknown kind; otherwise what the backend's open returns.
Result<std::unique_ptr<Store>> OpenStore(const StoreConfig& config);

}  // namespace tock
