#include "tasks/lease_loader.h"

#include <sodium.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <utility>

#include "common/log.h"
#include "common/thread_name.h"
#include "storage/due_leases.h"
#include "wheel/timer_service.h"

namespace tock {

std::string NewLeaseOwner() {
  char host[64] = {0};
  if (gethostname(host, sizeof(host) - 1) != 0) host[0] = '\0';
  uint32_t r = randombytes_random();
  char tail[16];
  snprintf(tail, sizeof(tail), "%08x", r);
  return std::string(host) + "/" + std::to_string(getpid()) + "/" + tail;
}

LeaseLoader::LeaseLoader(DueLeases& leases, TimerService& timers, const Clock& clock,
                         LeaseLoaderOptions opts)
    : leases_(leases), timers_(timers), clock_(clock), opts_(std::move(opts)) {
  last_renew_ok_mono_.store(clock_.MonoMs());
}

LeaseLoader::~LeaseLoader() {
  Stop();
  Status released = leases_.ReleaseLeases(opts_.owner);
  if (!released.ok()) log::Warn("loader.release_failed", {{"error", released.message()}});
}

bool LeaseLoader::holds_leases() const {
  // A margin of a fifth of the lease: stop attempting before another node may start.
  return clock_.MonoMs() - last_renew_ok_mono_.load() < opts_.lease_ms - opts_.lease_ms / 5;
}

void LeaseLoader::Arm(uint64_t /*id*/, int64_t due_ms) {
  // Only an entry due before the next regular pass could come late (that pass is at most
  // interval_ms away, plus its own time) wakes the loader. A later one waits for that pass,
  // which claims everything due within the horizon: a claim reads every due row before its
  // horizon, and a claim after every group commit, back to back, took most of a core of
  // PostgreSQL while single creates came in (two nodes then enqueued half as fast as one).
  const int64_t wake_before_ms = std::min(opts_.horizon_ms, 2 * opts_.interval_ms);
  if (due_ms >= clock_.WallMs() + wake_before_ms) return;  // a regular pass claims it
  {
    std::lock_guard<std::mutex> l(run_mu_);
    wake_ = true;
  }
  run_cv_.notify_one();
}

void LeaseLoader::Disarm(uint64_t id) { timers_.Cancel(id); }

void LeaseLoader::Rewind(uint64_t id, int64_t due_ms) {
  std::lock_guard<std::mutex> l(rewind_mu_);
  if (!rewind_ || due_ms < rewind_ms_ || (due_ms == rewind_ms_ && id < rewind_id_)) {
    rewind_ = true;
    rewind_ms_ = due_ms;
    rewind_id_ = id;
  }
}

Result<size_t> LeaseLoader::LoadOnce() {
  std::lock_guard<std::mutex> scan(scan_mu_);
  const int64_t now_mono = clock_.MonoMs();
  // Every third of the lease; and on every pass while the leases have lapsed (the database
  // was unreachable): the node attempts nothing until a renewal succeeds, so waiting for the
  // next third would hold its deliveries back for seconds after the database returns.
  const bool held_before = holds_leases();
  if (!held_before || now_mono - last_renew_try_mono_ >= opts_.lease_ms / 3) {
    last_renew_try_mono_ = now_mono;
    Result<DueLeases::Renewal> renewed = leases_.RenewLeases(opts_.owner, opts_.lease_ms);
    if (renewed.ok()) {
      last_renew_ok_mono_.store(now_mono);
      const bool afresh = *renewed == DueLeases::Renewal::kTakenAfresh;
      // Afresh on the first pass is the normal start; later it means the lease ran out (this
      // node's renewals failed for a whole lease) and another node took it over: every
      // entry this node held was freed, and those still in its wheel may be attempted by
      // their new holder too (the documented limitation in lease_loader.h).
      if (afresh && started_) {
        log::Error("loader.lease_lost", {{"lease_owner", opts_.owner}});
      } else if (!held_before) {
        log::Info("loader.leases_renewed", {{"lease_owner", opts_.owner}});
      }
      started_ = true;
    } else if (held_before && !holds_leases()) {
      log::Error("loader.leases_lapsed", {{"error", renewed.status().message()}});
    }
  }
  std::vector<TimerService::Fired> batch;
  bool rewind;
  int64_t rewind_ms;
  uint64_t rewind_id;
  {
    std::lock_guard<std::mutex> l(rewind_mu_);
    rewind = rewind_;
    rewind_ms = rewind_ms_;
    rewind_id = rewind_id_;
    rewind_ = false;
  }
  if (rewind) {
    Status listed = leases_.ListLeased(opts_.owner, rewind_ms, rewind_id,
                                       [&](int64_t ms, uint64_t id) { batch.push_back({id, ms}); });
    if (!listed.ok()) {
      Rewind(rewind_id, rewind_ms);  // again on the next pass
      return listed;
    }
  }
  // While a backlog drains, claim more only when the wheel has room.
  size_t room = opts_.max_batch;
  if (!caught_up_.load()) {
    size_t in_wheel = timers_.Size();
    room = in_wheel >= opts_.max_batch ? 0 : opts_.max_batch - in_wheel;
  }
  size_t claimed = 0;
  Status s = Status::Ok();
  if (room > 0) {
    Result<int64_t> next = leases_.ClaimDue(opts_.owner, clock_.WallMs() + opts_.horizon_ms,
                                            room, [&](int64_t ms, uint64_t id) {
                                              batch.push_back({id, ms});
                                              ++claimed;
                                            });
    s = next.status();
    if (next.ok()) next_takeover_ms_.store(*next);
  }
  if (!batch.empty()) timers_.ScheduleBatch(batch);
  if (!s.ok()) return s;
  caught_up_.store(room > 0 && claimed < room);
  return batch.size();
}

Status LeaseLoader::LoadInitial() {
  Result<size_t> n = LoadOnce();
  if (!n.ok()) return n.status();
  log::Info("loader.initial", {{"timers", static_cast<uint64_t>(*n)},
                               {"horizon_ms", opts_.horizon_ms},
                               {"lease_owner", opts_.owner},
                               {"caught_up", caught_up_.load()}});
  return Status::Ok();
}

void LeaseLoader::Start() {
  std::lock_guard<std::mutex> l(run_mu_);
  if (thread_.joinable()) return;
  stop_ = false;
  thread_ = std::thread([this] {
    NameThisThread("tock-leases");
    Run();
  });
}

void LeaseLoader::Stop() {
  {
    std::lock_guard<std::mutex> l(run_mu_);
    stop_ = true;
  }
  run_cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

int64_t LeaseLoader::PassWaitMs() const {
  constexpr int64_t kBacklogPassMs = 50;  // also the soonest a takeover pass comes again
  if (!caught_up_.load()) return kBacklogPassMs;
  const int64_t takeover = next_takeover_ms_.load();
  if (takeover == DueLeases::kNoOtherLease) return opts_.interval_ms;
  // 1 ms after the other lease runs out (it must be *past*, lease_until_ms < now).
  return std::clamp<int64_t>(takeover + 1, kBacklogPassMs, opts_.interval_ms);
}

void LeaseLoader::Run() {
  std::unique_lock<std::mutex> l(run_mu_);
  while (!stop_) {
    wake_ = false;
    l.unlock();
    Result<size_t> n = LoadOnce();
    if (n.ok()) {
      claim_log_.Succeeded(clock_.MonoMs());
    } else {
      claim_log_.Failed(n.status().message(), clock_.MonoMs());
    }
    l.lock();
    auto wait = std::chrono::milliseconds(PassWaitMs());
    run_cv_.wait_for(l, wait, [this] { return stop_ || wake_; });
  }
}

}  // namespace tock
