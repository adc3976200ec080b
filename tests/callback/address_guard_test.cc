#include "callback/address_guard.h"

#include <arpa/inet.h>
#include <doctest/doctest.h>
#include <netinet/in.h>

#include <cstring>

namespace tock {
namespace {

sockaddr_in V4(const char* ip, int port) {
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<uint16_t>(port));
  inet_pton(AF_INET, ip, &a.sin_addr);
  return a;
}

sockaddr_in6 V6(const char* ip, int port) {
  sockaddr_in6 a{};
  a.sin6_family = AF_INET6;
  a.sin6_port = htons(static_cast<uint16_t>(port));
  inet_pton(AF_INET6, ip, &a.sin6_addr);
  return a;
}

bool Denied(const AddressGuard& g, const sockaddr_in& a) {
  return g.Denied(reinterpret_cast<const sockaddr*>(&a), sizeof a);
}
bool Denied(const AddressGuard& g, const sockaddr_in6& a) {
  return g.Denied(reinterpret_cast<const sockaddr*>(&a), sizeof a);
}

}  // namespace

TEST_SUITE("AddressGuard") {
  TEST_CASE("the default denies link-local, unspecified, multicast; loopback and LANs pass") {
    Result<AddressGuard> g = AddressGuard::Parse(AddressGuard::kDefaultDeny, "");
    REQUIRE(g.ok());
    CHECK(Denied(*g, V4("169.254.169.254", 80)));  // cloud metadata
    CHECK(Denied(*g, V4("0.0.0.0", 80)));
    CHECK(Denied(*g, V4("224.0.0.1", 80)));
    CHECK(Denied(*g, V4("255.255.255.255", 80)));
    CHECK(Denied(*g, V6("fe80::1", 80)));
    CHECK(Denied(*g, V6("::", 80)));
    CHECK(Denied(*g, V6("ff02::1", 80)));
    // IPv4-mapped IPv6 is the IPv4 address.
    CHECK(Denied(*g, V6("::ffff:169.254.169.254", 80)));
    CHECK_FALSE(Denied(*g, V4("127.0.0.1", 80)));
    CHECK_FALSE(Denied(*g, V4("10.1.2.3", 80)));
    CHECK_FALSE(Denied(*g, V4("192.168.1.1", 80)));
    CHECK_FALSE(Denied(*g, V6("::1", 80)));
    CHECK_FALSE(Denied(*g, V4("93.184.216.34", 443)));
    CHECK(g->DeniedLiteral("169.254.169.254", 80));
    CHECK_FALSE(g->DeniedLiteral("example.com", 80));  // a name: checked once resolved
  }

  TEST_CASE("allow blocks are exceptions; prefixes match bit by bit") {
    Result<AddressGuard> g = AddressGuard::Parse("10.0.0.0/8, 172.16.0.0/12", "10.1.0.0/16");
    REQUIRE(g.ok());
    CHECK(Denied(*g, V4("10.2.0.1", 80)));
    CHECK_FALSE(Denied(*g, V4("10.1.9.9", 80)));
    CHECK(Denied(*g, V4("172.31.255.255", 80)));
    CHECK_FALSE(Denied(*g, V4("172.32.0.0", 80)));
    CHECK_FALSE(Denied(*g, V4("11.0.0.0", 80)));
    Result<AddressGuard> bare = AddressGuard::Parse("127.0.0.1,::1", "");
    REQUIRE(bare.ok());
    CHECK(Denied(*bare, V4("127.0.0.1", 1)));
    CHECK_FALSE(Denied(*bare, V4("127.0.0.2", 1)));
    CHECK(Denied(*bare, V6("::1", 1)));
  }

  TEST_CASE("tock's own endpoint is denied on its port only; a wildcard covers loopback") {
    Result<AddressGuard> g = AddressGuard::Parse("", "");
    REQUIRE(g.ok());
    CHECK(g->DenyEndpoint("127.0.0.1", 9502));
    CHECK(Denied(*g, V4("127.0.0.1", 9502)));
    CHECK_FALSE(Denied(*g, V4("127.0.0.1", 9503)));
    CHECK(g->DeniedLiteral("127.0.0.1", 9502));
    CHECK_FALSE(g->DenyEndpoint("127.0.0.1", 0));  // not bound yet: nothing denied
    Result<AddressGuard> any = AddressGuard::Parse("", "");
    REQUIRE(any->DenyEndpoint("0.0.0.0", 7000));
    CHECK(Denied(*any, V4("127.0.0.1", 7000)));
    CHECK(Denied(*any, V4("127.8.8.8", 7000)));
    CHECK(Denied(*any, V6("::1", 7000)));
    CHECK_FALSE(Denied(*any, V4("127.0.0.1", 7001)));
  }

  TEST_CASE("no allow block lifts tock's own endpoint; it lifts listed blocks only") {
    Result<AddressGuard> g = AddressGuard::Parse("127.0.0.0/8", "127.0.0.0/8,0.0.0.0/0");
    REQUIRE(g.ok());
    REQUIRE(g->DenyEndpoint("0.0.0.0", 9502));
    CHECK(Denied(*g, V4("127.0.0.1", 9502)));
    CHECK(Denied(*g, V6("::1", 9502)));
    CHECK(g->CheckLiteral("127.0.0.1", 9502) == AddressGuard::Denial::kSelf);
    CHECK_FALSE(Denied(*g, V4("127.0.0.1", 9503)));  // the deny block is lifted by the allow
    CHECK(g->CheckLiteral("127.0.0.1", 9503) == AddressGuard::Denial::kNone);
    Result<AddressGuard> listed = AddressGuard::Parse("10.0.0.0/8", "");
    REQUIRE(listed.ok());
    CHECK(listed->CheckLiteral("10.1.2.3", 80) == AddressGuard::Denial::kListed);
  }

  TEST_CASE("bad lists are refused naming the entry") {
    CHECK(AddressGuard::Parse("10.0.0.0/33", "").status().message().find("10.0.0.0/33") !=
          std::string::npos);
    CHECK_FALSE(AddressGuard::Parse("fe80::/129", "").ok());
    CHECK_FALSE(AddressGuard::Parse("example.com", "").ok());
    CHECK_FALSE(AddressGuard::Parse("", "1.2.3.4/x").ok());
    CHECK_FALSE(AddressGuard::Parse("1.2.3.4/", "").ok());
    CHECK(AddressGuard::Parse(" , ,", "").ok());  // empty entries are ignored
    const sockaddr_in v4 = V4("1.2.3.4", 5);
    CHECK(AddressGuard::Describe(reinterpret_cast<const sockaddr*>(&v4), sizeof v4) == "1.2.3.4:5");
    const sockaddr_in6 v6 = V6("fe80::1", 80);
    CHECK(AddressGuard::Describe(reinterpret_cast<const sockaddr*>(&v6), sizeof v6) == "[fe80::1]:80");
  }
}

}  // namespace tock
