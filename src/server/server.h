// TockServer: builds every part of `tock serve` from Settings, runs them, and stops them in
// reverse order. It owns the parts (by unique_ptr); the parts hold references to the ones
// they depend on, which outlive them.
//
// Start order: store -> apps -> callback client -> timers -> loader (initial window) ->
//              delivery engine, fire path -> HTTP.
// (The task and schedule services are plain objects built before the engine; the janitor
// sweeps retired tasks, expired schedules and old nonces; the replay jobs' thread starts
// with the task service and stops after HTTP.)
// Stop order:  HTTP (stop accepting) -> loader -> timers -> fire path -> delivery engine
//              (grace, then hand back in-flight attempts) -> callback client -> janitor ->
//              store (flush, close).
//
// Thread-safety: Start() and Run() from the main thread; Stop() from any thread (signals).
#pragma once

#include <atomic>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <thread>

#include "common/status.h"
#include "config/settings.h"

namespace tock {

class AddressGuard;
class AppAuthenticator;
class AppRegistry;
class CallbackClient;
class DeliveryEngine;
class DueSource;
class FirePath;
class HttpApi;
class ReplayGuard;
class ReplayJobs;
class ScheduleService;
class Store;
class TaskService;
class TimerService;
struct ServerStats;

class TockServer {
 public:
  explicit TockServer(Settings settings);
  ~TockServer();
  TockServer(const TockServer&) = delete;
  TockServer& operator=(const TockServer&) = delete;

  // Opens storage, loads state, binds the port. A failure leaves nothing running.
  Status Start();
  // Serves until Stop(); then shuts everything down in order and returns with storage
  // closed. The thread that ran the HTTP loop is joined by the destructor.
  void Run();
  void Stop();

  int port() const;
  bool ready() const { return ready_.load(); }

 private:
  // The embedded RocksDB store (settings: "rocksdb"), else a PostgreSQL URL.
  bool embedded_store() const { return settings_.store == "rocksdb"; }
  Status PrepareAdminToken();
  void JanitorLoop();
  // A shared store only: every second, applications other nodes changed (AppRegistry::Refresh).
  void AppWatchLoop();
  std::string MetricsText();
  ServerStats Stats();  // GET /admin/stats

  Settings settings_;
  std::unique_ptr<Store> store_;
  std::unique_ptr<AppRegistry> apps_;
  std::unique_ptr<ReplayGuard> replay_;
  std::unique_ptr<AppAuthenticator> auth_;
  std::unique_ptr<TimerService> timers_;
  std::unique_ptr<DueSource> loader_;
  std::unique_ptr<TaskService> tasks_;
  std::unique_ptr<ReplayJobs> replays_;  // after tasks_: stopped and destroyed before it
  std::unique_ptr<ScheduleService> schedules_;
  std::shared_ptr<AddressGuard> guard_;  // completed once the port is bound
  std::unique_ptr<CallbackClient> client_;
  std::unique_ptr<DeliveryEngine> engine_;
  std::unique_ptr<FirePath> fire_path_;
  std::unique_ptr<HttpApi> http_;

  std::atomic<bool> ready_{false};
  std::atomic<bool> stop_requested_{false};
  std::mutex stop_mu_;
  std::condition_variable stop_cv_;
  std::thread serve_thread_;  // runs HttpApi::Serve
  std::mutex janitor_mu_;
  std::condition_variable janitor_cv_;
  bool janitor_stop_ = false;  // GUARDED_BY(janitor_mu_)
  std::thread janitor_;
  std::thread app_watcher_;    // shares janitor_mu_/janitor_stop_
};

}  // namespace tock
