// BodySink: what the sender keeps of a callback response body, fed chunk by chunk as it
// arrives, in memory bounded by kPrefixBytes whatever the body's size:
//   - the first kPrefixBytes bytes (recorded with the attempt),
//   - whether the whole body, trimmed of ASCII whitespace, is exactly "success" (SPEC §5),
//     decided by a small state machine, so a body of any length is checked without
//     buffering it,
//   - whether the body went over the limit (the caller then drops the connection).
//
//   BodySink sink(65536);
//   sink.Append("  succ", 6); sink.Append("ess\n", 4);   // true, true
//   sink.is_success();                                    // true
//
// Owner: one per attempt, on the sending thread's stack. Thread-safety: none needed.
#pragma once

#include <cstddef>
#include <string>

namespace tock {

class BodySink {
 public:
  static constexpr size_t kPrefixBytes = 1024;

  explicit BodySink(size_t max_bytes) : max_bytes_(max_bytes) {}

  // Takes the next n bytes of the body. Returns false, keeping only the bytes up to the
  // limit, once the body is longer than max_bytes; the read must then stop.
  bool Append(const char* data, size_t n);

  const std::string& prefix() const { return prefix_; }
  size_t total_bytes() const { return total_; }
  bool too_large() const { return too_large_; }
  // The body so far, trimmed of ASCII whitespace (space, \t, \n, \v, \f, \r), is "success".
  bool is_success() const;

 private:
  enum class Match { kLeading, kWord, kTrailing, kNo };

  void Consume(const char* data, size_t n);

  size_t max_bytes_;
  size_t total_ = 0;
  bool too_large_ = false;
  std::string prefix_;
  // Invariants: kLeading: only whitespace so far; kWord: whitespace then the first
  // matched_ bytes of "success" (1..7); kTrailing: the full word then only whitespace;
  // kNo: anything else (final).
  Match match_ = Match::kLeading;
  size_t matched_ = 0;
};

}  // namespace tock
