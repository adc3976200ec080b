// ReplayGuard: remembers which (app_key, nonce) pairs were used recently, so that a signed
// request (SPEC §2) cannot be replayed while its `timestamps` is still inside the window.
//
// A nonce used with timestamp ts must be refused until the server clock passes ts + window:
// after that, VerifySignedRequest refuses the request as stale anyway, so the entry can go.
// Memory is therefore bounded by the number of requests accepted within about two windows.
//
// Owned by the HTTP layer (one per server); persisted nonces are fed back at start-up with
// Remember(). Thread-safety: every method may be called from any thread. Entries are spread
// over kShards independently locked shards by a keyed hash (SipHash, random key per guard), so
// concurrent requests rarely contend and clients cannot aim many nonces at one shard or bucket.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <mutex>
#include <queue>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

namespace tock {

// The answer (401) to a signed request whose nonce was used before, on this node (the guard)
// or on another node sharing the database (the store refuses the nonce's insert).
inline constexpr char kNonceReplayed[] = "header 'nonce': already used (replay)";

class ReplayGuard {
 public:
  explicit ReplayGuard(int64_t window_s = 300);
  ReplayGuard(const ReplayGuard&) = delete;
  ReplayGuard& operator=(const ReplayGuard&) = delete;

  // true = first use (now remembered); false = this app already used this nonce within the
  // window. Also drops this shard's expired entries (amortised O(log n) each).
  // REQUIRES: |now_s - ts_s| <= window_s, as VerifySignedRequest has checked. (A ts_s further
  // ahead is remembered only until now_s + 2 * window_s, so a bad caller cannot pin memory.)
  bool CheckAndRemember(std::string_view app_key, std::string_view nonce, int64_t ts_s,
                        int64_t now_s);

  // Remembers a nonce without checking it: at start-up, from disk.
  void Remember(std::string_view app_key, std::string_view nonce, int64_t ts_s);

  // Drops every entry whose ts_s + window_s < now_s. Callers run it periodically.
  void Expire(int64_t now_s);

  // Entries currently held (including expired ones not yet dropped).
  size_t size() const;

  int64_t window_s() const { return window_s_; }

 private:
  static constexpr size_t kShards = 16;

  // SipHash-2-4 keyed with the guard's random key.
  struct KeyedHash {
    const unsigned char* key;  // points at ReplayGuard::hash_key_
    size_t operator()(const std::string& s) const;
  };

  // Invariants, per shard (all under mu):
  //  - expiry_by_key maps each remembered key to its expiry, ts_s + window_s (the caps on
  //    ts_s are in CheckAndRemember); the key is forgotten once now_s > expiry.
  //  - by_expiry holds, for every key in expiry_by_key, exactly one item {expiry, &key} whose
  //    expiry equals the map's value, plus possibly stale items {older expiry, &key} for keys
  //    whose expiry was raised later by Remember(). Stale items always sort before the live
  //    one, so the pointer (into an unordered_map node, stable across rehashing) is still
  //    valid when a stale item is popped; popping the live item erases the node, and after
  //    that no item refers to it.
  using ExpiryItem = std::pair<int64_t, const std::string*>;
  struct SoonestFirst {  // orders by expiry only; never compares the pointers
    bool operator()(const ExpiryItem& a, const ExpiryItem& b) const { return a.first > b.first; }
  };
  struct alignas(64) Shard {
    mutable std::mutex mu;
    std::unordered_map<std::string, int64_t, KeyedHash> expiry_by_key;  // guarded by mu
    std::priority_queue<ExpiryItem, std::vector<ExpiryItem>, SoonestFirst>
        by_expiry;  // guarded by mu
    explicit Shard(KeyedHash h) : expiry_by_key(16, h) {}
  };

  // "<len(app_key) as 4 bytes><app_key><nonce>": unambiguous whatever bytes the parts hold.
  static std::string MakeKey(std::string_view app_key, std::string_view nonce);
  Shard& ShardFor(const std::string& key);
  // REQUIRES: shard.mu held.
  void RememberLocked(Shard& shard, std::string key, int64_t expiry);
  static void ExpireLocked(Shard& shard, int64_t now_s);

  const int64_t window_s_;
  std::array<unsigned char, 16> hash_key_;
  std::vector<std::unique_ptr<Shard>> shards_;
};

}  // namespace tock
