#include "server/server.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "api/app_auth.h"
#include "api/http_api.h"
#include "auth/replay_guard.h"
#include "auth/signing.h"
#include "callback/address_guard.h"
#include "callback/callback_client.h"
#include "common/clock.h"
#include "common/fd_limit.h"
#include "common/log.h"
#include "common/repeat_log.h"
#include "common/thread_name.h"
#include "dispatch/delivery_engine.h"
#include "metrics/exposition.h"
#include "metrics/metrics.h"
#include "metrics/process.h"
#include "model/timer_id.h"
#include "schedules/fire_path.h"
#include "schedules/schedule_service.h"
#include "storage/due_leases.h"
#include "storage/open_store.h"
#include "storage/postgres/pg_connection.h"
#include "storage/store.h"
#include "tasks/app_registry.h"
#include "tasks/due_loader.h"
#include "tasks/lease_loader.h"
#include "tasks/replay_jobs.h"
#include "tasks/task_service.h"
#include "timeutil/time_zone.h"
#include "wheel/timer_service.h"

namespace tock {

TockServer::TockServer(Settings settings) : settings_(std::move(settings)) {}

TockServer::~TockServer() {
  Stop();
  if (janitor_.joinable()) janitor_.join();
  if (app_watcher_.joinable()) app_watcher_.join();
  if (http_) http_->Shutdown();
  if (serve_thread_.joinable()) serve_thread_.join();
  // When Run() did not (a failed start): the engine stops, then the client goes before the
  // engine, as in Run().
  if (engine_) engine_->Stop();
  client_.reset();
}

namespace {

// Logs a warning when `path` (the data directory, its database, the token file) can be
// read by anyone but its owner: secrets are in them.
void WarnIfReadableByOthers(const std::string& dir) {
  for (const std::string& path : {dir, dir + "/db", dir + "/admin.token"}) {
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) continue;
    if ((st.st_mode & 077) != 0) {
      char mode[8];
      std::snprintf(mode, sizeof mode, "%04o", static_cast<unsigned>(st.st_mode & 07777));
      log::Warn("data.readable_by_others",
                {{"path", path}, {"mode", std::string(mode)},
                 {"fix", "chmod -R go-rwx " + dir + " (it holds every application's secret)"}});
    }
  }
}

}  // namespace

Status TockServer::PrepareAdminToken() {
  if (!settings_.admin_token.empty()) return Status::Ok();
  std::string path = settings_.data_dir + "/admin.token";
  std::ifstream in(path);
  std::string token;
  if (in && std::getline(in, token) && !token.empty()) {
    if (token.size() < 32) {
      return Status::Invalid("admin token in " + path + " is " + std::to_string(token.size()) +
                             " characters; it must be at least 32 (delete the file to have "
                             "one generated)");
    }
    settings_.admin_token = token;
    log::Info("admin_token.loaded", {{"path", path}});
    return Status::Ok();
  }
  token = RandomAlnum(40);
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  if (fd < 0) return Status::Internal("cannot write " + path + ": " + strerror(errno));
  std::string line = token + "\n";
  bool ok = ::write(fd, line.data(), line.size()) == static_cast<ssize_t>(line.size()) &&
            ::fsync(fd) == 0;
  ::close(fd);
  if (!ok) return Status::Internal("cannot write " + path);
  settings_.admin_token = token;
  log::Info("admin_token.generated", {{"path", path}});
  return Status::Ok();
}

