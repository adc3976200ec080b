#include "api/json_fields.h"

#include <charconv>
#include <cstdio>
#include <cstdlib>
#include <unordered_map>
#include <vector>

#include "common/json_writer.h"

namespace tock::api {
namespace {

// The largest body the parser takes (the --max-body bound); memory is only allocated as
// large bodies come (simdjson grows its buffers up to this capacity).
constexpr size_t kMaxParserCapacity = 64u << 20;

// `content` must be delivered exactly as given, and simdjson's DOM would not keep every
// number as sent: it refuses numbers that fit neither 64-bit integers nor doubles (JSON
// allows them), and it re-prints floats in its own form (1E+2 -> 100.0, -0 -> 0). So before
// parsing, every number token that is not a plain 64-bit integer is checked against the
// JSON number grammar and swapped for an empty string (a marker), and MinifyJson() and the
// typed readers put the original token back.
//
// A marker is known by its identity, never by its content: the rewrite counts string tokens
// in document order (keys included) and remembers the ordinals of the markers; after
// parsing, a walk of the DOM in the same order records the address of each marker's string
// in simdjson's string buffer (every string there has its own). A string the client sent,
// whatever bytes or escapes it holds, can never be taken for a marker.
struct Markers {
  std::vector<std::string> tokens;             // marker n -> the number as sent
  std::vector<size_t> ordinals;                // marker n -> its string ordinal
  std::unordered_map<const char*, size_t> at;  // marker string's address -> n
  void Clear() {
    tokens.clear();
    ordinals.clear();
    at.clear();
  }
};
thread_local Markers tl_markers;

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

// RFC 8259: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
bool IsJsonNumber(std::string_view t) {
  size_t i = 0;
  if (i < t.size() && t[i] == '-') ++i;
  if (i >= t.size()) return false;
  if (t[i] == '0') {
    ++i;
  } else if (t[i] >= '1' && t[i] <= '9') {
    while (i < t.size() && IsDigit(t[i])) ++i;
  } else {
    return false;
  }
  if (i < t.size() && t[i] == '.') {
    ++i;
    const size_t start = i;
    while (i < t.size() && IsDigit(t[i])) ++i;
    if (i == start) return false;
  }
  if (i < t.size() && (t[i] == 'e' || t[i] == 'E')) {
    ++i;
    if (i < t.size() && (t[i] == '+' || t[i] == '-')) ++i;
    const size_t start = i;
    while (i < t.size() && IsDigit(t[i])) ++i;
    if (i == start) return false;
  }
  return i == t.size();
}

// True for a (valid) token simdjson would refuse or re-print: anything but a plain 64-bit
// integer.
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

// The name of the field at byte `pos` of `in` ("field 'tasks[3].content.a'"): a second scan
// that tracks objects and arrays, run only to word an error.
std::string PathAt(std::string_view in, size_t pos) {
  struct Frame {
    bool object;
    bool expect_key;
    std::string key;
    size_t index;
  };
  std::vector<Frame> stack;
  for (size_t i = 0; i < pos && i < in.size();) {
    const char c = in[i];
    if (c == '"') {
      size_t j = i + 1;
      while (j < in.size() && in[j] != '"') j += in[j] == '\\' ? 2 : 1;
      if (!stack.empty() && stack.back().object && stack.back().expect_key) {
        stack.back().key.assign(in.substr(i + 1, std::min(j, in.size()) - i - 1));
      }
      i = j + 1;
      continue;
    }
    switch (c) {
      case '{': stack.push_back({true, true, "", 0}); break;
      case '[': stack.push_back({false, false, "", 0}); break;
      case '}':
      case ']':
        if (!stack.empty()) stack.pop_back();
        break;
      case ':':
        if (!stack.empty()) stack.back().expect_key = false;
        break;
      case ',':
        if (!stack.empty()) {
          if (stack.back().object) {
            stack.back().expect_key = true;
          } else {
            ++stack.back().index;
          }
        }
        break;
      default:
        break;
    }
    ++i;
  }
  std::string path;
  for (const Frame& f : stack) {
    if (f.object) {
      if (!path.empty()) path += '.';
      path += f.key;
    } else {
      path += "[" + std::to_string(f.index) + "]";
    }
  }
  return path.empty() ? "request body" : "field '" + path + "'";
}

// Checks every number token outside strings against the grammar and, when some need a
// marker, writes the body with those as "" into *out (left empty when none does: the body
// is parsed as it is), filling tl_markers. Other syntax is left to simdjson. One pass that
// jumps over strings; the field of a bad number is found by a second scan (PathAt).
Status RewriteNumbers(std::string_view in, std::string* out) {
  out->clear();
  std::vector<std::pair<size_t, size_t>> spans;  // (pos, len) of the tokens to mark
  size_t strings = 0;
  for (size_t i = 0; i < in.size();) {
    const char c = in[i];
    if (c == '"') {
      size_t j = i + 1;
      for (;;) {
        j = in.find_first_of("\"\\", j);
        if (j == std::string_view::npos) {
          j = in.size();
          break;
        }
        if (in[j] == '"') break;
        j += 2;  // an escape: skip it
      }
      ++strings;
      i = j + 1;
      continue;
    }
    if (c == '-' || IsDigit(c)) {
      size_t j = i + 1;
      while (j < in.size() && (IsDigit(in[j]) || in[j] == '.' || in[j] == 'e' || in[j] == 'E' ||
                               in[j] == '+' || in[j] == '-')) {
        ++j;
      }
      const std::string_view tok = in.substr(i, j - i);
      if (!IsJsonNumber(tok)) {
        return Status::Invalid(PathAt(in, i) + ": " + std::string(tok.substr(0, 40)) +
                               " is not a valid JSON number");
      }
      if (NeedsMarker(tok)) {
        spans.emplace_back(i, j - i);
        tl_markers.tokens.emplace_back(tok);
        tl_markers.ordinals.push_back(strings++);
      }
      i = j;
      continue;
    }
    ++i;
  }
  if (spans.empty()) return Status::Ok();
  out->reserve(in.size());
  size_t from = 0;
  for (const auto& [pos, len] : spans) {
    out->append(in.substr(from, pos - from));
    *out += "\"\"";
    from = pos + len;
  }
  out->append(in.substr(from));
  return Status::Ok();
}

// Records the address of every marker string: walks the DOM in document order counting
// strings (keys included) as RewriteNumbers() did.
void FindMarkers(simdjson::dom::element e, size_t* ordinal, size_t* next) {
  if (*next >= tl_markers.ordinals.size()) return;
  switch (e.type()) {
    case simdjson::dom::element_type::OBJECT:
      for (auto [key, value] : simdjson::dom::object(e)) {
        ++*ordinal;  // the key
        FindMarkers(value, ordinal, next);
      }
      break;
    case simdjson::dom::element_type::ARRAY:
      for (simdjson::dom::element v : simdjson::dom::array(e)) FindMarkers(v, ordinal, next);
      break;
    case simdjson::dom::element_type::STRING:
      if (*next < tl_markers.ordinals.size() && tl_markers.ordinals[*next] == *ordinal) {
        tl_markers.at.emplace(std::string_view(e).data(), (*next)++);
      }
      ++*ordinal;
      break;
    default:
      break;
  }
}

// The original token of a marker, or nullptr when e is not one.
const std::string* MarkerToken(simdjson::dom::element e) {
  if (tl_markers.at.empty() || !e.is_string()) return nullptr;
  auto it = tl_markers.at.find(std::string_view(e).data());
  return it == tl_markers.at.end() ? nullptr : &tl_markers.tokens[it->second];
}

void AppendMinified(simdjson::dom::element e, std::string* out) {
  switch (e.type()) {
    case simdjson::dom::element_type::OBJECT: {
      out->push_back('{');
      bool first = true;
      for (auto [key, value] : simdjson::dom::object(e)) {
        if (!first) out->push_back(',');
        first = false;
        AppendJsonString(out, key);
        out->push_back(':');
        AppendMinified(value, out);
      }
      out->push_back('}');
      break;
    }
    case simdjson::dom::element_type::ARRAY: {
      out->push_back('[');
      bool first = true;
      for (simdjson::dom::element v : simdjson::dom::array(e)) {
        if (!first) out->push_back(',');
        first = false;
        AppendMinified(v, out);
      }
      out->push_back(']');
      break;
    }
    case simdjson::dom::element_type::STRING:
      if (const std::string* token = MarkerToken(e)) {
        *out += *token;
      } else {
        AppendJsonString(out, std::string_view(e));
      }
      break;
    default:
      *out += simdjson::minify(e);  // integers, true, false, null: as simdjson prints them
      break;
  }
}

}  // namespace

bool IsNumberMarker(simdjson::dom::element value) { return MarkerToken(value) != nullptr; }

Result<simdjson::dom::object> ParseJsonBody(std::string_view body) {
  thread_local simdjson::dom::parser parser(kMaxParserCapacity);
  tl_markers.Clear();
  if (body.empty()) return Status::Invalid("request body is empty; a JSON object is required");
  std::string rewritten;
  Status numbers = RewriteNumbers(body, &rewritten);
  if (!numbers.ok()) {
    tl_markers.Clear();
    return numbers;
  }
  simdjson::dom::element doc;
  const std::string_view text = rewritten.empty() ? body : std::string_view(rewritten);
  const simdjson::error_code err = parser.parse(simdjson::padded_string(text)).get(doc);
  if (err) {
    tl_markers.Clear();
    return Status::Invalid(std::string("request body is not valid JSON (") +
                           simdjson::error_message(err) + ")");
  }
  size_t ordinal = 0, next = 0;
  FindMarkers(doc, &ordinal, &next);
  simdjson::dom::object obj;
  if (doc.get_object().get(obj)) return Status::Invalid("request body must be a JSON object");
  return obj;
}

std::string MinifyJson(simdjson::dom::element value) {
  if (tl_markers.at.empty()) return simdjson::minify(value);
  std::string out;
  AppendMinified(value, &out);
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
  if (IsNumberMarker(*v) || v->get_string().get(s)) {
    return Status::Invalid(Name(key) + ": must be a string");
  }
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
  if (const std::string* token = MarkerToken(*v)) {
    d = std::strtod(token->c_str(), nullptr);  // a valid JSON number; huge ones: inf
  } else if (v->get_double().get(d)) {
    return Status::Invalid(Name(key) + ": must be " + range());
  }
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
