// Signing primitives for both schemes tock speaks (libsodium underneath):
// - the Serendipity header set (SPEC §2):
//     signature = base64( lowercase_hex( HMAC-SHA256(key = secret, msg = timestamps ‖ nonce ‖ payload) ) )
// - Standard Webhooks (SPEC §5):
//     webhook-signature = "v1," + base64( HMAC-SHA256(key = secret bytes, msg = id "." ts "." body) )
//
// Thread-safety: pure functions; safe from any thread once InitCrypto() has run.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace tock {

// Initialises libsodium. Idempotent; returns false if the library cannot start.
bool InitCrypto();

std::string Sha256Hex(std::string_view data);                        // 64 lowercase hex chars
std::string HmacSha256(std::string_view key, std::string_view msg);  // 32 raw bytes
std::string HexLower(std::string_view bytes);
std::string Base64Encode(std::string_view bytes);                    // standard alphabet, padded
std::optional<std::string> Base64Decode(std::string_view text);      // standard alphabet, padded

// base64(hex(HMAC-SHA256(secret, timestamps + nonce + payload))).
std::string SerendipitySignature(std::string_view secret, std::string_view timestamps,
                                 std::string_view nonce, std::string_view payload);

// "v1," + base64(HMAC-SHA256(secret_bytes, msg_id + "." + timestamp + "." + body)).
std::string StandardWebhookSignature(std::string_view secret_bytes, std::string_view msg_id,
                                     int64_t timestamp_s, std::string_view body);

// "whsec_" + base64(key bytes): the form public Standard Webhooks libraries take.
std::string WebhookSecretFor(std::string_view key_bytes);
// n bytes from the CSPRNG (a new application's webhook key).
std::string RandomBytes(size_t n);

// Callback nonces: 16 characters, 8 random ones and 8 that tag them with the application's
// secret (HMAC-SHA256 over "tock-callback:" + the random part). tock refuses a signed
// request whose nonce carries a valid tag, so a callback's headers, replayed, cannot
// authenticate anything; a client's own random nonce has a valid tag with probability
// 62^-8 (about 5e-15).
std::string CallbackNonce(std::string_view secret);
bool IsCallbackNonce(std::string_view nonce, std::string_view secret);

// Compares in time that depends only on the lengths, not on where the bytes differ.
bool ConstantTimeEquals(std::string_view a, std::string_view b);

// n characters from [A-Za-z0-9], from the OS CSPRNG.
std::string RandomAlnum(size_t n);
// The 62 characters RandomAlnum draws from (A-Z, a-z, 0-9), for other generators of ids.
inline constexpr char kAlnumAlphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

// A random version-4 UUID, lowercase "xxxxxxxx-xxxx-4xxx-yxxx-xxxxxxxxxxxx".
std::string RandomUuid();
// A version-7 UUID (RFC 9562): unix_ms as 48 big-endian bits, then 74 random bits. Those made
// in a later millisecond sort after (as bytes and as text), so an index of generated taskNos
// grows at its end instead of taking each insert at a random place (a B-tree page read and
// split anywhere in PostgreSQL, overlapping compactions in RocksDB).
std::string TimeOrderedUuid(int64_t unix_ms);
// The UUID of a name: the first 16 bytes of SHA-256(name) as a version-8 (RFC 9562,
// "custom") UUID, "xxxxxxxx-xxxx-8xxx-yxxx-xxxxxxxxxxxx". The same name, the same UUID.
std::string NameUuid(std::string_view name);

}  // namespace tock
