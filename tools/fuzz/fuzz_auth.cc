// libFuzzer target: authentication header parsing (auth/basic_auth.h, auth/signed_request.h)
// and the `tock verify` message parser (cli/verify.h). The whole input is tried as one
// Authorization header and as an HTTP message; split at '\n' it fills the signed header set
// (app_key, nonce, timestamps, payload, signature, secret, body), verified as sent, then
// with a correct signature (the accepting path), and the nonce goes through the ReplayGuard
// as AppAuthenticator::Authenticate feeds it.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "auth/basic_auth.h"
#include "auth/replay_guard.h"
#include "auth/signed_request.h"
#include "auth/signing.h"
#include "cli/verify.h"

namespace {

constexpr int64_t kNowS = 1795305600;

std::vector<std::string_view> Split(std::string_view s, char sep, size_t max_parts) {
  std::vector<std::string_view> parts;
  while (parts.size() + 1 < max_parts) {
    size_t p = s.find(sep);
    if (p == std::string_view::npos) break;
    parts.push_back(s.substr(0, p));
    s.remove_prefix(p + 1);
  }
  parts.push_back(s);
  return parts;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const bool crypto_ok = tock::InitCrypto();
  if (!crypto_ok) return 0;
  std::string_view in(reinterpret_cast<const char*>(data), size);

  (void)tock::ParseBasicAuth(in);
  (void)tock::ParseBearer(in);
  (void)tock::Base64Decode(in);
  (void)tock::ParseTimestamps(in);
  (void)tock::IsValidNonce(in);

  std::vector<std::string_view> p = Split(in, '\n', 7);
  p.resize(7);
  tock::SignedHeaders h{std::string(p[0]), std::string(p[1]), std::string(p[2]),
                        std::string(p[3]), std::string(p[4])};
  std::string_view secret = p[5], body = p[6];
  tock::SignedRequestPolicy strict, loose;
  loose.loose_payload = true;
  (void)tock::VerifySignedRequest(h, secret, body, kNowS, strict);
  // Same headers with timestamps pinned to now, so the later checks (payload, signature) run.
  h.timestamps = std::to_string(kNowS);
  (void)tock::VerifySignedRequest(h, secret, body, kNowS, loose);
  h.payload = tock::Sha256Hex(body);
  (void)tock::VerifySignedRequest(h, secret, body, kNowS, strict);
  // Correctly signed: must pass exactly when the headers are well formed.
  h.signature = tock::SerendipitySignature(secret, h.timestamps, h.nonce, h.payload);
  tock::Status ok = tock::VerifySignedRequest(h, secret, body, kNowS, strict);
  const bool well_formed = !h.app_key.empty() && tock::IsValidNonce(h.nonce);
  if (ok.ok() != well_formed) std::abort();
  if (ok.ok()) {
    // Authenticate's replay check: the first use passes, the second is a replay, in the
    // same application only.
    tock::ReplayGuard guard;
    if (!guard.CheckAndRemember(h.app_key, h.nonce, kNowS, kNowS)) std::abort();
    if (guard.CheckAndRemember(h.app_key, h.nonce, kNowS, kNowS + 1)) std::abort();
    if (!guard.CheckAndRemember(h.app_key + "x", h.nonce, kNowS, kNowS)) std::abort();
  }

  tock::cli::HttpMessage m = tock::cli::ParseHttpMessage(in);
  (void)tock::cli::VerifyWebhook("whsec_" + std::string(secret), m, kNowS, {});
  (void)tock::cli::VerifyWebhook(secret, m, kNowS, {});
  std::string name, value;
  (void)tock::cli::ParseHeaderLine(p[0], &name, &value);
  return 0;
}
