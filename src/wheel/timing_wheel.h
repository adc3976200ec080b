// TimingWheel: a hierarchical timing wheel with 1 ms ticks (Varghese & Lauck; the layout of
// Linux's classic timer wheel, the cascading of Kafka's TimingWheel). A pure data structure:
// no threads, no I/O, no clock reads; time moves only when the caller says so (Advance).
//
// Owned by TimerService and used only on its timer thread. Not thread-safe: callers must
// serialise every call, const ones included.
//
// Layout
//   Time is counted in ticks (1 tick = 1 ms) from the wheel's origin, the now_ms given to the
//   constructor. cur_ is the next tick not yet processed; now_ms() = origin + cur_ - 1.
//   Four levels of 256 slots. Level k slot s holds timers whose tick e has
//   (e >> 8k) & 255 == s; a timer goes to the lowest level k whose span covers its distance:
//     level 0: e - cur_ < 2^8    1 ms slots        (256 ms)
//     level 1: e - cur_ < 2^16   256 ms slots      (65.5 s)
//     level 2: e - cur_ < 2^24   65.5 s slots      (4.66 h)
//     level 3: e - cur_ < 2^32   4.66 h slots      (49.7 days)
//     overflow list: anything further. Deadlines <= now_ms() go to the due list instead.
//   Each slot is an intrusive doubly linked list of pooled nodes (indices, not pointers), so
//   schedule and cancel are O(1); an open-addressing id -> node index finds a timer by id.
//   A 256-bit occupancy bitmap per level lets Advance jump over empty slots.
//
// Invariants
//   - Every timer is in exactly one list; the id index maps its id to its node.
//   - Level 0 slot s holds only timers with tick cur_ + ((s - cur_) & 255): a level-0 slot
//     holds one deadline, and it fires when cur_ reaches it.
//   - A level k >= 1 slot s is "cascaded" (its timers re-placed relative to the then-current
//     tick) at the first tick c >= cur_ with c % 2^8k == 0 and (c >> 8k) & 255 == s. Every
//     timer in it has a tick >= c, so a cascade is never late.
//   - The overflow list is re-placed at ticks that are multiples of 2^32: the first one at
//     which its earliest timer fits in the wheel. overflow_min_tick_ is a lower bound of its
//     earliest tick (a cancel may leave it stale, which only makes a re-placement early).
//     Each overflow timer's tick lies beyond the next multiple of 2^32.
//   - Every timer in the wheel (not in the due list) has a deadline > now_ms().
//   - A bitmap bit is set iff its slot's list is non-empty.
//
// Worked example (origin 0, so ticks equal ms; the wheel has just been created, cur_ = 1)
//   Schedule(7, 70'000 ms): distance 69'999 >= 2^16 -> level 2, slot (70'000 >> 16) & 255 = 1.
//   Advance(100'000) jumps straight to the first occupied event, tick 65'536 (= 1 << 16, the
//   tick at which level 2 slot 1 cascades); there the timer is re-placed relative to tick
//   65'536: distance 4'464 -> level 1, slot (70'000 >> 8) & 255 = 273 & 255 = 17.
//   Next event: tick 273 << 8 = 69'888, where level 1 slot 17 cascades: distance 112 ->
//   level 0, slot 70'000 & 255 = 112.
//   Next event: tick 70'000, level 0 slot 112 fires; id 7 is appended to *fired. Ticks between
//   events are never visited one by one. NextWakeMs() right after the Schedule returns
//   65'536, a cascade point: earlier than the deadline, never later.
//
// Range: deadlines more than 2^62 ms (~146 million years) past the origin never fire, and
// Advance never moves the wheel beyond that.
//
// Memory: 40 bytes per timer in the node pool plus 8-16 bytes in the id index (4-byte
// entries kept at most half full), plus ~9 KiB fixed. The pool and index keep their peak size.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

namespace tock {

struct ExpiredTimer {
  uint64_t id;
  int64_t deadline_ms;
  int64_t tag;
};

class TimingWheel {
 public:
  // Wheel time starts at now_ms (a monotonic millisecond count).
  explicit TimingWheel(int64_t now_ms);
  TimingWheel(const TimingWheel&) = delete;
  TimingWheel& operator=(const TimingWheel&) = delete;

  // Inserts the timer for id, or replaces (moves) the existing timer with that id; the tag
  // is handed back when it fires. A deadline_ms <= now_ms() fires on the next Advance().
  // O(1) (amortised: the pool and index grow by doubling).
  void Schedule(uint64_t id, int64_t deadline_ms, int64_t tag);

