// DueSource: what moves due entries from the store into this node's timing wheel, as the
// code that writes due entries sees it. Two implementations:
//   DueLoader   (tasks/due_loader.h)    the embedded store: one node owns the whole index;
//                                       a watermark streams the near horizon into the wheel
//   LeaseLoader (tasks/lease_loader.h)  a shared store: nodes lease the entries they arm
// server/ builds the one that fits the store; the task and schedule services, the committer,
// the recorder and the delivery engine only ever see this interface.
//
// Thread-safety: Arm, Disarm, Rewind and may_attempt from any thread; LoadInitial, Start and
// Stop from the owner.
#pragma once

#include <cstdint>

#include "common/status.h"

namespace tock {

class DueSource {
 public:
  virtual ~DueSource() = default;

  // One synchronous pass at start-up.
  virtual Status LoadInitial() = 0;
  virtual void Start() = 0;
  virtual void Stop() = 0;

  // The due entry (due_ms, id) has been written: put it in the wheel if it is this node's
  // and near. REQUIRES: the write is done.
  virtual void Arm(uint64_t id, int64_t due_ms) = 0;
  // The entry for id is gone: forget its timer.
  virtual void Disarm(uint64_t id) = 0;
  // The entry is still in the store but its timer was used up without a recorded outcome
  // (the write failed): hand it over again later.
  virtual void Rewind(uint64_t id, int64_t due_ms) = 0;

  // False when this node must not start attempts now (a shared store whose leases may have
  // run out); the caller rewinds the entry instead.
  virtual bool may_attempt() const { return true; }
  virtual bool caught_up() const = 0;
};

}  // namespace tock
