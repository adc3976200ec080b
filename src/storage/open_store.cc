#include "storage/open_store.h"

namespace tock {

Result<std::unique_ptr<Store>> OpenStore(const StoreConfig& config) {
  if (config.kind == "rocksdb") return OpenRocksStore(config.data_dir + "/db", config.rocksdb);
  return Status::Invalid("unknown store \"" + config.kind + "\" (known: rocksdb)");
}

}  // namespace tock