  // Removes the timer for id. Returns false if id had no timer. O(1).
  bool Cancel(uint64_t id);

  // First appends every timer whose deadline was already <= now_ms() when scheduled, then
  // moves wheel time to now_ms (never backwards: an earlier or equal now_ms moves nothing)
  // and appends every timer with deadline <= now_ms, cascading higher levels down as
  // needed. Timers are appended in deadline order (ties in the order they were placed).
  // Cost: O(fired + cascaded + number of occupied slots passed), independent of the gap.
  // REQUIRES: fired != nullptr.
  void Advance(int64_t now_ms, std::vector<ExpiredTimer>* fired);

  // Earliest time at which Advance() could fire something; INT64_MAX when empty. May be
  // earlier than the true next deadline (a cascade point), never later; now_ms() when a
  // timer is already due. O(1).
  int64_t NextWakeMs() const;

  size_t size() const { return count_; }
  int64_t now_ms() const;

 private:
  static constexpr int kLevels = 4;
  static constexpr int kSlotBits = 8;
  static constexpr uint32_t kSlots = 1u << kSlotBits;
  static constexpr uint16_t kOverflowList = kLevels * kSlots;
  static constexpr uint16_t kDueList = kOverflowList + 1;
  static constexpr size_t kNumLists = kDueList + 1;
  static constexpr int kOverflowBits = kLevels * kSlotBits;  // 32
  static constexpr uint32_t kNil = UINT32_MAX;
  static constexpr int kChunkBits = 10;  // nodes are allocated 1024 at a time
  static constexpr uint32_t kChunkSize = 1u << kChunkBits;

  struct Node {
    uint64_t id;
    int64_t deadline_ms;
    int64_t tag;
    uint32_t prev;  // kNil at the head
    uint32_t next;  // kNil at the tail; links the free list while the node is unused
    uint16_t list;  // which list holds the node
  };
  struct List {
    uint32_t head = kNil;
    uint32_t tail = kNil;
  };
  using Bitmap = std::array<uint64_t, kSlots / 64>;

  Node& At(uint32_t n) { return chunks_[n >> kChunkBits][n & (kChunkSize - 1)]; }
  const Node& At(uint32_t n) const { return chunks_[n >> kChunkBits][n & (kChunkSize - 1)]; }
  uint32_t AllocNode();
  void FreeNode(uint32_t n);

  // The list of the level-`level` slot that holds tick `tick`.
  static uint16_t SlotList(int level, uint64_t tick);
  // Links node n into the list its deadline belongs to, relative to cur_.
  void Place(uint32_t n);
  void Link(uint16_t list, uint32_t n);
  void Unlink(uint32_t n);
  void SetOccupied(uint16_t list, bool occupied);
  // Empties a list and returns its old head; the nodes keep their next links.
  uint32_t TakeList(uint16_t list);
  // Appends node n to *fired and frees it.
  void Fire(uint32_t n, std::vector<ExpiredTimer>* fired);

  // The first tick >= cur_ at which a slot fires or cascades; UINT64_MAX if none.
  uint64_t NextEventTick() const;
  // Processes tick t: cascades what falls due at t, then fires level 0 slot t & 255.
  // REQUIRES: t == NextEventTick().
  void RunTick(uint64_t t, std::vector<ExpiredTimer>* fired);

  // The id index: open addressing, linear probing, backward-shift deletion. Entries are
  // node numbers (the key is the node's id), kNil when empty.
  static constexpr size_t kNotFound = SIZE_MAX;
  size_t FindPos(uint64_t id) const;
  void IndexInsert(uint32_t n);
  void IndexErase(size_t pos);
  void IndexRehash(size_t capacity);

  const int64_t origin_ms_;
  const uint64_t max_tick_;  // Advance never goes beyond this tick
  uint64_t cur_ = 1;         // next tick to process; tick 0 (the origin) counts as done
  std::array<List, kNumLists> lists_;
  std::array<Bitmap, kLevels> occupied_{};
  uint64_t overflow_min_tick_ = UINT64_MAX;
  std::vector<std::unique_ptr<Node[]>> chunks_;
  uint32_t used_nodes_ = 0;  // nodes ever handed out; the rest of the last chunk is fresh
  uint32_t free_ = kNil;     // free list of released nodes
  std::vector<uint32_t> index_;
  size_t count_ = 0;
};

}  // namespace tock
