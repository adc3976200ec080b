// DESIGN: parsing is lenient (a hand-written file, a `curl -D -` dump and a proxy log all
// work), checking is strict and names the first thing that is wrong.

#include "cli/verify.h"

#include <strings.h>

#include <cstdlib>

#include "auth/signing.h"

namespace tock::cli {
namespace {

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) {
    s.remove_suffix(1);
  }
  return s;
}

bool IsTokenChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
         std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

bool SameName(std::string_view a, std::string_view b) {
  return a.size() == b.size() && strncasecmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace

const std::string* HttpMessage::Find(std::string_view name) const {
  const std::string* found = nullptr;
  for (const auto& [k, v] : headers) {
    if (SameName(k, name)) found = &v;
  }
  return found;
}

void HttpMessage::Set(std::string name, std::string value) {
  std::erase_if(headers, [&](const auto& h) { return SameName(h.first, name); });
  headers.emplace_back(std::move(name), std::move(value));
}

bool ParseHeaderLine(std::string_view line, std::string* name, std::string* value) {
  size_t colon = line.find(':');
  if (colon == std::string_view::npos || colon == 0) return false;
  std::string_view n = line.substr(0, colon);
  for (char c : n) {
    if (!IsTokenChar(c)) return false;
  }
  *name = std::string(n);
  *value = std::string(Trim(line.substr(colon + 1)));
  return true;
}

HttpMessage ParseHttpMessage(std::string_view text) {
  HttpMessage m;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t nl = text.find('\n', pos);
    size_t end = nl == std::string_view::npos ? text.size() : nl;
    std::string_view line = text.substr(pos, end - pos);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    pos = nl == std::string_view::npos ? text.size() : nl + 1;
    if (line.empty()) {
      m.body = std::string(text.substr(pos));
      return m;
    }
    std::string name, value;
    if (ParseHeaderLine(line, &name, &value)) m.headers.emplace_back(name, value);
  }
  return m;
}

Status VerifyWebhook(std::string_view secret, const HttpMessage& msg, int64_t now_s,
                     const VerifyOptions& opts) {
  std::string_view encoded = secret;
  if (encoded.starts_with("whsec_")) encoded.remove_prefix(6);
  std::optional<std::string> key = Base64Decode(encoded);
  if (encoded.empty() || !key || key->empty()) {
    return Status::Invalid("bad secret format: want whsec_<base64>");
  }

  const std::string* id = msg.Find("webhook-id");
  const std::string* ts = msg.Find("webhook-timestamp");
  const std::string* sig = msg.Find("webhook-signature");
  if (!id || id->empty()) return Status::Unauthorized("missing header webhook-id");
  if (!ts || ts->empty()) return Status::Unauthorized("missing header webhook-timestamp");
  if (!sig || sig->empty()) return Status::Unauthorized("missing header webhook-signature");

  if (ts->size() > 15 || ts->find_first_not_of("0123456789") != std::string::npos) {
    return Status::Unauthorized("bad header webhook-timestamp: not unix seconds: " + *ts);
  }
  int64_t timestamp = std::strtoll(ts->c_str(), nullptr, 10);
  if (opts.check_timestamp) {
    int64_t skew = now_s - timestamp;
    if (skew > opts.tolerance_s) {
      return Status::Unauthorized("stale timestamp: webhook-timestamp is " +
                                  std::to_string(skew) + " s old (tolerance " +
                                  std::to_string(opts.tolerance_s) + " s)");
    }
    if (-skew > opts.tolerance_s) {
      return Status::Unauthorized("timestamp in the future: webhook-timestamp is " +
                                  std::to_string(-skew) + " s ahead (tolerance " +
                                  std::to_string(opts.tolerance_s) + " s)");
    }
  }

  const std::string expected = StandardWebhookSignature(*key, *id, timestamp, msg.body);
  bool matched = false;
  std::string_view rest = *sig;
  while (!rest.empty()) {
    size_t sp = rest.find(' ');
    std::string_view entry = rest.substr(0, sp);
    rest = sp == std::string_view::npos ? std::string_view() : rest.substr(sp + 1);
    // Every entry is compared, so the time taken does not say which one matched.
    if (entry.starts_with("v1,") && ConstantTimeEquals(entry, expected)) matched = true;
  }
  if (!matched) return Status::Unauthorized("no signature matched");
  return Status::Ok();
}

}  // namespace tock::cli
