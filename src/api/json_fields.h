// JSON request bodies: parsing (simdjson DOM) and typed field access whose errors name the
// field and the rule, e.g. "field 'timeout': must be an integer from 1 to 600000".
//
// Include only from api/*.cc: simdjson's header is heavy.
//
// Thread-safety: ParseJsonBody uses a thread-local parser; a parsed document is valid until
// the same thread parses the next one, so handlers must finish with it before that.
#pragma once

#include <simdjson.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "common/status.h"

namespace tock::api {

// Parses the raw body; it must be a JSON object. Errors: "request body is not valid JSON
// (...)", "request body must be a JSON object".
Result<simdjson::dom::object> ParseJsonBody(std::string_view body);

// Every number is checked against the JSON grammar ("field 'content.a': 1-2 is not a valid
// JSON number"); any valid JSON object up to 64 MiB parses (numbers of any size included).
//
// The minified JSON text of a value from the last ParseJsonBody on this thread, with every
// number exactly as it was sent (simdjson would refuse or re-print some of them).
std::string MinifyJson(simdjson::dom::element value);
// True when `value` (from the last ParseJsonBody on this thread) is a number that is not a
// plain 64-bit integer. simdjson sees such numbers as strings: a reader that wants a string
// must refuse these (FieldReader does).
bool IsNumberMarker(simdjson::dom::element value);

// Reads fields of one object; `prefix` is prepended to field names in messages, so batch
// items report "tasks[3].runtime".
class FieldReader {
 public:
  FieldReader(simdjson::dom::object obj, std::string prefix = "")
      : obj_(obj), prefix_(std::move(prefix)) {}

  // Present and not null.
  bool Has(std::string_view key) const;
  std::optional<simdjson::dom::element> Get(std::string_view key) const;

  // Each returns nullopt when absent or null (the caller applies the default or reports a
  // missing required field), or an error when present with the wrong type or out of bounds.
  Result<std::optional<std::string>> String(std::string_view key, size_t min_chars,
                                            size_t max_chars) const;
  Result<std::optional<int64_t>> Int(std::string_view key, int64_t min, int64_t max) const;
  Result<std::optional<bool>> Bool(std::string_view key) const;
  // Any JSON number (integer or not) within [min, max].
  Result<std::optional<double>> Number(std::string_view key, double min, double max) const;

  std::string Name(std::string_view key) const;  // "field 'prefix.key'"
  Status Missing(std::string_view key) const;    // "field 'key': is required"

 private:
  simdjson::dom::object obj_;
  std::string prefix_;
};

// Counts UTF-8 code points (simdjson has already validated the encoding).
size_t Utf8Length(std::string_view s);

// Reads a positive 64-bit id given as a JSON integer or a string of digits.
Result<uint64_t> ReadId(const std::optional<simdjson::dom::element>& value, std::string_view name);
Result<uint64_t> ParseIdText(std::string_view text, std::string_view name);

}  // namespace tock::api