Status TockServer::Start() {
  const Clock& clock = SystemClock::Instance();
  log::SetFormat(settings_.log_format == "json" ? log::Format::kJson : log::Format::kLogfmt);
  log::SetLevel(settings_.log_level == "debug"  ? log::Level::kDebug
                : settings_.log_level == "warn" ? log::Level::kWarn
                : settings_.log_level == "error" ? log::Level::kError
                                                 : log::Level::kInfo);
  if (!InitCrypto()) return Status::Internal("libsodium failed to initialise");
  const FileLimit fds = RaiseFileLimit();
  log::Info("file_limit", {{"soft", fds.soft}, {"hard", fds.hard}, {"was", fds.before}});
  // Descriptors for the store and the loops first; connections and callbacks share the rest.
  const DescriptorPlan plan = PlanDescriptors(fds.soft, settings_.max_connections,
                                              settings_.max_in_flight,
                                              embedded_store());
  if (!plan.ok) return Status::Invalid(plan.why);
  if (plan.lowered) {
    log::Warn("file_limit.settings_lowered",
              {{"limit", fds.soft},
               {"max_connections", settings_.max_connections},
               {"max_connections_now", plan.max_connections},
               {"max_in_flight", settings_.max_in_flight},
               {"max_in_flight_now", plan.max_in_flight},
               {"fix", "raise the open-file limit (ulimit -n, LimitNOFILE=) or lower the settings"}});
    settings_.max_connections = plan.max_connections;
    settings_.max_in_flight = plan.max_in_flight;
  }
  ReserveDescriptorTable(PlannedDescriptors(plan, fds.soft));

  Result<TimeZone> tz = TimeZone::Load(settings_.time_zone);
  if (!tz.ok()) {
    return Status::Invalid("setting 'time-zone' = \"" + settings_.time_zone +
                           "\": " + tz.status().message());
  }

  // The data directory holds every application's secret: what tock creates is readable by
  // its owner only (0700 directories, 0600 files), whatever the umask it was started with.
  ::umask(077);
  std::error_code ec;
  const bool existed = std::filesystem::exists(settings_.data_dir, ec);
  std::filesystem::create_directories(settings_.data_dir, ec);
  if (ec) return Status::Internal("cannot create data directory " + settings_.data_dir + ": " + ec.message());
  if (!existed) ::chmod(settings_.data_dir.c_str(), 0700);
  WarnIfReadableByOthers(settings_.data_dir);
  StoreConfig store_config;
  store_config.kind = embedded_store() ? "rocksdb" : "postgresql";
  store_config.postgresql.url = settings_.store;
  store_config.data_dir = settings_.data_dir;
  store_config.rocksdb.max_open_files = static_cast<int>(plan.rocksdb_files);
  Result<std::unique_ptr<Store>> store = OpenStore(store_config);
  if (!store.ok()) return store.status();
  store_ = std::move(store).value();
  TOCK_RETURN_IF_ERROR(PrepareAdminToken());

  apps_ = std::make_unique<AppRegistry>(*store_);
  TOCK_RETURN_IF_ERROR(apps_->Load());
  SignedRequestPolicy policy;
  policy.loose_payload = settings_.loose_payload;
  replay_ = std::make_unique<ReplayGuard>(policy.window_s);
  auth_ = std::make_unique<AppAuthenticator>(*apps_, *replay_, *store_, clock, policy);
  TOCK_RETURN_IF_ERROR(auth_->LoadNonces());

  for (const std::string& w : settings_.warnings) log::Warn("setting.retired", {{"note", w}});
  Result<AddressGuard> guard = AddressGuard::Parse(settings_.callback_deny, settings_.callback_allow);
  if (!guard.ok()) return guard.status();  // settings checked it already
  guard_ = std::make_shared<AddressGuard>(std::move(guard).value());
  CallbackClientOptions co;
  co.loops = static_cast<int>(settings_.delivery_threads);
  co.max_connections_per_origin = static_cast<int>(settings_.max_connections_per_origin);
  co.max_connections = static_cast<int>(settings_.max_in_flight);
  co.proxy = settings_.callback_proxy;
  co.guard = guard_;
  client_ = std::make_unique<CallbackClient>(co);
  if (!client_->tls_status().ok()) {
    // http callbacks still work; https ones fail with a clear error per attempt.
    log::Warn("callback.tls_unavailable", {{"error", client_->tls_status().message()}});
  }
  // The timer thread hands fired task timers to the delivery engine and schedule timers to
  // the fire path, both created just below; the lambda reads them only once timers run.
  // Schedule timers come FirePath::kFireLeadMs early, so their message is written ahead.
  timers_ = std::make_unique<TimerService>(
      clock,
      [this](std::vector<TimerService::Fired>& batch) {
        std::vector<std::pair<uint64_t, int64_t>> fires;
        size_t tasks = 0;
        for (const TimerService::Fired& f : batch) {
          if (IsScheduleTimer(f.id)) {
            fires.emplace_back(f.id, f.due_wall_ms);
          } else {
            batch[tasks++] = f;
          }
        }
        batch.resize(tasks);
        if (!fires.empty()) fire_path_->Submit(fires);
        engine_->Submit(batch);
      },
      kScheduleTimerBit, FirePath::kFireLeadMs);
  if (auto* leases = dynamic_cast<DueLeases*>(store_.get())) {
    // A shared store: this node arms only the due entries it leases (tasks/lease_loader.h).
    LeaseLoaderOptions lo;
    lo.owner = NewLeaseOwner();
    lo.lease_ms = settings_.lease_ttl_s * 1000;
    lo.horizon_ms = settings_.wheel_horizon_s * 1000;
    loader_ = std::make_unique<LeaseLoader>(*leases, *timers_, clock, lo);
  } else {
    DueLoaderOptions lo;
    lo.horizon_ms = settings_.wheel_horizon_s * 1000;
    loader_ = std::make_unique<DueLoader>(*store_, *timers_, clock, lo);
  }
  TaskServiceOptions to;
  to.retention_ms = settings_.retention_days * 86400LL * 1000;
  tasks_ = std::make_unique<TaskService>(*store_, *loader_, clock, to);
  replays_ = std::make_unique<ReplayJobs>(*store_, *tasks_, clock);
  replays_->Start();
  ScheduleServiceOptions so;
  so.max_per_app = settings_.max_schedules_per_app;
  so.retention_ms = settings_.schedule_retention_days * 86400LL * 1000;
  so.misfire_grace_ms = settings_.misfire_grace_s * 1000;
  so.server_zone = *tz;
  schedules_ = std::make_unique<ScheduleService>(*store_, *tasks_, *loader_, clock, so);
  {
    std::vector<std::string> app_keys;
    for (const auto& app : apps_->List()) app_keys.push_back(app->app_key);
    TOCK_RETURN_IF_ERROR(schedules_->LoadCounts(app_keys));
  }
  DeliveryEngineOptions eo;
  eo.max_in_flight = static_cast<int>(settings_.max_in_flight);
  eo.max_per_app = static_cast<int>(settings_.max_per_app);
  eo.grace_ms = settings_.shutdown_grace_s * 1000;
  eo.auto_pause_after = static_cast<int>(settings_.auto_pause_after);
  eo.auto_pause_window_ms = settings_.auto_pause_window_s * 1000;
  eo.probe_interval_ms = settings_.auto_pause_probe_s * 1000;
  engine_ = std::make_unique<DeliveryEngine>(*tasks_, *apps_, *client_, *loader_, clock, eo);
  fire_path_ = std::make_unique<FirePath>(*schedules_);

  HttpApiOptions ho;
  ho.host = settings_.host;
  ho.port = settings_.port;
  ho.threads = static_cast<int>(settings_.http_threads);
  ho.loops = static_cast<int>(settings_.http_loops);
  ho.max_connections = static_cast<size_t>(settings_.max_connections);
  ho.max_connections_per_ip = static_cast<size_t>(settings_.max_connections_per_ip);
  ho.max_buffered_bytes = static_cast<uint64_t>(settings_.max_buffered_bytes);
  ho.auth_failures_per_minute = static_cast<int>(settings_.auth_failure_limit);
  ho.max_body_bytes = static_cast<size_t>(settings_.max_body_bytes);
  ho.admin_token = settings_.admin_token;
  ho.max_delay_ms = settings_.max_delay_days * 86400LL * 1000;
  ApiServices services{*apps_, *tasks_, *auth_, clock, *tz,
                       [this] { return ready_.load(); }, [this] { return MetricsText(); },
                       schedules_.get()};
  services.store = store_.get();
  services.guard = guard_.get();
  services.app_changed = [this](const std::string& key) { engine_->AppChanged(key); };
  services.delivery_view = [this](const std::string& key) { return engine_->View(key); };
  services.stats = [this] { return Stats(); };
  services.replays = replays_.get();
  http_ = std::make_unique<HttpApi>(services, ho);
  TOCK_RETURN_IF_ERROR(http_->Bind());
  // A callback to tock itself would loop: its own listen address and port (as bound, so
  // --listen :0 works) are always denied. Before the engine starts, so no attempt reads it yet.
  guard_->DenyEndpoint(settings_.host, http_->port());
  log::Info("listening", {{"addr", settings_.host + ":" + std::to_string(http_->port())},
                          {"store", embedded_store() ? "rocksdb" : pg::RedactUrl(settings_.store)},
                          {"data", settings_.data_dir},
                          {"config", settings_.config_file.empty() ? "none"
                                                                   : settings_.config_file}});

  engine_->Start();
  fire_path_->Start();
  timers_->Start();
  TOCK_RETURN_IF_ERROR(loader_->LoadInitial());
  loader_->Start();
  janitor_ = std::thread([this] {
    NameThisThread("tock-janitor");
    JanitorLoop();
  });
  if (dynamic_cast<DueLeases*>(store_.get()) != nullptr) {
    app_watcher_ = std::thread([this] {
      NameThisThread("tock-app-watch");
      AppWatchLoop();
    });
  }
  ready_.store(true);
  log::Info("ready", {{"apps", static_cast<uint64_t>(apps_->size())},
                      {"timers", static_cast<uint64_t>(timers_->Size())}});
  return Status::Ok();
}

