#include "metrics/exposition.h"

#include <charconv>
#include <cmath>

namespace tock::metrics {

std::string EscapeLabelValue(std::string_view v) {
  std::string out;
  out.reserve(v.size());
  for (char c : v) {
    switch (c) {
      case '\\': out += "\\\\"; break;
      case '"': out += "\\\""; break;
      case '\n': out += "\\n"; break;
      default: out += c;
    }
  }
  return out;
}

std::string EscapeHelp(std::string_view v) {
  std::string out;
  out.reserve(v.size());
  for (char c : v) {
    switch (c) {
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      default: out += c;
    }
  }
  return out;
}

std::string FormatValue(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  char buf[64];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);  // shortest exact form
  return std::string(buf, end);
}

const char* TypeName(Type t) {
  switch (t) {
    case Type::kCounter: return "counter";
    case Type::kGauge: return "gauge";
    case Type::kHistogram: return "histogram";
  }
  return "untyped";
}

void TextWriter::Family(std::string_view name, std::string_view help, Type type) {
  out_ += "# HELP ";
  out_ += name;
  out_ += ' ';
  out_ += EscapeHelp(help);
  out_ += "\n# TYPE ";
  out_ += name;
  out_ += ' ';
  out_ += TypeName(type);
  out_ += '\n';
}

void TextWriter::Head(std::string_view name, const LabelPairs& labels, const char* extra_key,
                      std::string_view extra_value) {
  out_ += name;
  if (labels.empty() && extra_key == nullptr) return;
  out_ += '{';
  bool first = true;
  auto add = [&](std::string_view k, std::string_view v) {
    if (!first) out_ += ',';
    first = false;
    out_ += k;
    out_ += "=\"";
    out_ += EscapeLabelValue(v);
    out_ += '"';
  };
  for (const auto& [k, v] : labels) add(k, v);
  if (extra_key != nullptr) add(extra_key, extra_value);
  out_ += '}';
}

void TextWriter::Sample(std::string_view name, const LabelPairs& labels, double value) {
  Head(name, labels);
  out_ += ' ';
  out_ += FormatValue(value);
  out_ += '\n';
}

void TextWriter::Sample(std::string_view name, const LabelPairs& labels, uint64_t value) {
  Head(name, labels);
  out_ += ' ';
  out_ += std::to_string(value);
  out_ += '\n';
}

void TextWriter::Sample(std::string_view name, const LabelPairs& labels, int64_t value) {
  Head(name, labels);
  out_ += ' ';
  out_ += std::to_string(value);
  out_ += '\n';
}

void TextWriter::HistogramSample(std::string_view name, const LabelPairs& labels,
                                 const std::vector<double>& bounds,
                                 const Histogram::Snapshot& snap) {
  const std::string base(name);
  for (size_t i = 0; i <= bounds.size(); ++i) {
    Head(base + "_bucket", labels, "le", i < bounds.size() ? FormatValue(bounds[i]) : "+Inf");
    out_ += ' ';
    out_ += std::to_string(snap.cumulative[i]);
    out_ += '\n';
  }
  Sample(base + "_sum", labels, snap.sum);
  Sample(base + "_count", labels, snap.count);
}

}  // namespace tock::metrics
