#include "callback/address_guard.h"

#include <arpa/inet.h>
#include <ifaddrs.h>
#include <netinet/in.h>

#include <cstring>

namespace tock {
namespace {

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// Parses a literal IPv4 or IPv6 address (no brackets, no zone) into 16 bytes.
bool ParseAddress(std::string_view text, std::array<uint8_t, 16>* bytes, bool* v6) {
  if (text.empty() || text.size() > 45) return false;
  const std::string s(text);
  bytes->fill(0);
  if (inet_pton(AF_INET, s.c_str(), bytes->data()) == 1) {
    *v6 = false;
    return true;
  }
  if (inet_pton(AF_INET6, s.c_str(), bytes->data()) == 1) {
    *v6 = true;
    return true;
  }
  return false;
}

// ::ffff:a.b.c.d is a.b.c.d.
void Unmap(const uint8_t* in, bool in_v6, uint8_t out[16], bool* v6) {
  static const uint8_t kMapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
  std::memset(out, 0, 16);
  if (in_v6 && std::memcmp(in, kMapped, 12) == 0) {
    std::memcpy(out, in + 12, 4);
    *v6 = false;
    return;
  }
  std::memcpy(out, in, in_v6 ? 16 : 4);
  *v6 = in_v6;
}

}  // namespace

Result<AddressGuard> AddressGuard::Parse(std::string_view deny, std::string_view allow) {
  AddressGuard g;
  for (auto [list, out] : {std::pair{deny, &g.deny_}, std::pair{allow, &g.allow_}}) {
    while (!list.empty()) {
      const size_t comma = list.find(',');
      const std::string_view entry = Trim(list.substr(0, comma));
      list = comma == std::string_view::npos ? std::string_view() : list.substr(comma + 1);
      if (entry.empty()) continue;
      Block b;
      const size_t slash = entry.find('/');
      if (!ParseAddress(entry.substr(0, slash), &b.bytes, &b.v6)) {
        return Status::Invalid("'" + std::string(entry) + "' is not an address or CIDR block");
      }
      const int max_prefix = b.v6 ? 128 : 32;
      b.prefix = max_prefix;
      if (slash != std::string_view::npos) {
        const std::string_view p = entry.substr(slash + 1);
        int n = 0;
        bool ok = !p.empty() && p.size() <= 3;
        for (char c : p) {
          ok = ok && c >= '0' && c <= '9';
          n = n * 10 + (c - '0');
        }
        if (!ok || n > max_prefix) {
          return Status::Invalid("'" + std::string(entry) + "': the prefix length must be 0 to " +
                                 std::to_string(max_prefix));
        }
        b.prefix = n;
      }
      out->push_back(b);
    }
  }
  return g;
}

bool AddressGuard::DenyEndpoint(std::string_view host, int port) {
  if (port <= 0 || port > 65535) return false;
  Block b;
  if (!ParseAddress(host, &b.bytes, &b.v6)) return false;
  b.port = port;
  static const std::array<uint8_t, 16> kZero{};
  if (b.bytes != kZero) {
    b.prefix = b.v6 ? 128 : 32;
    endpoints_.push_back(b);
    return true;
  }
  // A wildcard listener answers on loopback and on every local address.
  endpoints_.push_back(Block{{127}, false, 8, port});
  Block v6_loopback{{}, true, 128, port};
  v6_loopback.bytes[15] = 1;
  endpoints_.push_back(v6_loopback);
  ifaddrs* ifs = nullptr;
  if (getifaddrs(&ifs) == 0) {
    for (ifaddrs* i = ifs; i != nullptr; i = i->ifa_next) {
      if (i->ifa_addr == nullptr) continue;
      Block local{{}, false, 32, port};
      if (i->ifa_addr->sa_family == AF_INET) {
        std::memcpy(local.bytes.data(), &reinterpret_cast<sockaddr_in*>(i->ifa_addr)->sin_addr, 4);
      } else if (i->ifa_addr->sa_family == AF_INET6) {
        std::memcpy(local.bytes.data(), &reinterpret_cast<sockaddr_in6*>(i->ifa_addr)->sin6_addr, 16);
        local.v6 = true;
        local.prefix = 128;
      } else {
        continue;
      }
      endpoints_.push_back(local);
    }
    freeifaddrs(ifs);
  }
  return true;
}

bool AddressGuard::Matches(const Block& b, const uint8_t* bytes, bool v6, int port) {
  if (b.v6 != v6) return false;
  if (b.port != 0 && b.port != port) return false;
  const int full = b.prefix / 8;
  if (std::memcmp(b.bytes.data(), bytes, full) != 0) return false;
  const int rest = b.prefix % 8;
  if (rest == 0) return true;
  const uint8_t mask = static_cast<uint8_t>(0xff << (8 - rest));
  return (b.bytes[full] & mask) == (bytes[full] & mask);
}

AddressGuard::Denial AddressGuard::Check(const uint8_t* raw, bool raw_v6, int port) const {
  uint8_t bytes[16];
  bool v6 = false;
  Unmap(raw, raw_v6, bytes, &v6);
  for (const Block& b : endpoints_) {
    if (Matches(b, bytes, v6, port)) return Denial::kSelf;
  }
  bool denied = false;
  for (const Block& b : deny_) {
    if (Matches(b, bytes, v6, port)) {
      denied = true;
      break;
    }
  }
  if (!denied) return Denial::kNone;
  for (const Block& b : allow_) {
    if (Matches(b, bytes, v6, port)) return Denial::kNone;
  }
  return Denial::kListed;
}

bool AddressGuard::Denied(const sockaddr* addr, socklen_t len) const {
  if (addr->sa_family == AF_INET && len >= static_cast<socklen_t>(sizeof(sockaddr_in))) {
    const auto* in = reinterpret_cast<const sockaddr_in*>(addr);
    return Check(reinterpret_cast<const uint8_t*>(&in->sin_addr), false, ntohs(in->sin_port)) !=
           Denial::kNone;
  }
  if (addr->sa_family == AF_INET6 && len >= static_cast<socklen_t>(sizeof(sockaddr_in6))) {
    const auto* in6 = reinterpret_cast<const sockaddr_in6*>(addr);
    return Check(reinterpret_cast<const uint8_t*>(&in6->sin6_addr), true,
                 ntohs(in6->sin6_port)) != Denial::kNone;
  }
  return true;  // not IP: never a callback
}

AddressGuard::Denial AddressGuard::CheckLiteral(std::string_view host, int port) const {
  std::array<uint8_t, 16> bytes;
  bool v6 = false;
  if (!ParseAddress(host, &bytes, &v6)) return Denial::kNone;
  return Check(bytes.data(), v6, port);
}

std::string AddressGuard::Describe(const sockaddr* addr, socklen_t len) {
  char buf[INET6_ADDRSTRLEN] = {0};
  if (addr->sa_family == AF_INET && len >= static_cast<socklen_t>(sizeof(sockaddr_in))) {
    const auto* in = reinterpret_cast<const sockaddr_in*>(addr);
    inet_ntop(AF_INET, &in->sin_addr, buf, sizeof buf);
    return std::string(buf) + ":" + std::to_string(ntohs(in->sin_port));
  }
  if (addr->sa_family == AF_INET6 && len >= static_cast<socklen_t>(sizeof(sockaddr_in6))) {
    const auto* in6 = reinterpret_cast<const sockaddr_in6*>(addr);
    inet_ntop(AF_INET6, &in6->sin6_addr, buf, sizeof buf);
    return "[" + std::string(buf) + "]:" + std::to_string(ntohs(in6->sin6_port));
  }
  return "";
}

}  // namespace tock
