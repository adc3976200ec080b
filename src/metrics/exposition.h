// TextWriter: builds a Prometheus text exposition (format 0.0.4) into a string.
//
//   TextWriter w;
//   w.Family("tock_wheel_timers", "Timers in the timing wheel.", Type::kGauge);
//   w.Sample("tock_wheel_timers", {}, 12);
//   w.Family("tock_callbacks_in_flight", "Attempts in flight by application.", Type::kGauge);
//   w.Sample("tock_callbacks_in_flight", {{"app", "Ab12"}}, 3);
//   -> # HELP tock_wheel_timers Timers in the timing wheel.
//      # TYPE tock_wheel_timers gauge
//      tock_wheel_timers 12
//      ...
//
// Label values are escaped (\\, \", \n); HELP text escapes \\ and \n. Values are written in
// the shortest form that reads back exactly; infinities as +Inf / -Inf, NaN as NaN.
// Threads: a TextWriter belongs to one thread.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "metrics/metrics.h"

namespace tock::metrics {

using LabelPairs = std::vector<std::pair<std::string, std::string>>;

std::string EscapeLabelValue(std::string_view v);
std::string EscapeHelp(std::string_view v);
std::string FormatValue(double v);
const char* TypeName(Type t);

class TextWriter {
 public:
  // The # HELP and # TYPE lines; samples of this family follow.
  void Family(std::string_view name, std::string_view help, Type type);
  void Sample(std::string_view name, const LabelPairs& labels, double value);
  void Sample(std::string_view name, const LabelPairs& labels, uint64_t value);
  void Sample(std::string_view name, const LabelPairs& labels, int64_t value);
  // The _bucket (with le), _sum and _count lines of one histogram child.
  void HistogramSample(std::string_view name, const LabelPairs& labels,
                       const std::vector<double>& bounds, const Histogram::Snapshot& snap);

  const std::string& text() const { return out_; }
  std::string Take() { return std::move(out_); }

 private:
  void Head(std::string_view name, const LabelPairs& labels, const char* extra_key = nullptr,
            std::string_view extra_value = {});

  std::string out_;
};

}  // namespace tock::metrics
