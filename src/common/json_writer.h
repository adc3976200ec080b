// JsonWriter: builds compact JSON text by appending to a string. No DOM, no allocation
// beyond the output; used for every response body and every callback body.
//
//   JsonWriter w;
//   w.BeginObject(); w.Key("code"); w.Int(0); w.Key("msg"); w.String("ok"); w.EndObject();
//
// The writer inserts commas itself; callers only pair Begin/End and Key/value.
// Thread-safety: none; one writer per thread.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace tock {

// Appends s to out as a JSON string literal (quotes included), escaping as RFC 8259 needs.
void AppendJsonString(std::string* out, std::string_view s);

class JsonWriter {
 public:
  JsonWriter() { first_.push_back(true); }

  void BeginObject() { Separate(); out_ += '{'; first_.push_back(true); }
  void EndObject() { out_ += '}'; first_.pop_back(); }
  void BeginArray() { Separate(); out_ += '['; first_.push_back(true); }
  void EndArray() { out_ += ']'; first_.pop_back(); }
  void Key(std::string_view k) {
    Separate();
    AppendJsonString(&out_, k);
    out_ += ':';
    after_key_ = true;
  }
  void String(std::string_view s) { Separate(); AppendJsonString(&out_, s); }
  void Int(int64_t v) { Separate(); out_ += std::to_string(v); }
  void Uint(uint64_t v) { Separate(); out_ += std::to_string(v); }
  void Bool(bool v) { Separate(); out_ += v ? "true" : "false"; }
  // The shortest text that reads back as v; null for NaN and infinities (not JSON).
  void Double(double v);
  void Null() { Separate(); out_ += "null"; }
  // REQUIRES: json is one complete, valid JSON value.
  void Raw(std::string_view json) { Separate(); out_ += json; }

  const std::string& str() const { return out_; }
  std::string Take() { return std::move(out_); }

 private:
  void Separate() {
    if (after_key_) {
      after_key_ = false;
      return;
    }
    if (!first_.back()) out_ += ',';
    first_.back() = false;
  }

  std::string out_;
  std::vector<bool> first_;  // per open container: nothing written in it yet
  bool after_key_ = false;
};

}  // namespace tock
