#include "callback/body_sink.h"

#include <algorithm>
#include <string_view>

namespace tock {
namespace {

constexpr std::string_view kSuccess = "success";

bool IsAsciiSpace(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r';
}

}  // namespace

bool BodySink::Append(const char* data, size_t n) {
  if (n > max_bytes_ - total_) {  // total_ <= max_bytes_ always holds
    Consume(data, max_bytes_ - total_);
    too_large_ = true;
    return false;
  }
  Consume(data, n);
  return true;
}

void BodySink::Consume(const char* data, size_t n) {
  total_ += n;
  if (prefix_.size() < kPrefixBytes) {
    prefix_.append(data, std::min(n, kPrefixBytes - prefix_.size()));
  }
  // O(n) until the first byte that rules "success" out, O(1) per chunk after that.
  for (size_t i = 0; i < n && match_ != Match::kNo; ++i) {
    const char c = data[i];
    switch (match_) {
      case Match::kLeading:
        if (c == kSuccess[0]) {
          match_ = Match::kWord;
          matched_ = 1;
        } else if (!IsAsciiSpace(c)) {
          match_ = Match::kNo;
        }
        break;
      case Match::kWord:
        if (matched_ < kSuccess.size() && c == kSuccess[matched_]) {
          ++matched_;
        } else if (matched_ == kSuccess.size() && IsAsciiSpace(c)) {
          match_ = Match::kTrailing;
        } else {
          match_ = Match::kNo;
        }
        break;
      case Match::kTrailing:
        if (!IsAsciiSpace(c)) match_ = Match::kNo;
        break;
      case Match::kNo:
        break;
    }
  }
}

bool BodySink::is_success() const {
  return match_ == Match::kTrailing || (match_ == Match::kWord && matched_ == kSuccess.size());
}

}  // namespace tock
