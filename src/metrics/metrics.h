// Metrics: counters, gauges and fixed-bucket histograms, grouped into named families with
// label sets, kept in a Registry that renders them as Prometheus text (metrics/exposition.h).
//
//   metrics::Registry& r = metrics::Process();
//   metrics::Counter& created = r.AddCounter("tock_tasks_created_total", "Tasks created.");
//   auto& by_outcome = r.AddCounterFamily("tock_deliveries_total", "...", {"outcome"});
//   created.Inc();  by_outcome.With({"success"}).Inc();
//   std::string text = r.Text();   // # HELP / # TYPE lines and samples, families in order
//
// Each module registers its metrics in one place (a struct at the top of its .cc), once,
// and keeps the references: a Counter/Gauge/Histogram and a Family live as long as the
// registry, at a fixed address.
//
// Process(): the registry of the process. It exists because the counters are bumped in
// modules whose constructors take no registry (task service, HTTP API); it holds only
// monotonic counters and histograms made of atomics, never callbacks into objects that may
// die (gauges of live objects are sampled by their owner at scrape time: server.cc). It is
// never destroyed, so threads still running at exit may keep counting.
//
// Threads: every method may be called from any thread. Hot paths (Inc, Add, Set, Observe)
// are relaxed atomics, no lock. Family::With takes a shared (reader) lock to find a child
// and an exclusive one only to create it; callers on hot paths keep the child reference.
// Label values must come from a bounded set (route patterns, outcome names), never raw
// input: every distinct value is a series kept forever.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <map>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <vector>

namespace tock::metrics {

class TextWriter;

class Counter {
 public:
  void Inc(uint64_t n = 1) { value_.fetch_add(n, std::memory_order_relaxed); }
  uint64_t value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<uint64_t> value_{0};
};

class Gauge {
 public:
  void Set(int64_t v) { value_.store(v, std::memory_order_relaxed); }
  void Add(int64_t d) { value_.fetch_add(d, std::memory_order_relaxed); }
  int64_t value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<int64_t> value_{0};
};

// Fixed upper bounds (le), ascending; the +Inf bucket is implicit. Observe is a binary
// search (O(log buckets)) and three relaxed atomic adds.
class Histogram {
 public:
  // REQUIRES: bounds ascending, finite.
  explicit Histogram(std::vector<double> bounds);
  Histogram(const Histogram&) = delete;
  Histogram& operator=(const Histogram&) = delete;

  void Observe(double v);

  struct Snapshot {
    std::vector<uint64_t> cumulative;  // one per bound, then +Inf (== count)
    uint64_t count = 0;
    double sum = 0;
  };
  // Not atomic across buckets: a concurrent Observe may be half in. count is the +Inf
  // bucket, so the exposition is always self-consistent.
  Snapshot Snap() const;
  const std::vector<double>& bounds() const { return bounds_; }

 private:
  const std::vector<double> bounds_;
  std::unique_ptr<std::atomic<uint64_t>[]> buckets_;  // bounds_.size() + 1, not cumulative
  std::atomic<double> sum_{0};
};

enum class Type { kCounter, kGauge, kHistogram };

// One metric name with its HELP text and label names; one child per label-value tuple.
class FamilyBase {
 public:
  FamilyBase(std::string name, std::string help, Type type, std::vector<std::string> labels)
      : name_(std::move(name)), help_(std::move(help)), type_(type),
        label_names_(std::move(labels)) {}
  virtual ~FamilyBase() = default;
  FamilyBase(const FamilyBase&) = delete;
  FamilyBase& operator=(const FamilyBase&) = delete;

  const std::string& name() const { return name_; }
  Type type() const { return type_; }
  virtual void WriteTo(TextWriter& w) const = 0;

 protected:
  const std::string name_;
  const std::string help_;
  const Type type_;
  const std::vector<std::string> label_names_;
};

template <typename T>
class Family : public FamilyBase {
 public:
  Family(std::string name, std::string help, Type type, std::vector<std::string> labels,
         std::function<std::unique_ptr<T>()> make)
      : FamilyBase(std::move(name), std::move(help), type, std::move(labels)),
        make_(std::move(make)) {}

  // The child for these label values (created at 0 on first use).
  // REQUIRES: values.size() == number of label names.
  T& With(const std::vector<std::string>& values) {
    {
      std::shared_lock<std::shared_mutex> l(mu_);
      auto it = children_.find(values);
      if (it != children_.end()) return *it->second;
    }
    std::unique_lock<std::shared_mutex> l(mu_);
    auto [it, inserted] = children_.try_emplace(values);
    if (inserted) it->second = make_();
    return *it->second;
  }
  T& With(std::initializer_list<std::string_view> values) {
    return With(std::vector<std::string>(values.begin(), values.end()));
  }

  void WriteTo(TextWriter& w) const override;

 private:
  const std::function<std::unique_ptr<T>()> make_;
  mutable std::shared_mutex mu_;
  std::map<std::vector<std::string>, std::unique_ptr<T>> children_;  // GUARDED_BY(mu_)
};

class Registry {
 public:
  Registry() = default;
  Registry(const Registry&) = delete;
  Registry& operator=(const Registry&) = delete;

  // Registering a name again returns the existing metric. REQUIRES: same type and labels
  // as the first registration (aborts otherwise: a programming error).
  Counter& AddCounter(const std::string& name, const std::string& help);
  Gauge& AddGauge(const std::string& name, const std::string& help);
  Histogram& AddHistogram(const std::string& name, const std::string& help,
                          std::vector<double> bounds);
  Family<Counter>& AddCounterFamily(const std::string& name, const std::string& help,
                                    std::vector<std::string> labels);
  Family<Gauge>& AddGaugeFamily(const std::string& name, const std::string& help,
                                std::vector<std::string> labels);
  Family<Histogram>& AddHistogramFamily(const std::string& name, const std::string& help,
                                        std::vector<std::string> labels,
                                        std::vector<double> bounds);

  // Every family, in registration order.
  void WriteTo(TextWriter& w) const;
  std::string Text() const;

 private:
  template <typename T>
  Family<T>& Add(const std::string& name, const std::string& help, Type type,
                 std::vector<std::string> labels, std::function<std::unique_ptr<T>()> make);

  mutable std::mutex mu_;
  std::vector<std::unique_ptr<FamilyBase>> families_;  // GUARDED_BY(mu_)
};

// The process-wide registry (see the header comment). Never destroyed.
Registry& Process();

// Bucket bounds, in seconds.
// Delivery lateness: 1 ms .. 60 s.
inline const std::vector<double>& LatenessBuckets() {
  static const std::vector<double> b = {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25,
                                        0.5,   1,      2.5,   5,    10,    30,    60};
  return b;
}
// Request handling: 0.5 ms .. 10 s.
inline const std::vector<double>& LatencyBuckets() {
  static const std::vector<double> b = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                                        0.1,    0.25,  0.5,    1,     2.5,  5,     10};
  return b;
}

}  // namespace tock::metrics
