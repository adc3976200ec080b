// Callback URL rules: what an application may register as its linkUrl, parsed into the
// parts the sender needs.
//
//   ParseCallbackUrl("https://Example.com/hook?x=1")
//     -> {scheme "https", host "example.com", port 443, target "/hook?x=1",
//         origin "https://example.com:443"}
//   ParseCallbackUrl("http://[::1]:8080")
//     -> {scheme "http", host "::1", port 8080, target "/", origin "http://[::1]:8080"}
//
// Rules: scheme http or https (any case); a host is required: a DNS name (letters, digits,
// '-', '_', dot-separated non-empty labels, <= 253 chars), a dotted-quad IPv4 address, or an
// IPv6 address in brackets (no zone id); optional port 1-65535; at most 2048 characters; no
// user info ('@' in the authority), no fragment ('#'), no backslash, no spaces or control
// characters. Bytes >= 0x80 in the path or query are percent-encoded in `target`, which is
// otherwise sent verbatim (no re-encoding).
//
// Owner: used by the API (validation at application create/update) and by HttpSender
// (every attempt). Thread-safety: pure function.
#pragma once

#include <string>
#include <string_view>

#include "common/status.h"

namespace tock {

inline constexpr size_t kMaxCallbackUrlLength = 2048;

struct CallbackUrl {
  std::string scheme;  // "http" or "https", lower case
  std::string host;    // lower case; an IPv6 address without its brackets
  int port = 0;        // explicit, or 80 / 443 by scheme
  std::string target;  // path + query as sent on the request line; "/" if empty
  std::string origin;  // "scheme://host:port" (IPv6 in brackets): the connection pool key
  bool is_ipv6 = false;
};

// Status::Invalid with a message stating the broken rule, e.g. "must use http or https";
// the caller adds the field name ("field 'linkUrl': ...").
Result<CallbackUrl> ParseCallbackUrl(std::string_view url);

}  // namespace tock
