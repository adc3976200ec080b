// Fixed-width big-endian integers and length-prefixed strings: the on-disk encoding of keys
// and records. Big-endian so that RocksDB's bytewise order is numeric order.
//
// Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace tock {

inline void PutFixed64BE(std::string* dst, uint64_t v) {
  char buf[8];
  for (int i = 7; i >= 0; --i) {
    buf[i] = static_cast<char>(v & 0xff);
    v >>= 8;
  }
  dst->append(buf, 8);
}

inline void PutFixed32BE(std::string* dst, uint32_t v) {
  char buf[4];
  for (int i = 3; i >= 0; --i) {
    buf[i] = static_cast<char>(v & 0xff);
    v >>= 8;
  }
  dst->append(buf, 4);
}

// REQUIRES: p points at >= 8 readable bytes.
inline uint64_t DecodeFixed64BE(const char* p) {
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v = (v << 8) | static_cast<uint8_t>(p[i]);
  return v;
}

// REQUIRES: p points at >= 4 readable bytes.
inline uint32_t DecodeFixed32BE(const char* p) {
  uint32_t v = 0;
  for (int i = 0; i < 4; ++i) v = (v << 8) | static_cast<uint8_t>(p[i]);
  return v;
}

// Signed values (times) are stored with the sign bit flipped so that negative values sort
// before positive ones; tock's times are all positive, but the order must never lie.
inline void PutInt64BE(std::string* dst, int64_t v) {
  PutFixed64BE(dst, static_cast<uint64_t>(v) ^ (uint64_t{1} << 63));
}
inline int64_t DecodeInt64BE(const char* p) {
  return static_cast<int64_t>(DecodeFixed64BE(p) ^ (uint64_t{1} << 63));
}

// A cursor over an encoded record. Each Get* returns false when the input is short, so a
// corrupt record is reported instead of read past its end.
class Decoder {
 public:
  explicit Decoder(std::string_view in) : in_(in) {}
  bool GetU64(uint64_t* v) {
    if (in_.size() < 8) return false;
    *v = DecodeFixed64BE(in_.data());
    in_.remove_prefix(8);
    return true;
  }
  bool GetI64(int64_t* v) {
    if (in_.size() < 8) return false;
    *v = DecodeInt64BE(in_.data());
    in_.remove_prefix(8);
    return true;
  }
  bool GetU32(uint32_t* v) {
    if (in_.size() < 4) return false;
    *v = DecodeFixed32BE(in_.data());
    in_.remove_prefix(4);
    return true;
  }
  bool GetU8(uint8_t* v) {
    if (in_.empty()) return false;
    *v = static_cast<uint8_t>(in_[0]);
    in_.remove_prefix(1);
    return true;
  }
  bool GetString(std::string* v) {
    uint32_t n;
    if (!GetU32(&n) || in_.size() < n) return false;
    v->assign(in_.data(), n);
    in_.remove_prefix(n);
    return true;
  }
  bool empty() const { return in_.empty(); }

 private:
  std::string_view in_;
};

inline void PutString(std::string* dst, std::string_view s) {
  PutFixed32BE(dst, static_cast<uint32_t>(s.size()));
  dst->append(s);
}

}  // namespace tock
