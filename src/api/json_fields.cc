#include "api/json_fields.h"

#include <cstdio>

#include <charconv>
#include <cstdlib>
#include <vector>

namespace tock::api {
namespace {
constexpr size_t kMaxBody = 1u << 20;
}

namespace {

// `content` must be delivered exactly as given, and simdjson's DOM would not keep every
// number as sent: it refuses numbers that fit neither 64-bit integers nor doubles (JSON
// allows them), and it re-prints floats in its own form (1E+2 -> 100.0, -0 -> 0). So every
// number token that is not a plain 64-bit integer is swapped for a marker string before
// parsing ("\uE000b<index>\uE000", raw UTF-8), and MinifyJson() puts the original token back.
// A body that already holds the marker's lead bytes is parsed as it is (floats are then
// re-printed, big numbers refused), so a marker can never be forged.
constexpr std::string_view kMarkerEdge = "\xEE\x80\x80";

thread_local std::vector<std::string> tl_big_numbers;  // marker index -> original token

// True for a token simdjson would refuse or re-print: anything but a plain 64-bit integer.
bool NeedsMarker(std::string_view tok) {
  if (tok.find_first_of(".eE") != std::string_view::npos || tok == "-0") return true;
  const char* end = tok.data() + tok.size();
  int64_t i;
  auto ri = std::from_chars(tok.data(), end, i);
  if (ri.ec == std::errc() && ri.ptr == end) return false;
  uint64_t u;
  auto ru = std::from_chars(tok.data(), end, u);
  return !(ru.ec == std::errc() && ru.ptr == end);
}

// Rewrites number tokens outside strings that NeedsMarker() into markers; false if none.
bool RewriteNumbers(std::string_view in, std::string* out) {
  tl_big_numbers.clear();
  out->clear();
  out->reserve(in.size() + 16);
  bool in_string = false;
  for (size_t i = 0; i < in.size();) {
    char c = in[i];
    if (in_string) {
      out->push_back(c);
      if (c == '\\' && i + 1 < in.size()) {
        out->push_back(in[i + 1]);
        i += 2;
        continue;
      }
      if (c == '"') in_string = false;
      ++i;
      continue;
    }
    if (c == '"') {
      in_string = true;
      out->push_back(c);
      ++i;
      continue;
    }
    if (c == '-' || (c >= '0' && c <= '9')) {
      size_t j = i + 1;
      while (j < in.size() && std::string_view("0123456789.eE+-").find(in[j]) != std::string_view::npos) ++j;
      std::string_view tok = in.substr(i, j - i);
      if (NeedsMarker(tok)) {
        *out += '"';
        *out += kMarkerEdge;
        *out += 'b';
        *out += std::to_string(tl_big_numbers.size());
        *out += kMarkerEdge;
        *out += '"';
        tl_big_numbers.emplace_back(tok);
      } else {
        out->append(tok);
      }
      i = j;
      continue;
    }
    out->push_back(c);
    ++i;
  }
  return !tl_big_numbers.empty();
}

}  // namespace

Result<simdjson::dom::object> ParseJsonBody(std::string_view body) {
  thread_local simdjson::dom::parser parser(kMaxBody + simdjson::SIMDJSON_PADDING);
  tl_big_numbers.clear();
  if (body.empty()) return Status::Invalid("request body is empty; a JSON object is required");
  simdjson::dom::element doc;
  simdjson::error_code err;
  std::string rewritten;
  if (body.find(kMarkerEdge) == std::string_view::npos && RewriteNumbers(body, &rewritten)) {
    err = parser.parse(simdjson::padded_string(rewritten)).get(doc);
  } else {
    tl_big_numbers.clear();
    err = parser.parse(simdjson::padded_string(body)).get(doc);
  }
  if (err) {
    tl_big_numbers.clear();
    return Status::Invalid(std::string("request body is not valid JSON (") +
                           simdjson::error_message(err) + ")");
  }
  simdjson::dom::object obj;
  if (doc.get_object().get(obj)) return Status::Invalid("request body must be a JSON object");
  return obj;
}

std::string MinifyJson(simdjson::dom::element value) {
  std::string text = simdjson::minify(value);
  if (tl_big_numbers.empty()) return text;
  std::string out;
  out.reserve(text.size());
  const std::string open = "\"" + std::string(kMarkerEdge) + "b";
  size_t pos = 0;
  for (;;) {
    size_t at = text.find(open, pos);
    if (at == std::string::npos) break;
    size_t digits = at + open.size();
    size_t close = text.find(std::string(kMarkerEdge) + "\"", digits);
    if (close == std::string::npos) break;
    size_t index = std::strtoul(text.substr(digits, close - digits).c_str(), nullptr, 10);
    if (index >= tl_big_numbers.size()) break;
    out.append(text, pos, at - pos);
    out += tl_big_numbers[index];
    pos = close + kMarkerEdge.size() + 1;
  }
  out.append(text, pos, std::string::npos);
  return out;
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

Result<std::optional<double>> FieldReader::Number(std::string_view key, double min,
                                                  double max) const {
  auto v = Get(key);
  if (!v) return std::optional<double>();
  double d;
  auto range = [&] {
    char buf[96];
    std::snprintf(buf, sizeof buf, "a number from %g to %g", min, max);
    return std::string(buf);
  };
  if (v->get_double().get(d)) return Status::Invalid(Name(key) + ": must be " + range());
  if (!(d >= min && d <= max)) return Status::Invalid(Name(key) + ": must be " + range());
  return std::optional<double>(d);
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
