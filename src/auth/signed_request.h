// Verification of the Serendipity signed header set (SPEC §2): app_key, nonce, timestamps,
// payload, signature, where
//   signature = base64( lowercase_hex( HMAC-SHA256(secret, timestamps ‖ nonce ‖ payload) ) )
// and payload is the lowercase hex SHA-256 of the raw request body.
//
// Typical use in a request handler (the handler owns the app lookup and the ReplayGuard):
//   SignedHeaders h = ...;                      // from the request headers
//   App app = LookUp(h.app_key);                // unknown key -> 401
//   Status s = VerifySignedRequest(h, app.secret, body, now_s, policy);
//   if (s.ok() && !replay_guard.CheckAndRemember(h.app_key, h.nonce, ts, now_s)) -> 401
//
// Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "common/status.h"

namespace tock {

struct SignedHeaders {
  std::string app_key, nonce, timestamps, payload, signature;
};

struct SignedRequestPolicy {
  int64_t window_s = 300;      // how far `timestamps` may be from the server clock, each way
  bool loose_payload = false;  // legacy: accept any `payload` (it is still signed)
};

// Checks, in this order, each failing with Status::Unauthorized and a message naming the
// header and the rule:
//   1. every header present; nonce 8-64 chars of [A-Za-z0-9_-]; timestamps = unix seconds
//      (1-20 digits);
//   2. |now_s - timestamps| <= window_s;
//   3. payload == Sha256Hex(body), unless policy.loose_payload;
//   4. signature == SerendipitySignature(secret, timestamps, nonce, payload), compared in
//      constant time.
// Does NOT check nonce replay: the caller owns the ReplayGuard (see replay_guard.h) and must
// consult it only after this returned ok, so unsigned requests cannot burn nonces.
Status VerifySignedRequest(const SignedHeaders& h, std::string_view secret, std::string_view body,
                           int64_t now_s, const SignedRequestPolicy& policy);
// Checks 1, 2 and 4 only: what the request head alone can prove, before its body is read
// (the signature covers the payload header as sent; check 3 binds it to the body later).
Status VerifySignedHead(const SignedHeaders& h, std::string_view secret, int64_t now_s,
                        const SignedRequestPolicy& policy);
// Both of the above: check 3 runs when body is not null.
Status VerifySignedParts(const SignedHeaders& h, std::string_view secret,
                         const std::string_view* body, int64_t now_s,
                         const SignedRequestPolicy& policy);

// `timestamps` as a number if it is 1-20 ASCII digits (values above 10^15 saturate there, far
// outside any window); otherwise nullopt. Exposed so the caller can feed the ReplayGuard.
std::optional<int64_t> ParseTimestamps(std::string_view timestamps);

// True if `nonce` is 8-64 characters of [A-Za-z0-9_-].
bool IsValidNonce(std::string_view nonce);

}  // namespace tock
