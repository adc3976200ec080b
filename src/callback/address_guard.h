// AddressGuard: which network addresses a callback may connect to (the SSRF guard).
//
// A callback URL is chosen by whoever holds the admin token, but the address it reaches is
// chosen by DNS at the moment of the attempt. So the guard is asked twice:
//   - at /application/create|update, for a linkUrl whose host is a literal address
//     (DeniedLiteral): 400 at once;
//   - for every connection the client opens, on the address it actually connects to, after
//     resolution (Denied(sockaddr)), so a name that resolves to a denied address fails the
//     attempt ("address denied") and there is no window between checking and connecting
//     (DNS rebinding).
//
// Rules: a list of denied CIDR blocks, a list of allowed CIDR blocks that are exceptions to
// it, and denied endpoints (address + port: tock's own listen address, so a callback cannot
// call tock itself). An address is denied when an endpoint matches (always: no allow block
// lifts it, or a broad exception such as 127.0.0.0/8 would let tock call itself), or when a
// deny block matches and no allow block does. IPv4-mapped IPv6 addresses (::ffff:a.b.c.d)
// are checked as the IPv4 address.
//
//   Result<AddressGuard> g = AddressGuard::Parse(AddressGuard::kDefaultDeny, "");
//   g->DenyEndpoint("127.0.0.1", 9502);
//   g->DeniedLiteral("169.254.169.254", 80);  // true
//
// Thread-safety: immutable after set-up; Denied* may be called from any thread.
#pragma once

#include <sys/socket.h>

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace tock {

class AddressGuard {
 public:
  // Link-local (cloud metadata lives at 169.254.169.254), "this network" and the
  // unspecified address, multicast and broadcast. Loopback and private ranges stay allowed:
  // tock often calls services on the same host or LAN.
  static constexpr std::string_view kDefaultDeny =
      "169.254.0.0/16,fe80::/10,0.0.0.0/8,::/128,224.0.0.0/4,ff00::/8,255.255.255.255/32";

  // Comma-separated CIDR blocks ("10.0.0.0/8", "fd00::/8"; a bare address is /32 or /128);
  // spaces around entries are ignored; empty lists are fine. Invalid: names the entry.
  static Result<AddressGuard> Parse(std::string_view deny, std::string_view allow);

  // Denies host:port in addition to the blocks, whatever the allow blocks say. A
  // wildcard host (0.0.0.0 or ::) denies the port on every loopback and local interface
  // address. An invalid host or port (0: not bound yet) is ignored (returns false).
  // REQUIRES: no other thread uses the guard yet.
  bool DenyEndpoint(std::string_view host, int port);

  // The address the client is about to connect to.
  bool Denied(const sockaddr* addr, socklen_t len) const;
  // `host` as it appears in a URL (no brackets). A name (not an address) is never denied
  // here: it is checked when it has been resolved.
  enum class Denial { kNone, kListed, kSelf };  // kSelf: tock's own endpoint
  Denial CheckLiteral(std::string_view host, int port) const;
  bool DeniedLiteral(std::string_view host, int port) const {
    return CheckLiteral(host, port) != Denial::kNone;
  }

  // "169.254.169.254:80" / "[fe80::1]:80" for error messages; "" for other families.
  static std::string Describe(const sockaddr* addr, socklen_t len);

 private:
  struct Block {
    std::array<uint8_t, 16> bytes{};  // IPv4 in the first 4 bytes
    bool v6 = false;
    int prefix = 0;
    int port = 0;  // 0: any port
  };
  static bool Matches(const Block& b, const uint8_t* bytes, bool v6, int port);
  Denial Check(const uint8_t* bytes, bool v6, int port) const;

  std::vector<Block> deny_;
  std::vector<Block> allow_;
  std::vector<Block> endpoints_;  // DenyEndpoint's: not subject to allow_
};

}  // namespace tock
