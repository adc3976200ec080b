// DESIGN: every primitive here is a thin wrapper over libsodium, so that the rest of tock
// never includes <sodium.h> and never sees libsodium's int return codes (they are converted
// here, once). Inputs are hashed incrementally where that saves a copy: the Serendipity and
// Standard Webhooks messages are fed to HMAC piece by piece instead of being concatenated.
// HMAC-SHA256 takes keys of any length (longer than 64 bytes: hashed first, per RFC 2104).
#include "auth/signing.h"

#include <sodium.h>

#include <algorithm>
#include <array>

namespace tock {
namespace {

using HmacState = crypto_auth_hmacsha256_state;

const unsigned char* Bytes(std::string_view s) {
  // Never null: libsodium declares its pointers nonnull even for length 0 (string_view{}).
  return reinterpret_cast<const unsigned char*>(s.data() != nullptr ? s.data() : "");
}

void HmacUpdate(HmacState* state, std::string_view piece) {
  crypto_auth_hmacsha256_update(state, Bytes(piece), piece.size());
}

std::string HmacFinal(HmacState* state) {
  std::string mac(crypto_auth_hmacsha256_BYTES, '\0');
  crypto_auth_hmacsha256_final(state, reinterpret_cast<unsigned char*>(mac.data()));
  sodium_memzero(state, sizeof *state);
  return mac;
}

}  // namespace

bool InitCrypto() {
  // sodium_init() is thread-safe and idempotent (0 = started, 1 = already running); the
  // magic static just spares later callers its internal lock.
  static const bool started = sodium_init() >= 0;
  return started;
}

std::string Sha256Hex(std::string_view data) {
  std::array<unsigned char, crypto_hash_sha256_BYTES> digest;
  crypto_hash_sha256(digest.data(), Bytes(data), data.size());
  return HexLower(std::string_view(reinterpret_cast<const char*>(digest.data()), digest.size()));
}

std::string HmacSha256(std::string_view key, std::string_view msg) {
  HmacState state;
  crypto_auth_hmacsha256_init(&state, Bytes(key), key.size());
  HmacUpdate(&state, msg);
  return HmacFinal(&state);
}

std::string HexLower(std::string_view bytes) {
  // sodium_bin2hex writes a NUL after the 2n digits; it is cut off again by resize().
  std::string hex(bytes.size() * 2 + 1, '\0');
  sodium_bin2hex(hex.data(), hex.size(), Bytes(bytes), bytes.size());
  hex.resize(bytes.size() * 2);
  return hex;
}

std::string Base64Encode(std::string_view bytes) {
  const size_t encoded_len =
      sodium_base64_ENCODED_LEN(bytes.size(), sodium_base64_VARIANT_ORIGINAL);  // with NUL
  std::string out(encoded_len, '\0');
  sodium_bin2base64(out.data(), out.size(), Bytes(bytes), bytes.size(),
                    sodium_base64_VARIANT_ORIGINAL);
  out.resize(encoded_len - 1);
  return out;
}

std::optional<std::string> Base64Decode(std::string_view text) {
  // Padded standard base64 is always a multiple of 4 long; libsodium checks the alphabet,
  // the padding and that no bits are left over. With b64_end == nullptr it also refuses input
  // that is not consumed to the end, so "QUJD garbage" fails instead of decoding a prefix.
  if (text.size() % 4 != 0) return std::nullopt;
  std::string out(text.size() / 4 * 3, '\0');
  size_t out_len = 0;
  if (sodium_base642bin(reinterpret_cast<unsigned char*>(out.data()), out.size(), text.data(),
                        text.size(), /*ignore=*/nullptr, &out_len, /*b64_end=*/nullptr,
                        sodium_base64_VARIANT_ORIGINAL) != 0) {
    return std::nullopt;
  }
  out.resize(out_len);
  return out;
}

std::string SerendipitySignature(std::string_view secret, std::string_view timestamps,
                                 std::string_view nonce, std::string_view payload) {
  HmacState state;
  crypto_auth_hmacsha256_init(&state, Bytes(secret), secret.size());
  HmacUpdate(&state, timestamps);
  HmacUpdate(&state, nonce);
  HmacUpdate(&state, payload);
  return Base64Encode(HexLower(HmacFinal(&state)));
}

std::string StandardWebhookSignature(std::string_view secret_bytes, std::string_view msg_id,
                                     int64_t timestamp_s, std::string_view body) {
  const std::string ts = std::to_string(timestamp_s);
  HmacState state;
  crypto_auth_hmacsha256_init(&state, Bytes(secret_bytes), secret_bytes.size());
  HmacUpdate(&state, msg_id);
  HmacUpdate(&state, ".");
  HmacUpdate(&state, ts);
  HmacUpdate(&state, ".");
  HmacUpdate(&state, body);
  return "v1," + Base64Encode(HmacFinal(&state));
}

std::string WebhookSecretFor(std::string_view key_bytes) {
  return "whsec_" + Base64Encode(key_bytes);
}

std::string RandomBytes(size_t n) {
  InitCrypto();
  std::string out(n, '\0');
  randombytes_buf(out.data(), n);
  return out;
}

namespace {
constexpr size_t kCallbackNonceRandom = 8;
constexpr size_t kCallbackNonceTag = 8;

std::string CallbackNonceTag(std::string_view random_part, std::string_view secret) {
  HmacState state;
  crypto_auth_hmacsha256_init(&state, Bytes(secret), secret.size());
  HmacUpdate(&state, "tock-callback:");
  HmacUpdate(&state, random_part);
  const std::string mac = HmacFinal(&state);
  std::string tag;
  tag.reserve(kCallbackNonceTag);
  for (size_t i = 0; i < kCallbackNonceTag; ++i) {
    tag.push_back(kAlnumAlphabet[static_cast<unsigned char>(mac[i]) % (sizeof kAlnumAlphabet - 1)]);
  }
  return tag;
}
}  // namespace

std::string CallbackNonce(std::string_view secret) {
  std::string nonce = RandomAlnum(kCallbackNonceRandom);
  nonce += CallbackNonceTag(nonce, secret);
  return nonce;
}

bool IsCallbackNonce(std::string_view nonce, std::string_view secret) {
  if (nonce.size() != kCallbackNonceRandom + kCallbackNonceTag) return false;
  return ConstantTimeEquals(nonce.substr(kCallbackNonceRandom),
                            CallbackNonceTag(nonce.substr(0, kCallbackNonceRandom), secret));
}

bool ConstantTimeEquals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  if (a.empty()) return true;
  return sodium_memcmp(a.data(), b.data(), a.size()) == 0;
}

