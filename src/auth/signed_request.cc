// DESIGN: the checks run from cheapest to dearest (format, clock, body hash, HMAC), and each
// failure says which header broke which rule, because a client debugging its signer has
// nothing else to go on. Nothing secret is ever put in a message: not the expected payload,
// not the expected signature.
#include "auth/signed_request.h"

#include "auth/signing.h"

namespace tock {
namespace {

constexpr int64_t kTimestampCap = 1'000'000'000'000'000;  // 10^15 s: ~31 million years

Status Missing(std::string_view header) {
  return Status::Unauthorized("header '" + std::string(header) + "': missing");
}

}  // namespace

std::optional<int64_t> ParseTimestamps(std::string_view timestamps) {
  if (timestamps.empty() || timestamps.size() > 20) return std::nullopt;
  int64_t value = 0;
  for (char c : timestamps) {
    if (c < '0' || c > '9') return std::nullopt;
    // Saturate instead of overflowing: anything this large fails the window check anyway.
    value = value >= kTimestampCap ? kTimestampCap : value * 10 + (c - '0');
  }
  return value > kTimestampCap ? kTimestampCap : value;
}

bool IsValidNonce(std::string_view nonce) {
  if (nonce.size() < 8 || nonce.size() > 64) return false;
  for (char c : nonce) {
    const bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                    c == '_' || c == '-';
    if (!ok) return false;
  }
  return true;
}

Status VerifySignedRequest(const SignedHeaders& h, std::string_view secret, std::string_view body,
                           int64_t now_s, const SignedRequestPolicy& policy) {
  return VerifySignedParts(h, secret, &body, now_s, policy);
}

Status VerifySignedHead(const SignedHeaders& h, std::string_view secret, int64_t now_s,
                        const SignedRequestPolicy& policy) {
  return VerifySignedParts(h, secret, nullptr, now_s, policy);
}

Status VerifySignedParts(const SignedHeaders& h, std::string_view secret,
                         const std::string_view* body, int64_t now_s,
                         const SignedRequestPolicy& policy) {
  // 1. Presence and form.
  if (h.app_key.empty()) return Missing("app_key");
  if (h.nonce.empty()) return Missing("nonce");
  if (h.timestamps.empty()) return Missing("timestamps");
  if (h.payload.empty()) return Missing("payload");
  if (h.signature.empty()) return Missing("signature");
  if (!IsValidNonce(h.nonce)) {
    return Status::Unauthorized("header 'nonce': must be 8-64 characters of [A-Za-z0-9_-]");
  }
  const std::optional<int64_t> ts = ParseTimestamps(h.timestamps);
  if (!ts) {
    return Status::Unauthorized("header 'timestamps': must be unix seconds (digits only)");
  }

  // 2. Clock window. Both sides are far from the int64 limits (ts <= 10^15), so no overflow.
  const int64_t skew = *ts > now_s ? *ts - now_s : now_s - *ts;
  if (skew > policy.window_s) {
    return Status::Unauthorized("header 'timestamps': more than " +
                                std::to_string(policy.window_s) + " s from server time");
  }

  // 3. Body binding (once the body is there).
  if (body != nullptr && !policy.loose_payload && !ConstantTimeEquals(h.payload, Sha256Hex(*body))) {
    return Status::Unauthorized("header 'payload': must be the hex SHA-256 of the request body");
  }

  // 4. Signature, over the header text exactly as sent.
  const std::string expected = SerendipitySignature(secret, h.timestamps, h.nonce, h.payload);
  if (!ConstantTimeEquals(h.signature, expected)) {
    return Status::Unauthorized(
        "header 'signature': must be base64(hex(HMAC-SHA256(secretKey, "
        "timestamps + nonce + payload)))");
  }
  return Status::Ok();
}

}  // namespace tock
