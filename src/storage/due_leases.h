// DueLeases: the part of a shared store (PostgreSQL) that decides which node arms which due
// entry. The embedded store has no such thing: one process owns the whole database.
//
// A node leases the due entries it arms; while it renews its leases no other node takes
// them, and once it stops (a crash, a lost network) they run out and are anyone's. Lease
// times are the database's clock, so the nodes' clocks need not agree. A node's owner
// string is unique per process start, so a restarted node never mistakes its previous
// life's leases for its own.
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
  // Leases to `owner`, for lease_ms, up to `limit` entries due before until_ms that no node
  // holds, and calls fn(due_ms, id) for each, in no particular order.
  virtual Status ClaimDue(std::string_view owner, int64_t until_ms, size_t limit,
                          int64_t lease_ms,
                          const std::function<void(int64_t, uint64_t)>& fn) = 0;
  // Extends every lease `owner` holds to lease_ms from now; returns how many it holds.
  virtual Result<uint64_t> RenewLeases(std::string_view owner, int64_t lease_ms) = 0;
  // Calls fn(due_ms, id) for each entry `owner` holds with (due_ms, id) >= (from_ms,
  // from_id), in (due_ms, id) order: what a node hands to its wheel again after a rewind.
  virtual Status ListLeased(std::string_view owner, int64_t from_ms, uint64_t from_id,
                            const std::function<void(int64_t, uint64_t)>& fn) = 0;
  // Gives up every lease `owner` holds, so other nodes take them at once.
  virtual Status ReleaseLeases(std::string_view owner) = 0;
};

}  // namespace tock
