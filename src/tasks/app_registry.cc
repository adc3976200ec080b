#include "tasks/app_registry.h"

#include <algorithm>
#include <mutex>

#include "storage/store.h"
#include "tasks/stale_write.h"

namespace tock {

Status AppRegistry::Load() {
  std::unordered_map<std::string, std::shared_ptr<const App>> loaded;
  Status s = store_.ForEachApp([&](App&& app) {
    std::string key = app.app_key;
    loaded[key] = std::make_shared<const App>(std::move(app));
  });
  if (!s.ok()) return s;
  std::unique_lock<std::shared_mutex> l(mu_);
  apps_ = std::move(loaded);
  return Status::Ok();
}

Result<std::vector<std::string>> AppRegistry::Refresh() {
  std::lock_guard<std::mutex> w(write_mu_);
  return RefreshLocked();
}

Result<std::vector<std::string>> AppRegistry::RefreshLocked() {
  std::vector<App> read;
  Status s = store_.ForEachApp([&](App&& app) { read.push_back(std::move(app)); });
  if (!s.ok()) return s;
  std::vector<std::string> changed;
  std::unique_lock<std::shared_mutex> l(mu_);
  for (App& app : read) {
    auto it = apps_.find(app.app_key);
    if (it != apps_.end() && *it->second == app) continue;
    changed.push_back(app.app_key);
    std::string key = app.app_key;
    apps_[key] = std::make_shared<const App>(std::move(app));
  }
  return changed;
}

Status AppRegistry::Add(const App& app) {
  std::lock_guard<std::mutex> w(write_mu_);
  const std::string taken = "appKey '" + app.app_key + "': already taken by an application";
  if (Find(app.app_key)) return Status::Conflict(taken);
  App fresh = app;
  fresh.revision = 0;  // a first write: a shared store refuses it over an existing row
  Status s = PutLocked(fresh);
  if (IsStaleWrite(s)) return Status::Conflict(taken);  // another node's, not read yet
  return s;
}

Result<std::shared_ptr<const App>> AppRegistry::Update(
    std::string_view app_key, const std::function<Status(App&)>& change) {
  std::lock_guard<std::mutex> w(write_mu_);
  for (int tries = 1;; ++tries) {
    std::shared_ptr<const App> current = Find(app_key);
    if (!current) {
      return Status::NotFound("application '" + std::string(app_key) + "': not found");
    }
    App next = *current;
    Status s = change(next);
    if (!s.ok()) return s;
    next.app_key = current->app_key;  // the key is the record's identity
    s = PutLocked(next);
    if (IsStaleWrite(s) && tries < kStaleWriteTries) {
      // Another node changed it since this node last read: read again, change again.
      Result<std::vector<std::string>> refreshed = RefreshLocked();
      if (!refreshed.ok()) return refreshed.status();
      continue;
    }
    if (!s.ok()) return s;
    return Find(app_key);
  }
}

Status AppRegistry::PutLocked(const App& app) {
  const std::unique_ptr<Store::Batch> b = store_.NewBatch();
  b->PutApp(app);
  Status s = store_.Write(*b, /*sync=*/true);
  if (!s.ok()) return s;
  auto snapshot = std::make_shared<App>(app);
  snapshot->revision = app.revision + 1;  // as a store that keeps revisions now has it
  std::unique_lock<std::shared_mutex> l(mu_);
  apps_[app.app_key] = std::move(snapshot);
  return Status::Ok();
}

std::shared_ptr<const App> AppRegistry::Find(std::string_view app_key) const {
  std::shared_lock<std::shared_mutex> l(mu_);
  auto it = apps_.find(std::string(app_key));
  return it == apps_.end() ? nullptr : it->second;
}

std::vector<std::shared_ptr<const App>> AppRegistry::List() const {
  std::vector<std::shared_ptr<const App>> out;
  {
    std::shared_lock<std::shared_mutex> l(mu_);
    out.reserve(apps_.size());
    for (const auto& [key, app] : apps_) out.push_back(app);
  }
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) {
    return a->created_ms != b->created_ms ? a->created_ms < b->created_ms : a->app_key < b->app_key;
  });
  return out;
}

size_t AppRegistry::size() const {
  std::shared_lock<std::shared_mutex> l(mu_);
  return apps_.size();
}

}  // namespace tock
