#include "api/json_fields.h"

#include <charconv>

namespace tock::api {
namespace {
constexpr size_t kMaxBody = 1u << 20;
}

Result<simdjson::dom::object> ParseJsonBody(std::string_view body) {
  thread_local simdjson::dom::parser parser(kMaxBody + simdjson::SIMDJSON_PADDING);
  if (body.empty()) return Status::Invalid("request body is empty; a JSON object is required");
  simdjson::padded_string padded(body);
  simdjson::dom::element doc;
  auto err = parser.parse(padded).get(doc);
  if (err) {
    return Status::Invalid(std::string("request body is not valid JSON (") +
                           simdjson::error_message(err) + ")");
  }
  simdjson::dom::object obj;
  if (doc.get_object().get(obj)) return Status::Invalid("request body must be a JSON object");
  return obj;
}

bool FieldReader::Has(std::string_view key) const { return Get(key).has_value(); }

std::optional<simdjson::dom::element> FieldReader::Get(std::string_view key) const {
  simdjson::dom::element v;
  if (obj_.at_key(key).get(v) || v.is_null()) return std::nullopt;
  return v;
}

std::string FieldReader::Name(std::string_view key) const {
  return "field '" + prefix_ + std::string(key) + "'";
}

Status FieldReader::Missing(std::string_view key) const {
  return Status::Invalid(Name(key) + ": is required");
}

Result<std::optional<std::string>> FieldReader::String(std::string_view key, size_t min_chars,
                                                       size_t max_chars) const {
  auto v = Get(key);
  if (!v) return std::optional<std::string>();
  std::string_view s;
  if (v->get_string().get(s)) return Status::Invalid(Name(key) + ": must be a string");
  size_t n = Utf8Length(s);
  if (n < min_chars || n > max_chars) {
    return Status::Invalid(Name(key) + ": must be " + std::to_string(min_chars) + " to " +
                           std::to_string(max_chars) + " characters (got " + std::to_string(n) +
                           ")");
  }
  return std::optional<std::string>(std::string(s));
}

Result<std::optional<int64_t>> FieldReader::Int(std::string_view key, int64_t min,
                                                int64_t max) const {
  auto v = Get(key);
  if (!v) return std::optional<int64_t>();
  int64_t n;
  std::string range = "an integer from " + std::to_string(min) + " to " + std::to_string(max);
  if (v->get_int64().get(n)) return Status::Invalid(Name(key) + ": must be " + range);
  if (n < min || n > max) {
    return Status::Invalid(Name(key) + ": must be " + range + " (got " + std::to_string(n) + ")");
  }
  return std::optional<int64_t>(n);
}

Result<std::optional<bool>> FieldReader::Bool(std::string_view key) const {
  auto v = Get(key);
  if (!v) return std::optional<bool>();
  bool b;
  if (v->get_bool().get(b)) return Status::Invalid(Name(key) + ": must be true or false");
  return std::optional<bool>(b);
}

size_t Utf8Length(std::string_view s) {
  size_t n = 0;
  for (unsigned char c : s) n += (c & 0xC0) != 0x80;
  return n;
}

Result<uint64_t> ParseIdText(std::string_view text, std::string_view name) {
  uint64_t id = 0;
  auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), id);
  if (text.empty() || ec != std::errc() || p != text.data() + text.size() || id == 0) {
    return Status::Invalid("field '" + std::string(name) + "': must be a positive integer");
  }
  return id;
}

Result<uint64_t> ReadId(const std::optional<simdjson::dom::element>& value,
                        std::string_view name) {
  if (!value) return Status::Invalid("field '" + std::string(name) + "': is required");
  uint64_t id;
  if (!value->get_uint64().get(id)) {
    if (id == 0) return Status::Invalid("field '" + std::string(name) + "': must be a positive integer");
    return id;
  }
  std::string_view text;
  if (!value->get_string().get(text)) return ParseIdText(text, name);
  return Status::Invalid("field '" + std::string(name) + "': must be a positive integer");
}

}  // namespace tock::api
