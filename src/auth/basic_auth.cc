// DESIGN: both parsers split "<scheme> <value>" the same way (SplitScheme) and then check the
// value strictly. Being strict costs nothing here: a header we cannot read is simply a 401.
#include "auth/basic_auth.h"

#include "auth/signing.h"

namespace tock {
namespace {

bool IsSpace(char c) { return c == ' ' || c == '\t'; }

std::string_view Trim(std::string_view s) {
  while (!s.empty() && IsSpace(s.front())) s.remove_prefix(1);
  while (!s.empty() && IsSpace(s.back())) s.remove_suffix(1);
  return s;
}

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    char x = a[i], y = b[i];
    if (x >= 'A' && x <= 'Z') x = static_cast<char>(x - 'A' + 'a');
    if (y >= 'A' && y <= 'Z') y = static_cast<char>(y - 'A' + 'a');
    if (x != y) return false;
  }
  return true;
}

// The value after "<scheme><1*SP>", or nullopt if the header has another scheme or no value.
std::optional<std::string_view> SplitScheme(std::string_view header, std::string_view scheme) {
  header = Trim(header);
  if (header.size() <= scheme.size() ||
      !EqualsIgnoreCase(header.substr(0, scheme.size()), scheme) ||
      !IsSpace(header[scheme.size()])) {
    return std::nullopt;
  }
  std::string_view value = Trim(header.substr(scheme.size()));
  if (value.empty()) return std::nullopt;
  return value;
}

bool HasControl(std::string_view s) {
  for (char c : s) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7f) return true;
  }
  return false;
}

}  // namespace

std::optional<std::pair<std::string, std::string>> ParseBasicAuth(
    std::string_view authorization_header) {
  const std::optional<std::string_view> value = SplitScheme(authorization_header, "Basic");
  if (!value) return std::nullopt;
  std::optional<std::string> decoded = Base64Decode(*value);
  if (!decoded) return std::nullopt;
  const size_t colon = decoded->find(':');
  if (colon == std::string::npos) return std::nullopt;
  std::string user = decoded->substr(0, colon);
  std::string pass = decoded->substr(colon + 1);
  // RFC 7617 §2: neither part may contain control characters. A NUL in a key would also
  // make logs and lookups lie about which key was presented.
  if (HasControl(user) || HasControl(pass)) return std::nullopt;
  return std::make_pair(std::move(user), std::move(pass));
}

std::optional<std::string> ParseBearer(std::string_view header) {
  const std::optional<std::string_view> value = SplitScheme(header, "Bearer");
  if (!value) return std::nullopt;
  for (char c : *value) {
    if (c < 0x21 || c > 0x7e) return std::nullopt;
  }
  return std::string(*value);
}

}  // namespace tock
