// DESIGN: one left-to-right pass over scheme, authority and target, stopping at the first
// broken rule; no regex. Address literals are checked with inet_pton so that what we accept
// is exactly what the resolver will take as a literal (e.g. "1.2.3" or "[fe80::1%eth0]" are
// refused here rather than guessed at later).
#include "callback/url.h"

#include <arpa/inet.h>

#include <cstdint>

namespace tock {
namespace {

constexpr size_t kMaxHostLength = 253;
constexpr size_t kMaxLabelLength = 63;

char Lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

std::string LowerCopy(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = Lower(c);
  return out;
}

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

bool IsHostNameChar(char c) { return (c >= 'a' && c <= 'z') || IsDigit(c) || c == '-' || c == '_'; }

// REQUIRES: host is lower case.
bool IsValidHostName(std::string_view host) {
  if (host.empty() || host.size() > kMaxHostLength) return false;
  size_t label = 0;
  for (char c : host) {
    if (c == '.') {
      if (label == 0) return false;  // empty label: leading, trailing or doubled dot
      label = 0;
    } else if (IsHostNameChar(c)) {
      if (++label > kMaxLabelLength) return false;
    } else {
      return false;
    }
  }
  return label > 0;
}

Status Invalid(std::string msg) { return Status::Invalid(std::move(msg)); }

}  // namespace

Result<CallbackUrl> ParseCallbackUrl(std::string_view url) {
  if (url.size() > kMaxCallbackUrlLength) {
    return Invalid("must be at most " + std::to_string(kMaxCallbackUrlLength) + " characters");
  }
  for (char ch : url) {
    const auto c = static_cast<unsigned char>(ch);
    if (c <= 0x20 || c == 0x7f) return Invalid("must not contain spaces or control characters");
    if (c == '\\') return Invalid("must not contain a backslash");
  }

  const size_t sep = url.find("://");
  if (sep == std::string_view::npos) {
    return Invalid("must be an absolute URL starting with http:// or https://");
  }
  CallbackUrl out;
  out.scheme = LowerCopy(url.substr(0, sep));
  if (out.scheme != "http" && out.scheme != "https") return Invalid("must use http or https");

  std::string_view rest = url.substr(sep + 3);
  if (rest.find('#') != std::string_view::npos) return Invalid("must not contain a fragment ('#')");
  const size_t authority_end = rest.find_first_of("/?");
  std::string_view authority = rest.substr(0, authority_end);
  std::string_view tail =
      authority_end == std::string_view::npos ? std::string_view() : rest.substr(authority_end);
  if (authority.find('@') != std::string_view::npos) {
    return Invalid("must not contain user info ('user@')");
  }

  // Host, then what follows it (":port" or nothing).
  std::string_view after_host;
  if (!authority.empty() && authority.front() == '[') {
    const size_t close = authority.find(']');
    if (close == std::string_view::npos) return Invalid("IPv6 host is missing its closing ']'");
    out.host = LowerCopy(authority.substr(1, close - 1));
    in6_addr addr6;
    if (out.host.empty() || inet_pton(AF_INET6, out.host.c_str(), &addr6) != 1) {
      return Invalid("host '[" + out.host + "]' is not a valid IPv6 address");
    }
    out.is_ipv6 = true;
    after_host = authority.substr(close + 1);
  } else {
    const size_t colon = authority.find(':');
    out.host = LowerCopy(authority.substr(0, colon));
    if (colon != std::string_view::npos) after_host = authority.substr(colon);
  }
  if (out.host.empty()) return Invalid("must have a host");

  if (!out.is_ipv6) {
    bool numeric = true;
    for (char c : out.host) numeric = numeric && (IsDigit(c) || c == '.');
    if (numeric) {
      in_addr addr4;
      if (inet_pton(AF_INET, out.host.c_str(), &addr4) != 1) {
        return Invalid("host '" + out.host + "' is not a valid IPv4 address");
      }
    } else if (!IsValidHostName(out.host)) {
      return Invalid("host '" + out.host + "' is not a valid host name");
    }
  }

  out.port = out.scheme == "https" ? 443 : 80;
  if (!after_host.empty()) {
    std::string_view digits = after_host.substr(1);
    bool ok = after_host.front() == ':' && !digits.empty() && digits.size() <= 5;
    int32_t port = 0;
    for (char c : digits) {
      ok = ok && IsDigit(c);
      if (ok) port = port * 10 + (c - '0');
    }
    if (!ok || port < 1 || port > 65535) return Invalid("port must be a number from 1 to 65535");
    out.port = port;
  }

  // Target: sent verbatim, except that bytes >= 0x80 are percent-encoded (as browsers do),
  // so the request line stays ASCII.
  if (tail.empty() || tail.front() == '?') out.target = "/";
  static constexpr char kHex[] = "0123456789ABCDEF";
  for (char ch : tail) {
    const auto c = static_cast<unsigned char>(ch);
    if (c < 0x80) {
      out.target += ch;
    } else {
      out.target += '%';
      out.target += kHex[c >> 4];
      out.target += kHex[c & 0xf];
    }
  }

  out.origin = out.scheme + "://" + (out.is_ipv6 ? "[" + out.host + "]" : out.host) + ":" +
               std::to_string(out.port);
  return out;
}

}  // namespace tock
