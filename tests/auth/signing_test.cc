#include "auth/signing.h"

#include <doctest/doctest.h>

#include <set>
#include <string>
#include <thread>
#include <vector>

namespace tock {
namespace {

std::string Unhex(std::string_view hex) {
  std::string out;
  for (size_t i = 0; i + 1 < hex.size(); i += 2) {
    out.push_back(static_cast<char>(std::stoi(std::string(hex.substr(i, 2)), nullptr, 16)));
  }
  return out;
}

}  // namespace

TEST_SUITE("Signing") {
  TEST_CASE("crypto starts and restarts") {
    CHECK(InitCrypto());
    CHECK(InitCrypto());
  }

  TEST_CASE("SHA-256 matches the FIPS 180-2 vectors") {
    CHECK(Sha256Hex("") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    CHECK(Sha256Hex("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  }

  TEST_CASE("HMAC-SHA256 matches RFC 4231 test cases 2 and 6") {
    CHECK(HexLower(HmacSha256("Jefe", "what do ya want for nothing?")) ==
          "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
    // Case 6: a key longer than the block size is hashed first.
    CHECK(HexLower(HmacSha256(std::string(131, '\xaa'),
                              "Test Using Larger Than Block-Size Key - Hash Key First")) ==
          "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
    CHECK(HmacSha256("k", "m").size() == 32);
  }

  TEST_CASE("HMAC-SHA256 from many threads at once, each with different keys, stays right") {
    // Each thread reuses one keyed context (signing.cc): interleaved keys must not leak.
    const std::string want_jefe = "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843";
    const std::string want_k = HexLower(HmacSha256("k", "m"));
    std::vector<int> wrong(4, 0);
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t) {
      threads.emplace_back([&, t] {
        for (int i = 0; i < 2000; ++i) {
          if (HexLower(HmacSha256("Jefe", "what do ya want for nothing?")) != want_jefe) ++wrong[t];
          if (HexLower(HmacSha256("k", "m")) != want_k) ++wrong[t];
        }
      });
    }
    for (std::thread& th : threads) th.join();
    CHECK(wrong == std::vector<int>(4, 0));
  }

  TEST_CASE("hex is lowercase, two digits per byte") {
    CHECK(HexLower("") == "");
    CHECK(HexLower(std::string("\x00\x0f\xab\xff", 4)) == "000fabff");
  }

  TEST_CASE("base64 round-trips every length and byte value") {
    std::string all;
    for (int i = 0; i < 256; ++i) all.push_back(static_cast<char>(i));
    for (size_t n = 0; n <= all.size(); n += 7) {
      const std::string in = all.substr(0, n);
      const std::string enc = Base64Encode(in);
      CHECK(enc.size() == (n + 2) / 3 * 4);
      const auto dec = Base64Decode(enc);
      REQUIRE(dec.has_value());
      CHECK(*dec == in);
    }
    CHECK(Base64Encode("") == "");
    CHECK(Base64Encode("f") == "Zg==");
    CHECK(Base64Encode("fo") == "Zm8=");
    CHECK(Base64Encode("foo") == "Zm9v");
    CHECK(Base64Encode("\xfb\xff") == "+/8=");  // standard alphabet, not URL-safe
    CHECK(Base64Decode("Zm9vYmFy") == std::optional<std::string>("foobar"));
    CHECK(Base64Decode("") == std::optional<std::string>(""));
  }

  TEST_CASE("base64 decoding rejects malformed input") {
    CHECK_FALSE(Base64Decode("Zg").has_value());  // padding required
    CHECK_FALSE(Base64Decode("Zg=").has_value());
    CHECK_FALSE(Base64Decode("Zg===").has_value());
    CHECK_FALSE(Base64Decode("Z===").has_value());
    CHECK_FALSE(Base64Decode("Zm9v!mFy").has_value());   // outside the alphabet
    CHECK_FALSE(Base64Decode("-_8=").has_value());       // URL-safe alphabet
    CHECK_FALSE(Base64Decode("Zm9v YmFy").has_value());  // embedded space
    CHECK_FALSE(Base64Decode("Zg==Zg==").has_value());   // data after the padding
    CHECK_FALSE(Base64Decode("Zh==").has_value());       // non-zero leftover bits
    CHECK_FALSE(Base64Decode(std::string_view("Zm9v\0mFy", 8)).has_value());
  }

  TEST_CASE("Serendipity signature matches the known vector") {
    CHECK(SerendipitySignature("0123456789abcdefghijklmnopqrstuv", "1700000000", "AbCdEfGh12345678",
                               "f311c80d9c80fb8c9d865c993e909da3") ==
          "NGJhZjdmNmQyYjRkN2YwYTdjNTlmMTIxYzUzODBjNGYzZWVmYTZjMjQxZGI3MDg2MmIwY2EwMDc0ZjJiMDc0"
          "MQ==");
  }

  TEST_CASE("Standard Webhooks signature matches the spec's example") {
    // Cross-checked against the npm standardwebhooks library (Webhook.sign).
    const std::string secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
    const auto key = Base64Decode(std::string_view(secret).substr(6));
    REQUIRE(key.has_value());
    CHECK(StandardWebhookSignature(*key, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330,
                                   R"({"test": 2432232314})") ==
          "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
    CHECK(WebhookSecretFor(*key) == secret);
  }

  TEST_CASE("webhook secret is whsec_ plus base64 of the secret key") {
    CHECK(WebhookSecretFor("abc") == "whsec_YWJj");
    const std::string raw = Unhex("31f290f6bf06298aab4f08d43c3f082cf648a362da2da4b0");
    CHECK(WebhookSecretFor(raw) == "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw");
  }

  TEST_CASE("constant-time comparison") {
    CHECK(ConstantTimeEquals("", ""));
    CHECK(ConstantTimeEquals("abc", "abc"));
    CHECK_FALSE(ConstantTimeEquals("abc", "abd"));
    CHECK_FALSE(ConstantTimeEquals("abc", "ab"));
    CHECK_FALSE(ConstantTimeEquals("", "a"));
    CHECK_FALSE(ConstantTimeEquals(std::string_view("a\0b", 3), std::string_view("a\0c", 3)));
  }

  TEST_CASE("RandomAlnum has the requested length and alphabet") {
    CHECK(RandomAlnum(0).empty());
    std::set<char> seen;
    for (int i = 0; i < 200; ++i) {
      const std::string s = RandomAlnum(32);
      REQUIRE(s.size() == 32);
      for (char c : s) {
        const bool alnum =
            (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
        REQUIRE(alnum);
        seen.insert(c);
      }
    }
    CHECK(seen.size() == 62);  // 6400 draws leave no character out (p ~ 62 * e^-103)
    CHECK(RandomAlnum(16) != RandomAlnum(16));
  }

  TEST_CASE("NameUuid is a version-8 UUID that depends on the name alone") {
    const std::string a = NameUuid("app/cid-1");
    CHECK(a.size() == 36);
    CHECK(a[8] == '-');
    CHECK(a[23] == '-');
    CHECK(a[14] == '8');
    CHECK(std::string_view("89ab").find(a[19]) != std::string_view::npos);
    CHECK(NameUuid("app/cid-1") == a);
    CHECK(NameUuid("app/cid-2") != a);
    // SHA-256("abc") = ba7816bf 8f01 cfea 4141 40de5dae2223b003...
    CHECK(NameUuid("abc") == "ba7816bf-8f01-8fea-8141-40de5dae2223");
  }

  TEST_CASE("TimeOrderedUuid is a version-7 UUID that starts with its millisecond") {
    // 0x0123456789ab ms: the first 12 hex digits, around the first dash.
    const std::string u = TimeOrderedUuid(0x0123456789ab);
    REQUIRE(u.size() == 36);
    CHECK(u.substr(0, 13) == "01234567-89ab");
    CHECK(u[14] == '7');
    CHECK(std::string_view("89ab").find(u[19]) != std::string_view::npos);
    // Within a millisecond they differ; a later millisecond sorts after, as text.
    std::set<std::string> same_ms;
    for (int i = 0; i < 100; ++i) same_ms.insert(TimeOrderedUuid(1796000000000));
    CHECK(same_ms.size() == 100);
    CHECK(*same_ms.rbegin() < TimeOrderedUuid(1796000000001));
    CHECK(TimeOrderedUuid(1796000000000).substr(0, 13) == "01a229f1-2800");
  }

  TEST_CASE("RandomUuid is a lowercase version-4 UUID") {
    std::set<std::string> seen;
    for (int i = 0; i < 100; ++i) {
      const std::string u = RandomUuid();
      REQUIRE(u.size() == 36);
      for (size_t j = 0; j < u.size(); ++j) {
        if (j == 8 || j == 13 || j == 18 || j == 23) {
          CHECK(u[j] == '-');
        } else {
          const bool hex = (u[j] >= '0' && u[j] <= '9') || (u[j] >= 'a' && u[j] <= 'f');
          CHECK(hex);
        }
      }
      CHECK(u[14] == '4');
      CHECK(std::string_view("89ab").find(u[19]) != std::string_view::npos);
      seen.insert(u);
    }
    CHECK(seen.size() == 100);
  }
}

}  // namespace tock