void TockServer::Run() {
  serve_thread_ = std::thread([this] {
    NameThisThread("tock-http-0");
    http_->Serve();
  });
  {
    std::unique_lock<std::mutex> l(stop_mu_);
    stop_cv_.wait(l, [this] { return stop_requested_.load(); });
  }
  // Stop() has closed the listener and the idle connections. Let running handlers finish
  // and their answers go out, then shut down in reverse order of start.
  ready_.store(false);
  log::Info("stopping");
  if (!http_->WaitForHandlers(10'000)) log::Warn("http.handlers_still_running");
  http_->Shutdown();
  replays_->Stop();  // between two chunks: what it replayed is written
  loader_->Stop();
  timers_->Stop();
  fire_path_->Stop();
  engine_->Stop();
  {
    std::lock_guard<std::mutex> l(janitor_mu_);
    janitor_stop_ = true;
  }
  janitor_cv_.notify_all();
  if (janitor_.joinable()) janitor_.join();
  if (app_watcher_.joinable()) app_watcher_.join();
  // The client before the engine: its loops may still run work the engine posted (a rate
  // timer, a pump) and answer attempts aborted at its stop, all of which call the engine.
  client_.reset();  // every connection closes
  engine_.reset();
  fire_path_.reset();
  schedules_.reset();
  replays_.reset();
  tasks_.reset();
  loader_.reset();
  timers_.reset();
  store_.reset();  // flushes and closes RocksDB
  log::Info("stopped");
}

void TockServer::Stop() {
  {
    std::lock_guard<std::mutex> l(stop_mu_);
    stop_requested_.store(true);
  }
  stop_cv_.notify_all();
  if (http_) http_->Stop();
}

int TockServer::port() const { return http_ ? http_->port() : -1; }

namespace {

// Logs a repeating failure of a loop's call through its RepeatLog (once, then every 30 s).
template <typename T>
void LogOutcome(RepeatLog& log, const Result<T>& r) {
  const int64_t now = SystemClock::Instance().MonoMs();
  if (r.ok()) {
    log.Succeeded(now);
  } else {
    log.Failed(r.status().message(), now);
  }
}

}  // namespace

void TockServer::AppWatchLoop() {
  // A database outage fails every refresh: logged once, then every 30 s, and at recovery.
  RepeatLog refresh_log("apps.refresh_failed", log::Level::kWarn);
  std::unique_lock<std::mutex> l(janitor_mu_);
  while (!janitor_stop_) {
    janitor_cv_.wait_for(l, std::chrono::seconds(1), [this] { return janitor_stop_; });
    if (janitor_stop_) break;
    l.unlock();
    Result<std::vector<std::string>> changed = apps_->Refresh();
    LogOutcome(refresh_log, changed);
    if (changed.ok()) {
      for (const std::string& key : *changed) engine_->AppChanged(key);
    }
    l.lock();
  }
}

void TockServer::JanitorLoop() {
  RepeatLog retention_log("retention.sweep_failed", log::Level::kWarn);
  RepeatLog schedule_log("schedule.sweep_failed", log::Level::kWarn);
  std::unique_lock<std::mutex> l(janitor_mu_);
  while (!janitor_stop_) {
    janitor_cv_.wait_for(l, std::chrono::seconds(10), [this] { return janitor_stop_; });
    if (janitor_stop_) break;
    l.unlock();
    LogOutcome(retention_log, tasks_->SweepRetired(10000));
    LogOutcome(schedule_log, schedules_->SweepExpired(10000));
    auth_->ExpireNonces();
    l.lock();
  }
}

// GET /admin/stats: the same figures /metrics shows, as values (api/http_api.h ServerStats).
// The counters and the lateness histogram are looked up in the process registry by name
// (registering a name again returns the existing metric).
ServerStats TockServer::Stats() {
  ServerStats s;
  s.now_ms = SystemClock::Instance().WallMs();
  s.started_ms = static_cast<int64_t>(metrics::ReadProcessFigures().start_time_s * 1000);
  metrics::Registry& r = metrics::Process();
  auto& deliveries = r.AddCounterFamily("tock_deliveries_total",
                                        "Callback attempts recorded, by outcome.", {"outcome"});
  const char* outcomes[5] = {"success", "failure", "timeout", "error", "gone"};
  for (int i = 0; i < 5; ++i) s.deliveries[i] = deliveries.With({outcomes[i]}).value();
  auto& lateness = r.AddHistogramFamily(
      "tock_delivery_lateness_seconds",
      "Attempt start minus due time; attempt=first: a task's first attempt, retry: later ones.",
      {"attempt"}, metrics::LatenessBuckets());
  const metrics::Histogram::Snapshot first = lateness.With({"first"}).Snap();
  const metrics::Histogram::Snapshot retry = lateness.With({"retry"}).Snap();
  s.lateness_bounds = metrics::LatenessBuckets();
  s.lateness_cumulative.resize(first.cumulative.size());
  for (size_t i = 0; i < first.cumulative.size(); ++i) {
    s.lateness_cumulative[i] =
        first.cumulative[i] + (i < retry.cumulative.size() ? retry.cumulative[i] : 0);
  }
  const StoreStats stored = store_->Stats();
  s.waiting = stored.due_entries;
  s.tasks_stored = stored.tasks;
  s.in_flight = engine_->in_flight();
  s.queued = engine_->queued();
  s.wheel_timers = timers_->Size();
  s.apps = engine_->Views();
  return s;
}

// Metrics sampled at scrape time from the parts this server owns (gauges of live objects);
// the counters and histograms of every module come from the process registry
// (metrics/metrics.h): tasks (tasks/task_metrics.h), deliveries (dispatch/dispatcher.cc),
// schedules (schedules/schedule_service.cc), HTTP (api/http_api.cc).
// Tasks by state: waiting is tock_due_index_entries (an estimate; storage keeps no exact
// count and in-memory gauges would drift across restarts); finished states are counters of
// transitions, tock_tasks_finished_total{state}.
std::string TockServer::MetricsText() {
  metrics::TextWriter w;
  metrics::Process().WriteTo(w);
  auto gauge = [&w](const char* name, const char* help, uint64_t v) {
    w.Family(name, help, metrics::Type::kGauge);
    w.Sample(name, {}, v);
  };
  gauge("tock_wheel_timers", "Timers in the timing wheel.", timers_->Size());
  const StoreStats ss = store_->Stats();
  gauge("tock_due_index_entries",
        "Entries in the due index: waiting tasks and schedule timers (RocksDB estimate).",
        ss.due_entries);
  gauge("tock_tasks_stored", "Task records in storage, any state (RocksDB estimate).",
        ss.tasks);
  gauge("tock_dispatch_queued",
        "Fired tasks waiting in memory for room (server, application window, rate, hold).",
        engine_->queued());
  gauge("tock_callbacks_in_flight_total", "Callback attempts in flight, all applications.",
        engine_->in_flight());
  const std::vector<AppDeliveryView> views = engine_->Views();
  w.Family("tock_callbacks_in_flight", "Callback attempts in flight, by application key.",
           metrics::Type::kGauge);
  for (const AppDeliveryView& v : views) {
    w.Sample("tock_callbacks_in_flight", {{"app", v.app_key}}, static_cast<int64_t>(v.in_flight));
  }
  w.Family("tock_delivery_window", "Attempts an application may have in flight now (adaptive).",
           metrics::Type::kGauge);
  for (const AppDeliveryView& v : views) {
    w.Sample("tock_delivery_window", {{"app", v.app_key}}, static_cast<int64_t>(v.window));
  }
  w.Family("tock_app_paused", "1 while an application's deliveries are paused.",
           metrics::Type::kGauge);
  for (const auto& app : apps_->List()) {
    w.Sample("tock_app_paused", {{"app", app->app_key}},
             static_cast<int64_t>(app->pause != PauseKind::kNone ? 1 : 0));
  }
  const CallbackClientStats cs = client_->stats();
  gauge("tock_callback_connections_open", "Open callback connections (in use or idle).",
        cs.open_connections);
  gauge("tock_applications", "Registered applications.", apps_->size());
  gauge("tock_storage_healthy", "1 while storage accepts writes; 0 while it refuses them.",
        store_->healthy() ? 1 : 0);
  if (embedded_store()) {  // on PostgreSQL they would only be zeros
    gauge("tock_rocksdb_sst_bytes", "Size of RocksDB's table files.", ss.table_bytes);
    gauge("tock_rocksdb_memtable_bytes", "Size of RocksDB's memtables.", ss.memtable_bytes);
    gauge("tock_rocksdb_pending_compaction_bytes",
          "Bytes RocksDB estimates compaction must rewrite.", ss.pending_compaction_bytes);
    gauge("tock_rocksdb_write_stopped", "1 while RocksDB stops writes (write stall).",
          ss.writes_stopped ? 1 : 0);
  }
  metrics::ProcessFigures pf = metrics::ReadProcessFigures();
  gauge("tock_process_resident_memory_bytes", "Resident memory of the process.",
        pf.resident_bytes);
  w.Family("tock_process_start_time_seconds", "Start time of the process (Unix seconds).",
           metrics::Type::kGauge);
  w.Sample("tock_process_start_time_seconds", {}, pf.start_time_s);
  gauge("tock_process_open_fds", "Open file descriptors.", pf.open_fds);
  return w.Take();
}

}  // namespace tock