std::string RandomAlnum(size_t n) {
  static constexpr uint32_t kAlphabetSize = sizeof kAlnumAlphabet - 1;  // 62
  InitCrypto();
  // Bytes at or above 248 (the largest multiple of 62 that fits a byte) are rejected, so
  // every character is exactly uniform (a plain "% 62" would favour the first 8).
  static constexpr unsigned kLimit = 256 - 256 % kAlphabetSize;  // 248
  // A thread's random bytes come from the CSPRNG 4 KiB at a time: one getrandom per ~120
  // nonces instead of one per callback. Bytes are used once and never leave the thread.
  thread_local std::array<unsigned char, 4096> pool;
  thread_local size_t used = pool.size();
  std::string out;
  out.reserve(n);
  while (out.size() < n) {
    if (used == pool.size()) {
      randombytes_buf(pool.data(), pool.size());
      used = 0;
    }
    const unsigned char b = pool[used++];
    if (b >= kLimit) continue;
    out.push_back(kAlnumAlphabet[b % kAlphabetSize]);
  }
  return out;
}

namespace {
// 16 bytes as a UUID of `version`: its version nibble and the RFC 4122 variant set.
std::string FormatUuid(std::array<unsigned char, 16> b, unsigned version) {
  b[6] = static_cast<unsigned char>((b[6] & 0x0f) | (version << 4));
  b[8] = static_cast<unsigned char>((b[8] & 0x3f) | 0x80);  // variant 10xx (RFC 4122)
  const std::string hex =
      HexLower(std::string_view(reinterpret_cast<const char*>(b.data()), b.size()));
  std::string out;
  out.reserve(36);
  out.append(hex, 0, 8).append(1, '-');
  out.append(hex, 8, 4).append(1, '-');
  out.append(hex, 12, 4).append(1, '-');
  out.append(hex, 16, 4).append(1, '-');
  out.append(hex, 20, 12);
  return out;
}
}  // namespace

std::string RandomUuid() {
  InitCrypto();
  std::array<unsigned char, 16> b;
  randombytes_buf(b.data(), b.size());
  return FormatUuid(b, 4);
}

std::string TimeOrderedUuid(int64_t unix_ms) {
  InitCrypto();
  std::array<unsigned char, 16> b;
  randombytes_buf(b.data(), b.size());
  const uint64_t ms = static_cast<uint64_t>(std::max<int64_t>(0, unix_ms));
  for (int i = 0; i < 6; ++i) b[i] = static_cast<unsigned char>(ms >> (8 * (5 - i)));
  return FormatUuid(b, 7);
}

std::string NameUuid(std::string_view name) {
  InitCrypto();
  std::array<unsigned char, crypto_hash_sha256_BYTES> digest;
  crypto_hash_sha256(digest.data(), Bytes(name), name.size());
  std::array<unsigned char, 16> b;
  std::copy_n(digest.begin(), b.size(), b.begin());
  return FormatUuid(b, 8);
}

}  // namespace tock
