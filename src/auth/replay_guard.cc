// DESIGN: a nonce memory sharded 16 ways. Each shard is a hash map (key -> expiry) for the
// replay lookup plus a min-heap by expiry, so expiring is "pop while the soonest is past",
// O(log n) per dropped entry, and never a scan of the whole map under the lock. Every
// CheckAndRemember first expires its own shard, so a guard that nobody Expire()s still stays
// bounded; Expire() sweeps all shards for the quiet periods.
//
// Keys are hashed with SipHash (crypto_shorthash) under a random per-guard key: nonces are
// chosen by clients, and with an unkeyed hash a client could pile them into one bucket.
#include "auth/replay_guard.h"

#include <sodium.h>

#include <algorithm>
#include <cstring>
#include <limits>

#include "auth/signing.h"

namespace tock {
namespace {

// a + b without overflow (b >= 0): timestamps read back from disk may be garbage.
int64_t SaturatingAdd(int64_t a, int64_t b) {
  return a > std::numeric_limits<int64_t>::max() - b ? std::numeric_limits<int64_t>::max() : a + b;
}

}  // namespace

size_t ReplayGuard::KeyedHash::operator()(const std::string& s) const {
  unsigned char out[crypto_shorthash_BYTES];
  crypto_shorthash(out, reinterpret_cast<const unsigned char*>(s.data()), s.size(), key);
  uint64_t h;
  static_assert(sizeof h == crypto_shorthash_BYTES);
  std::memcpy(&h, out, sizeof h);
  return static_cast<size_t>(h);
}

ReplayGuard::ReplayGuard(int64_t window_s) : window_s_(std::max<int64_t>(window_s, 0)) {
  InitCrypto();
  static_assert(std::tuple_size_v<decltype(hash_key_)> == crypto_shorthash_KEYBYTES);
  crypto_shorthash_keygen(hash_key_.data());
  shards_.reserve(kShards);
  for (size_t i = 0; i < kShards; ++i) {
    shards_.push_back(std::make_unique<Shard>(KeyedHash{hash_key_.data()}));
  }
}

std::string ReplayGuard::MakeKey(std::string_view app_key, std::string_view nonce) {
  const auto n = static_cast<uint32_t>(app_key.size());
  std::string key;
  key.reserve(4 + app_key.size() + nonce.size());
  for (int shift = 24; shift >= 0; shift -= 8) key.push_back(static_cast<char>(n >> shift));
  key.append(app_key).append(nonce);
  return key;
}

ReplayGuard::Shard& ReplayGuard::ShardFor(const std::string& key) {
  // The map buckets by the low bits of the same hash; take the shard from the high bits.
  const uint64_t h = KeyedHash{hash_key_.data()}(key);
  return *shards_[(h >> 60) % kShards];
}

void ReplayGuard::RememberLocked(Shard& shard, std::string key, int64_t expiry) {
  auto [it, inserted] = shard.expiry_by_key.try_emplace(std::move(key), expiry);
  if (!inserted) {
    // Only a later expiry gets a heap item; see the invariants in the header.
    if (expiry <= it->second) return;
    it->second = expiry;
  }
  shard.by_expiry.push({expiry, &it->first});
}

void ReplayGuard::ExpireLocked(Shard& shard, int64_t now_s) {
  while (!shard.by_expiry.empty() && shard.by_expiry.top().first < now_s) {
    const auto [expiry, key] = shard.by_expiry.top();
    shard.by_expiry.pop();
    auto it = shard.expiry_by_key.find(*key);
    if (it != shard.expiry_by_key.end() && it->second == expiry) shard.expiry_by_key.erase(it);
  }
}

bool ReplayGuard::CheckAndRemember(std::string_view app_key, std::string_view nonce, int64_t ts_s,
                                   int64_t now_s) {
  std::string key = MakeKey(app_key, nonce);
  // Cap how long a (wrongly) far-future timestamp keeps its entry alive.
  const int64_t expiry = SaturatingAdd(std::min(ts_s, SaturatingAdd(now_s, window_s_)), window_s_);
  Shard& shard = ShardFor(key);
  std::lock_guard<std::mutex> lock(shard.mu);
  ExpireLocked(shard, now_s);
  if (shard.expiry_by_key.contains(key)) return false;
  RememberLocked(shard, std::move(key), expiry);
  return true;
}

void ReplayGuard::Remember(std::string_view app_key, std::string_view nonce, int64_t ts_s) {
  std::string key = MakeKey(app_key, nonce);
  Shard& shard = ShardFor(key);
  std::lock_guard<std::mutex> lock(shard.mu);
  RememberLocked(shard, std::move(key), SaturatingAdd(ts_s, window_s_));
}

void ReplayGuard::Expire(int64_t now_s) {
  for (auto& shard : shards_) {
    std::lock_guard<std::mutex> lock(shard->mu);
    ExpireLocked(*shard, now_s);
  }
}

size_t ReplayGuard::size() const {
  size_t total = 0;
  for (const auto& shard : shards_) {
    std::lock_guard<std::mutex> lock(shard->mu);
    total += shard->expiry_by_key.size();
  }
  return total;
}

}  // namespace tock
