// AppRegistry: every application, in memory, backed by the apps column family.
//
// Applications are few and read on every request and every delivery, so they are loaded
// once at start and kept as immutable snapshots (shared_ptr<const App>); an update
// replaces the snapshot, readers holding the old one are unaffected.
//
// Thread-safety: all methods may be called from any thread (shared_mutex inside).
#pragma once

#include <memory>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "common/status.h"
#include "storage/records.h"

namespace tock {

class Store;

class AppRegistry {
 public:
  explicit AppRegistry(Store& store) : store_(store) {}
  AppRegistry(const AppRegistry&) = delete;
  AppRegistry& operator=(const AppRegistry&) = delete;

  Status Load();
  // Persists (synced) and then publishes the application. Replaces one with the same key.
  Status Put(const App& app);
  std::shared_ptr<const App> Find(std::string_view app_key) const;
  std::vector<std::shared_ptr<const App>> List() const;
  size_t size() const;

 private:
  Store& store_;
  mutable std::shared_mutex mu_;
  std::unordered_map<std::string, std::shared_ptr<const App>> apps_;  // GUARDED_BY(mu_)
};

}  // namespace tock
