// Checking a received callback against its Standard Webhooks signature (SPEC §5), for
// `tock verify`: parse an HTTP-ish message (header lines, an empty line, the body), then
// check webhook-id, webhook-timestamp and webhook-signature with the webhookSecret.
//
//   HttpMessage m = ParseHttpMessage(text);   // e.g. what `curl -D -` or a receiver dumped
//   Status s = VerifyWebhook("whsec_...", m, now_s, {});
//   // s.ok(), or s.message() says why: missing header, stale timestamp, no signature matched,
//   // bad secret format
//
// Thread-safety: pure functions (REQUIRES: InitCrypto() has run).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/status.h"

namespace tock::cli {

struct HttpMessage {
  std::vector<std::pair<std::string, std::string>> headers;  // in order, names as given
  std::string body;

  // The last value of the header (case-insensitive name), or nullptr.
  const std::string* Find(std::string_view name) const;
  // Replaces every header of that name (case-insensitive) with one.
  void Set(std::string name, std::string value);
};

// Header lines "name: value" (CRLF or LF) until the first empty line; the rest, byte for
// byte, is the body. A status line ("HTTP/1.1 200 OK") or request line ("POST /x HTTP/1.1")
// and any other line that is not "token: value" are skipped. Without an empty line the whole
// text is headers and the body is empty.
HttpMessage ParseHttpMessage(std::string_view text);

// One "name: value" line (what --header takes); false if it is not one.
bool ParseHeaderLine(std::string_view line, std::string* name, std::string* value);

struct VerifyOptions {
  bool check_timestamp = true;
  int64_t tolerance_s = 300;  // |now - webhook-timestamp| must not exceed this
};

// Ok if any "v1,<base64>" entry of webhook-signature equals
// base64(HMAC-SHA256(secret bytes, webhook-id "." webhook-timestamp "." body)), compared in
// constant time. `secret` is "whsec_" + base64 (the prefix may be left off).
Status VerifyWebhook(std::string_view secret, const HttpMessage& msg, int64_t now_s,
                     const VerifyOptions& opts);

}  // namespace tock::cli
