// LeaseLoader: DueLoader's counterpart on a shared store (PostgreSQL), where many nodes read
// one due index and each entry must be attempted by one node at a time.
//
// Instead of a watermark over the whole index, the loader *leases* entries (DueLeases): a
// pass claims the entries due before now + horizon that no node holds and hands them to the
// wheel; only leased entries are ever in a node's wheel. The node's one lease (not one per
// entry) is renewed every lease/3, one row whatever it holds; a node that dies stops
// renewing, and another node's pass takes its lease over 1 ms after it runs out (each claim
// learns when the earliest other lease ends: PassWaitMs), so within lease_ms of its last
// renewal plus a pass's own time; it frees the dead node's entries, claims them and attempts
// them again (same webhook-id: at-least-once).
//
// Arm() does not schedule directly: a new entry is nobody's until claimed. For an entry due
// within two pass intervals, Arm() wakes the loader, whose next pass (at once, coalescing a
// burst of Arms into one query) claims it; a later entry is claimed by a regular pass, at
// least one interval before it is due.
// The destructor releases this node's leases, so a clean shutdown hands its entries over at
// once; the server destroys the loader after every attempt's outcome is written (else
// another node could take an entry whose attempt just ended and attempt it again).
//
// Limitation (written down, not hidden): if renewals fail for longer than the lease (the
// database unreachable from this node only), other nodes may take entries this node still
// has in its wheel, and both may attempt them once. holds_leases() turns false then, and
// the delivery path skips attempts until renewals succeed again.
//
// Thread-safety: Arm/Disarm/Rewind from any thread. Start/Stop from the owner. One loader
// thread, which alone calls the store's lease methods.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "common/clock.h"
#include "common/repeat_log.h"
#include "common/status.h"
#include "storage/due_leases.h"
#include "tasks/due_source.h"

namespace tock {

class TimerService;

struct LeaseLoaderOptions {
  std::string owner;                // unique per process start (NewLeaseOwner)
  int64_t lease_ms = 10'000;        // --lease-ttl
  int64_t horizon_ms = 60'000;      // how far ahead entries are claimed
  int64_t interval_ms = 1'000;      // a pass at least this often
  size_t max_batch = 100'000;       // entries claimed per pass
};

// "host/pid/random": who holds a lease, readable by an operator looking at the table.
std::string NewLeaseOwner();

class LeaseLoader final : public DueSource {
 public:
  LeaseLoader(DueLeases& leases, TimerService& timers, const Clock& clock,
              LeaseLoaderOptions opts);
  // Releases this node's leases. REQUIRES: no attempt is in flight whose outcome is not
  // yet written.
  ~LeaseLoader() override;
  LeaseLoader(const LeaseLoader&) = delete;
  LeaseLoader& operator=(const LeaseLoader&) = delete;

  Status LoadInitial() override;
  void Start() override;
  void Stop() override;  // the thread only; the leases stay held until destruction

  // REQUIRES: the due entry (due_ms, id) is already written to the store.
  void Arm(uint64_t id, int64_t due_ms) override;
  void Disarm(uint64_t id) override;
  // Hands every entry this node holds from (due_ms, id) on to the wheel again on the next
  // pass (see DueSource::Rewind).
  void Rewind(uint64_t id, int64_t due_ms) override;

  // One pass (renew when due, claim); returns entries handed over.
  Result<size_t> LoadOnce();
  bool caught_up() const override { return caught_up_.load(); }
  // False while this node's leases may have run out (renewals failing for too long).
  bool holds_leases() const;
  bool may_attempt() const override { return holds_leases(); }
  const std::string& owner() const { return opts_.owner; }

 private:
  void Run();
  // How long the loader thread sleeps after a pass: the pass interval, less while a backlog
  // drains or when another node's lease runs out sooner (a dead node is then taken over
  // within lease_ms + a few ms of its last renewal, not lease_ms + interval_ms).
  int64_t PassWaitMs() const;

  DueLeases& leases_;
  TimerService& timers_;
  const Clock& clock_;
  const LeaseLoaderOptions opts_;

  std::mutex scan_mu_;                 // one pass at a time
  int64_t last_renew_try_mono_ = 0;    // GUARDED_BY(scan_mu_)
  bool started_ = false;               // GUARDED_BY(scan_mu_): a renewal has succeeded
  std::atomic<int64_t> last_renew_ok_mono_{0};

  // A pending rewind: the next pass hands every entry this node holds from this key on to
  // the wheel again (the same meaning as DueLoader's; entries in flight are refused again
  // by the task service, which knows what this node is attempting).
  std::mutex rewind_mu_;
  bool rewind_ = false;       // GUARDED_BY(rewind_mu_)
  int64_t rewind_ms_ = 0;     // GUARDED_BY(rewind_mu_)
  uint64_t rewind_id_ = 0;    // GUARDED_BY(rewind_mu_)

  std::atomic<bool> caught_up_{false};
  // From the last claim: ms until the earliest other node's lease runs out, or
  // DueLeases::kNoOtherLease.
  std::atomic<int64_t> next_takeover_ms_{DueLeases::kNoOtherLease};
  std::mutex run_mu_;
  std::condition_variable run_cv_;
  bool wake_ = false;  // GUARDED_BY(run_mu_): an Arm wants a pass now
  bool stop_ = false;  // GUARDED_BY(run_mu_)
  // The loader thread's: a database outage fails every pass; logged once, then every 30 s.
  RepeatLog claim_log_{"loader.claim_failed", log::Level::kError};
  std::thread thread_;
};

}  // namespace tock
