#include "testutil/store_backends.h"

#include "storage/postgres/pg_store.h"
#include "storage/rocksdb/rocksdb_store.h"
#include "testutil/pg_server.h"

namespace tock::testing {

Result<std::unique_ptr<Store>> RocksDbBackend::TryOpen() {
  return OpenRocksStore(dir_.path(), RocksStoreOptions());
}

PostgresBackend::PostgresBackend() : url_(PgServer::Shared().NewDatabase()) {}

Result<std::unique_ptr<Store>> PostgresBackend::TryOpen() {
  Result<std::unique_ptr<PgStore>> s = PgStore::Open({.url = url_});
  if (!s.ok()) return s.status();
  return std::unique_ptr<Store>(std::move(s).value());
}

}  // namespace tock::testing
