// DESIGN: the timing wheel is four 256-slot levels over 1 ms ticks, plus an overflow list for
// deadlines beyond 2^32 ms and a due list for deadlines already past. Nodes live in chunked
// pools and are linked by 32-bit indices, so a timer costs 40 bytes and no allocation of its
// own; an open-addressing table of 4-byte node numbers finds a timer by id.
//
// Advance does not walk ticks. It asks the occupancy bitmaps for the next "event" (a level-0
// slot that fires or a higher slot that cascades), jumps cur_ there, processes it, and asks
// again, so an idle hour costs as much as an idle millisecond. Cascading re-places each timer
// relative to the tick being processed (as Linux's cascade() did), which keeps one rule for
// placement everywhere; a timer is re-placed at most once per level (an overflow timer also
// once per 49.7-day wrap at which an earlier overflow timer enters the wheel).
#include "wheel/timing_wheel.h"

#include <algorithm>
#include <bit>
#include <cassert>
#include <limits>

namespace tock {
namespace {

constexpr uint64_t kNoTick = std::numeric_limits<uint64_t>::max();

// splitmix64's finaliser: ids are often sequential, and linear probing needs them spread.
uint64_t Mix(uint64_t x) {
  x ^= x >> 30;
  x *= 0xbf58476d1ce4e5b9ULL;
  x ^= x >> 27;
  x *= 0x94d049bb133111ebULL;
  x ^= x >> 31;
  return x;
}

// Slot of the first set bit at or after `start`, wrapping around; -1 if none is set.
template <size_t kWords>
int FindNextSet(const std::array<uint64_t, kWords>& bits, uint32_t start) {
  uint32_t w = start >> 6;
  uint64_t word = bits[w] & (~uint64_t{0} << (start & 63));
  // The start word (masked), the other words, then the start word again for the bits below
  // `start` (the bits above it are already known to be clear).
  for (size_t i = 0; i <= kWords; ++i) {
    if (word != 0) return static_cast<int>(w * 64 + static_cast<uint32_t>(std::countr_zero(word)));
    w = (w + 1) % kWords;
    word = bits[w];
  }
  return -1;
}

}  // namespace

TimingWheel::TimingWheel(int64_t now_ms)
    : origin_ms_(now_ms),
      // Keep ticks far from uint64 overflow, and origin + tick within int64.
      max_tick_(std::min<uint64_t>(
          uint64_t{1} << 62,
          static_cast<uint64_t>(std::numeric_limits<int64_t>::max()) -
              static_cast<uint64_t>(now_ms))) {}

int64_t TimingWheel::now_ms() const {
  return static_cast<int64_t>(static_cast<uint64_t>(origin_ms_) + (cur_ - 1));
}

uint16_t TimingWheel::SlotList(int level, uint64_t tick) {
  const uint64_t slot = (tick >> (kSlotBits * level)) & (kSlots - 1);
  return static_cast<uint16_t>(static_cast<uint64_t>(level) * kSlots + slot);
}

uint32_t TimingWheel::AllocNode() {
  if (free_ != kNil) {
    uint32_t n = free_;
    free_ = At(n).next;
    return n;
  }
  assert(used_nodes_ < kNil);
  if (used_nodes_ == chunks_.size() * kChunkSize) {
    chunks_.push_back(std::make_unique_for_overwrite<Node[]>(kChunkSize));
  }
  return used_nodes_++;
}

void TimingWheel::FreeNode(uint32_t n) {
  At(n).next = free_;
  free_ = n;
}

void TimingWheel::SetOccupied(uint16_t list, bool occupied) {
  if (list >= kOverflowList) return;  // the overflow and due lists have no bitmap
  uint64_t& word = occupied_[list / kSlots][(list % kSlots) / 64];
  const uint64_t bit = uint64_t{1} << (list % 64);
  word = occupied ? (word | bit) : (word & ~bit);
}

void TimingWheel::Link(uint16_t list, uint32_t n) {
  Node& node = At(n);
  List& l = lists_[list];
  node.list = list;
  node.next = kNil;
  node.prev = l.tail;
  if (l.tail == kNil) {
    l.head = n;
    SetOccupied(list, true);
  } else {
    At(l.tail).next = n;
  }
  l.tail = n;
}

void TimingWheel::Unlink(uint32_t n) {
  Node& node = At(n);
  List& l = lists_[node.list];
  if (node.prev == kNil) {
    l.head = node.next;
  } else {
    At(node.prev).next = node.next;
  }
  if (node.next == kNil) {
    l.tail = node.prev;
  } else {
    At(node.next).prev = node.prev;
  }
  if (l.head == kNil) {
    SetOccupied(node.list, false);
    if (node.list == kOverflowList) overflow_min_tick_ = kNoTick;
  }
}

uint32_t TimingWheel::TakeList(uint16_t list) {
  uint32_t head = lists_[list].head;
  lists_[list] = List{};
  SetOccupied(list, false);
  if (list == kOverflowList) overflow_min_tick_ = kNoTick;
  return head;
}

void TimingWheel::Place(uint32_t n) {
  const Node& node = At(n);
  if (node.deadline_ms <= now_ms()) {
    Link(kDueList, n);
    return;
  }
  // deadline > now_ms() >= origin, so the difference fits in uint64 and e >= cur_.
  const uint64_t e = static_cast<uint64_t>(node.deadline_ms) - static_cast<uint64_t>(origin_ms_);
  const uint64_t distance = e - cur_;
  for (int level = 0; level < kLevels; ++level) {
    const int shift = kSlotBits * level;
    if (distance < (uint64_t{1} << (shift + kSlotBits))) {
      Link(SlotList(level, e), n);
      return;
    }
  }
  overflow_min_tick_ = std::min(overflow_min_tick_, e);
  Link(kOverflowList, n);
}

void TimingWheel::Fire(uint32_t n, std::vector<ExpiredTimer>* fired) {
  const Node& node = At(n);
  fired->push_back(ExpiredTimer{node.id, node.deadline_ms, node.tag});
  size_t pos = FindPos(node.id);
  assert(pos != kNotFound);
  IndexErase(pos);
  FreeNode(n);
  --count_;
}

void TimingWheel::Schedule(uint64_t id, int64_t deadline_ms, int64_t tag) {
  size_t pos = FindPos(id);
  uint32_t n;
  if (pos != kNotFound) {
    n = index_[pos];
    Unlink(n);
  } else {
    n = AllocNode();
    At(n).id = id;
    IndexInsert(n);
    ++count_;
  }
  Node& node = At(n);
  node.deadline_ms = deadline_ms;
  node.tag = tag;
  Place(n);
}

bool TimingWheel::Cancel(uint64_t id) {
  size_t pos = FindPos(id);
  if (pos == kNotFound) return false;
  uint32_t n = index_[pos];
  Unlink(n);
  IndexErase(pos);
  FreeNode(n);
  --count_;
  return true;
}

uint64_t TimingWheel::NextEventTick() const {
  uint64_t best = kNoTick;
  for (int level = 0; level < kLevels; ++level) {
    const int shift = kSlotBits * level;
    // The first block (of 2^shift ticks) starting at or after cur_; slot s cascades (or, on
    // level 0, fires) at the start of the first such block whose number is s mod 256.
    const uint64_t block = (cur_ + ((uint64_t{1} << shift) - 1)) >> shift;
    const uint32_t start = static_cast<uint32_t>(block & (kSlots - 1));
    const int slot = FindNextSet(occupied_[static_cast<size_t>(level)], start);
    if (slot < 0) continue;
    const uint64_t ahead = (static_cast<uint32_t>(slot) - start) & (kSlots - 1);
    best = std::min(best, (block + ahead) << shift);
  }
  if (lists_[kOverflowList].head != kNil) {
    // The first multiple of 2^32 at which the earliest overflow timer fits in the wheel, so
    // years of idle time with far timers are not walked 49.7 days at a time. No overflow:
    // overflow_min_tick_ >= cur_ + span and cur_ <= 2^62 + 1.
    const uint64_t span = uint64_t{1} << kOverflowBits;
    const uint64_t from = std::max(cur_, overflow_min_tick_ - span + 1);
    best = std::min(best, ((from + span - 1) >> kOverflowBits) << kOverflowBits);
  }
  return best;
}

void TimingWheel::RunTick(uint64_t t, std::vector<ExpiredTimer>* fired) {
  cur_ = t;  // placement below is relative to t; now_ms() is t - 1 until t is done
  auto recascade = [this](uint16_t list) {
    for (uint32_t n = TakeList(list); n != kNil;) {
      uint32_t next = At(n).next;
      Place(n);
      n = next;
    }
  };
  // Top down, so a timer cascades through several levels in one tick if it has to. (The
  // re-placed timers never land in a lower slot that this same tick cascades: see Place.)
  if ((t & ((uint64_t{1} << kOverflowBits) - 1)) == 0) recascade(kOverflowList);
  for (int level = kLevels - 1; level >= 1; --level) {
    const int shift = kSlotBits * level;
    if ((t & ((uint64_t{1} << shift) - 1)) == 0) {
      recascade(SlotList(level, t));
    }
  }
  for (uint32_t n = TakeList(static_cast<uint16_t>(t & (kSlots - 1))); n != kNil;) {
    uint32_t next = At(n).next;
    assert(static_cast<uint64_t>(At(n).deadline_ms) - static_cast<uint64_t>(origin_ms_) == t);
    Fire(n, fired);
    n = next;
  }
  cur_ = t + 1;
}

void TimingWheel::Advance(int64_t now_ms, std::vector<ExpiredTimer>* fired) {
  assert(fired != nullptr);
  if (lists_[kDueList].head != kNil) {
    // Scheduled in the past, in any order: sort just this part. Usually a handful.
    const size_t first = fired->size();
    for (uint32_t n = TakeList(kDueList); n != kNil;) {
      uint32_t next = At(n).next;
      Fire(n, fired);
      n = next;
    }
    std::stable_sort(fired->begin() + static_cast<std::ptrdiff_t>(first), fired->end(),
                     [](const ExpiredTimer& a, const ExpiredTimer& b) {
                       return a.deadline_ms < b.deadline_ms;
                     });
  }
  if (now_ms <= this->now_ms()) return;
  const uint64_t target = std::min(
      static_cast<uint64_t>(now_ms) - static_cast<uint64_t>(origin_ms_), max_tick_);
  // One iteration per occupied event, not per tick: O(1) per jump (4 levels x 4 words).
  for (uint64_t t = NextEventTick(); t <= target; t = NextEventTick()) {
    RunTick(t, fired);
  }
  cur_ = std::max(cur_, target + 1);
}

int64_t TimingWheel::NextWakeMs() const {
  if (lists_[kDueList].head != kNil) return now_ms();
  const uint64_t t = NextEventTick();
  // Beyond max_tick_ Advance cannot go, so nothing can fire there.
  if (t > max_tick_) return std::numeric_limits<int64_t>::max();
  return static_cast<int64_t>(static_cast<uint64_t>(origin_ms_) + t);
}

size_t TimingWheel::FindPos(uint64_t id) const {
  if (index_.empty()) return kNotFound;
  const size_t mask = index_.size() - 1;
  // Terminates: the table is never more than half full.
  for (size_t i = Mix(id) & mask;; i = (i + 1) & mask) {
    const uint32_t n = index_[i];
    if (n == kNil) return kNotFound;
    if (At(n).id == id) return i;
  }
}

void TimingWheel::IndexInsert(uint32_t n) {
  if ((count_ + 1) * 2 > index_.size()) IndexRehash(std::max<size_t>(16, index_.size() * 2));
  const size_t mask = index_.size() - 1;
  size_t i = Mix(At(n).id) & mask;
  while (index_[i] != kNil) i = (i + 1) & mask;
  index_[i] = n;
}

void TimingWheel::IndexErase(size_t pos) {
  // Backward-shift deletion: pull later entries of the probe run into the hole when their
  // home slot is at or before it, so lookups never need tombstones.
  const size_t mask = index_.size() - 1;
  size_t hole = pos;
  for (size_t j = (pos + 1) & mask; index_[j] != kNil; j = (j + 1) & mask) {
    const size_t home = Mix(At(index_[j]).id) & mask;
    if (((j - home) & mask) >= ((j - hole) & mask)) {
      index_[hole] = index_[j];
      hole = j;
    }
  }
  index_[hole] = kNil;
}

void TimingWheel::IndexRehash(size_t capacity) {
  std::vector<uint32_t> old = std::move(index_);
  index_.assign(capacity, kNil);
  const size_t mask = capacity - 1;
  for (uint32_t n : old) {
    if (n == kNil) continue;
    size_t i = Mix(At(n).id) & mask;
    while (index_[i] != kNil) i = (i + 1) & mask;
    index_[i] = n;
  }
}

}  // namespace tock
