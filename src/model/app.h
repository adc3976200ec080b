// An application (the tenant that owns tasks and schedules) and a signed request's nonce, as
// plain values: no encodings (storage/rocksdb/codecs.h has the RocksDB store's).
//
// DO NOT CHANGE the values of the enums: every store keeps them as they are, and the API
// shows their names.
//
// Thread-safety: plain values.
#pragma once

#include <cstdint>
#include <string>

namespace tock {

// How a callback's answer counts as success.
enum class SuccessMode : uint8_t {
  kBody = 0,    // 2xx and the body, trimmed, is "success" (the original's contract)
  kStatus = 1,  // any 2xx
};

// A signed request's nonce, remembered to refuse its replay.
struct UsedNonce {
  std::string app_key;
  std::string nonce;
  int64_t ts_s = 0;  // the request's timestamps header
};

// Why an application's deliveries are paused. DO NOT CHANGE these values: they are stored.
enum class PauseKind : uint8_t {
  kNone = 0,
  kManual = 1,  // POST /application/pause; only a resume ends it
  kAuto = 2,    // too many failed attempts in a row; a successful probe (or a resume) ends it
};
const char* PauseKindName(PauseKind k);

struct App {
  std::string app_key;     // 16 alphanumerics; the application's id
  std::string secret_key;  // 32 alphanumerics
  std::string name;
  std::string link_url;
  std::string remark;
  int32_t step_s = 5;        // retry k waits min(step_s * k, 3600) s
  int32_t retry_total = 5;   // retries after the first attempt, per round
  SuccessMode success_mode = SuccessMode::kBody;
  int64_t created_ms = 0;
  // Secret rotation: the secret rotated out, still accepted for incoming requests and still
  // sent as a second Standard Webhooks signature while now < previous_secret_until_ms.
  // Both empty/0 when there is none.
  std::string previous_secret;
  int64_t previous_secret_until_ms = 0;
  // Flow control, pause and time zone.
  int32_t parallelism = 0;       // attempts in flight at most; 0: the server's max-per-app
  double rate_per_second = 0;    // attempts started per second at most; 0: no limit
  PauseKind pause = PauseKind::kNone;
  std::string pause_reason;      // words for operators ("paused by operator", "auto: ...")
  int64_t paused_ms = 0;         // when it was paused; 0 when not paused
  std::string time_zone;         // IANA name for zone_type 2 schedules; "": the server's
  // The key that signs Standard Webhooks callbacks: 32 random bytes, independent of
  // secret_key, so nothing a receiver holds can authenticate an API request. Empty in
  // applications made before it existed: their key is secret_key's bytes ("derived"), kept
  // so no receiver breaks on upgrade, until the secret is rotated.
  std::string webhook_key;
  // The key rotated out with previous_secret (same deadline); empty: previous_secret's bytes.
  std::string previous_webhook_key;
  // Which write of the application this copy was read from (0 before its first write). A
  // store shared by many nodes (PostgreSQL) refuses, with Conflict, a PutApp whose copy is not
  // the latest written, so a change on one node cannot undo another node's change (a secret
  // rotation) that it had not read yet. RocksDB neither keeps nor checks it.
  uint64_t revision = 0;

  friend bool operator==(const App&, const App&) = default;
};

// True while app's previous secret is still in its grace period at now_ms.
inline bool PreviousSecretActive(const App& app, int64_t now_ms) {
  return !app.previous_secret.empty() && now_ms < app.previous_secret_until_ms;
}

// The key bytes that sign the application's Standard Webhooks callbacks, now and (during a
// rotation's grace period) before; and whether it is still the legacy derived one.
inline const std::string& WebhookKey(const App& app) {
  return app.webhook_key.empty() ? app.secret_key : app.webhook_key;
}
inline const std::string& PreviousWebhookKey(const App& app) {
  return app.previous_webhook_key.empty() ? app.previous_secret : app.previous_webhook_key;
}
inline bool WebhookKeyDerived(const App& app) { return app.webhook_key.empty(); }

}  // namespace tock
