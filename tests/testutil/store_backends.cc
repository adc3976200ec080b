#include "testutil/store_backends.h"

#include "storage/rocksdb/rocksdb_store.h"

namespace tock::testing {

Result<std::unique_ptr<Store>> RocksDbBackend::TryOpen() {
  return OpenRocksStore(dir_.path(), RocksStoreOptions());
}

}  // namespace tock::testing
