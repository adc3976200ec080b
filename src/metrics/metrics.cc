// DESIGN
// A family is a name, a type and a map from label values to children; the registry is an
// ordered list of families. The only locks are taken when registering, when a family meets
// a new label tuple, and at scrape; counting is relaxed atomics, which is enough because a
// scrape only needs each value eventually, not a consistent cut across values.

#include "metrics/metrics.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>

#include "metrics/exposition.h"

namespace tock::metrics {

Histogram::Histogram(std::vector<double> bounds)
    : bounds_(std::move(bounds)), buckets_(new std::atomic<uint64_t>[bounds_.size() + 1]) {
  for (size_t i = 0; i <= bounds_.size(); ++i) buckets_[i].store(0, std::memory_order_relaxed);
}

void Histogram::Observe(double v) {
  // The first bound >= v: the bucket `le` holds values <= its bound.
  size_t i = std::lower_bound(bounds_.begin(), bounds_.end(), v) - bounds_.begin();
  buckets_[i].fetch_add(1, std::memory_order_relaxed);
  double cur = sum_.load(std::memory_order_relaxed);
  while (!sum_.compare_exchange_weak(cur, cur + v, std::memory_order_relaxed)) {
  }
}

Histogram::Snapshot Histogram::Snap() const {
  Snapshot s;
  s.cumulative.resize(bounds_.size() + 1);
  uint64_t total = 0;
  for (size_t i = 0; i <= bounds_.size(); ++i) {
    total += buckets_[i].load(std::memory_order_relaxed);
    s.cumulative[i] = total;
  }
  s.count = total;
  s.sum = sum_.load(std::memory_order_relaxed);
  return s;
}

namespace {
LabelPairs Pairs(const std::vector<std::string>& names, const std::vector<std::string>& values) {
  LabelPairs out;
  out.reserve(names.size());
  for (size_t i = 0; i < names.size() && i < values.size(); ++i) {
    out.emplace_back(names[i], values[i]);
  }
  return out;
}

void WriteChild(TextWriter& w, const std::string& name, const LabelPairs& labels,
                const Counter& c) {
  w.Sample(name, labels, c.value());
}
void WriteChild(TextWriter& w, const std::string& name, const LabelPairs& labels,
                const Gauge& g) {
  w.Sample(name, labels, g.value());
}
void WriteChild(TextWriter& w, const std::string& name, const LabelPairs& labels,
                const Histogram& h) {
  w.HistogramSample(name, labels, h.bounds(), h.Snap());
}
}  // namespace

template <typename T>
void Family<T>::WriteTo(TextWriter& w) const {
  w.Family(name_, help_, type_);
  std::shared_lock<std::shared_mutex> l(mu_);
  for (const auto& [values, child] : children_) {
    WriteChild(w, name_, Pairs(label_names_, values), *child);
  }
}

template class Family<Counter>;
template class Family<Gauge>;
template class Family<Histogram>;

template <typename T>
Family<T>& Registry::Add(const std::string& name, const std::string& help, Type type,
                         std::vector<std::string> labels,
                         std::function<std::unique_ptr<T>()> make) {
  std::lock_guard<std::mutex> l(mu_);
  for (auto& f : families_) {
    if (f->name() != name) continue;
    auto* same = dynamic_cast<Family<T>*>(f.get());
    if (same == nullptr || f->type() != type) {
      std::fprintf(stderr, "metrics: %s registered twice with different types\n", name.c_str());
      std::abort();
    }
    return *same;
  }
  auto fam = std::make_unique<Family<T>>(name, help, type, std::move(labels), std::move(make));
  Family<T>& ref = *fam;
  families_.push_back(std::move(fam));
  return ref;
}

Counter& Registry::AddCounter(const std::string& name, const std::string& help) {
  return AddCounterFamily(name, help, {}).With(std::vector<std::string>{});
}

Gauge& Registry::AddGauge(const std::string& name, const std::string& help) {
  return AddGaugeFamily(name, help, {}).With(std::vector<std::string>{});
}

Histogram& Registry::AddHistogram(const std::string& name, const std::string& help,
                                  std::vector<double> bounds) {
  return AddHistogramFamily(name, help, {}, std::move(bounds)).With(std::vector<std::string>{});
}

Family<Counter>& Registry::AddCounterFamily(const std::string& name, const std::string& help,
                                            std::vector<std::string> labels) {
  return Add<Counter>(name, help, Type::kCounter, std::move(labels),
                      [] { return std::make_unique<Counter>(); });
}

Family<Gauge>& Registry::AddGaugeFamily(const std::string& name, const std::string& help,
                                        std::vector<std::string> labels) {
  return Add<Gauge>(name, help, Type::kGauge, std::move(labels),
                    [] { return std::make_unique<Gauge>(); });
}

Family<Histogram>& Registry::AddHistogramFamily(const std::string& name,
                                                const std::string& help,
                                                std::vector<std::string> labels,
                                                std::vector<double> bounds) {
  return Add<Histogram>(name, help, Type::kHistogram, std::move(labels),
                        [bounds = std::move(bounds)] {
                          return std::make_unique<Histogram>(bounds);
                        });
}

void Registry::WriteTo(TextWriter& w) const {
  std::lock_guard<std::mutex> l(mu_);
  for (const auto& f : families_) f->WriteTo(w);
}

std::string Registry::Text() const {
  TextWriter w;
  WriteTo(w);
  return w.Take();
}

Registry& Process() {
  static Registry* const r = new Registry();
  return *r;
}

}  // namespace tock::metrics
