// AppRegistry: every application, in memory, backed by the apps column family.
//
// Applications are few and read on every request and every delivery, so they are loaded
// once at start and kept as immutable snapshots (shared_ptr<const App>); an update
// replaces the snapshot, readers holding the old one are unaffected.
//
// Writers (Put, Add, Update) are serialised by write_mu_, held across the synced write, so a
// read-modify-write such as a secret rotation cannot lose a concurrent change and the
// published snapshot always equals what is on disk. Readers never wait for it.
//
// Thread-safety: all methods may be called from any thread (shared_mutex inside).
#pragma once

#include <functional>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "common/status.h"
#include "model/app.h"

namespace tock {

class Store;

class AppRegistry {
 public:
  explicit AppRegistry(Store& store) : store_(store) {}
  AppRegistry(const AppRegistry&) = delete;
  AppRegistry& operator=(const AppRegistry&) = delete;

  Status Load();
  // Reads every application again and publishes those that changed or appeared: on a shared
  // store other nodes write applications too (the server calls it every second there).
  // Returns the keys that changed. Waits for local writers, so it never publishes a
  // snapshot older than a local write.
  Result<std::vector<std::string>> Refresh();
  // Persists (synced) and then publishes a new application. Conflict, and nothing written,
  // if its key is taken (here, or on a shared store by another node, even one whose
  // application this node has not read yet).
  Status Add(const App& app);
  // Read-modify-write of one application: copies the current snapshot, lets `change` edit
  // it, persists (synced) and publishes the result, all under the writer lock. NotFound if
  // there is no such application; a non-ok Status from `change` is returned and nothing is
  // written. On a shared store, a snapshot older than another node's write is refused by
  // the store: the registry is read again and `change` applied again to the new copy.
  // Returns the new snapshot.
  Result<std::shared_ptr<const App>> Update(std::string_view app_key,
                                            const std::function<Status(App&)>& change);
  std::shared_ptr<const App> Find(std::string_view app_key) const;
  std::vector<std::shared_ptr<const App>> List() const;
  size_t size() const;

 private:
  Status PutLocked(const App& app);  // REQUIRES: write_mu_ held
  Result<std::vector<std::string>> RefreshLocked();  // REQUIRES: write_mu_ held

  Store& store_;
  std::mutex write_mu_;  // serialises writers; held across the store write (not readers')
  mutable std::shared_mutex mu_;
  std::unordered_map<std::string, std::shared_ptr<const App>> apps_;  // GUARDED_BY(mu_)
};

}  // namespace tock
