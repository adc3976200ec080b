// DueLeases: the part of a shared store (PostgreSQL) that decides which node arms which due
// entry. The embedded store has no such thing: one process owns the whole database.
//
// A node holds the due entries it arms under one lease of its own (per node, not per
// entry): while it renews that lease no other node takes its entries. Once it stops (a
// crash, a lost network) the lease runs out, and the next node to claim takes it over: it
// frees every entry the lease covered, at once, and they are claimed like new ones.
// Renewing costs the same however many entries the node holds. Lease times are the
// database's clock, so the nodes' clocks need not agree. A node's owner string is unique per
// process start, so a restarted node never mistakes its previous life's leases for its own.
//
// Thread-safety: every method may be called from any thread.
#pragma once

#include <cstdint>
#include <functional>
#include <string_view>

#include "common/status.h"

namespace tock {

class DueLeases {
 public:
  virtual ~DueLeases() = default;
  // Gives to `owner` up to `limit` entries due before until_ms that no live node holds (none,
  // or a node whose lease ran out), and calls fn(due_ms, id) for each, in no particular
  // order. Claims nothing unless owner's own lease is live (RenewLeases first).
  // Returns how many ms from now the earliest other node's lease runs out (0 if one already
  // has), or kNoOtherLease: when a claim could next take a dead node over, so that a node
  // can pass then instead of up to a pass interval later.
  static constexpr int64_t kNoOtherLease = -1;
  virtual Result<int64_t> ClaimDue(std::string_view owner, int64_t until_ms, size_t limit,
                                   const std::function<void(int64_t, uint64_t)>& fn) = 0;
  enum class Renewal {
    kRenewed,     // the lease was owner's still (even if it had run out, nobody took it
                  // over): it now runs lease_ms from now, over every entry owner held
    kTakenAfresh  // owner had none: the first call, or another node took it over and freed
                  // every entry owner held (some may be other nodes' by now). A new lease
                  // runs lease_ms from now, over nothing yet
  };
  // Extends (or takes) owner's lease to lease_ms from now: one row, whatever owner holds.
  virtual Result<Renewal> RenewLeases(std::string_view owner, int64_t lease_ms) = 0;
  // Calls fn(due_ms, id) for each entry `owner` holds with (due_ms, id) >= (from_ms,
  // from_id), in (due_ms, id) order: what a node hands to its wheel again after a rewind.
  virtual Status ListLeased(std::string_view owner, int64_t from_ms, uint64_t from_id,
                            const std::function<void(int64_t, uint64_t)>& fn) = 0;
  // Gives up every lease `owner` holds, so other nodes take them at once.
  virtual Status ReleaseLeases(std::string_view owner) = 0;
};

}  // namespace tock
