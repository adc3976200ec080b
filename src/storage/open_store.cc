#include "storage/open_store.h"

namespace tock {

Result<std::unique_ptr<Store>> OpenStore(const StoreConfig& config) {
  if (config.kind == "rocksdb") return OpenRocksStore(config.data_dir + "/db", config.rocksdb);
  if (config.kind == "postgresql") {
    Result<std::unique_ptr<PgStore>> pg = PgStore::Open(config.postgresql);
    if (!pg.ok()) return pg.status();
    return std::unique_ptr<Store>(std::move(pg).value());
  }
  return Status::Invalid("unknown store \"" + config.kind + "\" (known: rocksdb, postgresql)");
}

}  // namespace tock
