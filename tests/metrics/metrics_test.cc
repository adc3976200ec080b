#include "metrics/metrics.h"

#include <doctest/doctest.h>

#include <algorithm>
#include <ctime>
#include <limits>
#include <string>
#include <thread>
#include <vector>

#include "metrics/exposition.h"
#include "metrics/process.h"

namespace tock::metrics {

TEST_SUITE("Counter") {
  TEST_CASE("starts at zero and adds") {
    Counter c;
    CHECK(c.value() == 0);
    c.Inc();
    c.Inc(41);
    CHECK(c.value() == 42);
  }

  TEST_CASE("8 threads incrementing give the exact total") {
    Registry r;
    Counter& c = r.AddCounter("t_total", "help");
    Family<Counter>& f = r.AddCounterFamily("t_labelled_total", "help", {"k"});
    Histogram& h = r.AddHistogram("t_seconds", "help", {1, 2});
    constexpr int kThreads = 8, kPer = 100000;
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
      threads.emplace_back([&, t] {
        Counter& mine = f.With({t % 2 == 0 ? "even" : "odd"});
        for (int i = 0; i < kPer; ++i) {
          c.Inc();
          mine.Inc();
          h.Observe(1.5);
        }
      });
    }
    for (auto& t : threads) t.join();
    CHECK(c.value() == uint64_t{kThreads} * kPer);
    CHECK(f.With({"even"}).value() == uint64_t{kThreads / 2} * kPer);
    CHECK(f.With({"odd"}).value() == uint64_t{kThreads / 2} * kPer);
    Histogram::Snapshot s = h.Snap();
    CHECK(s.count == uint64_t{kThreads} * kPer);
    CHECK(s.cumulative[0] == 0);
    CHECK(s.cumulative[1] == s.count);
    CHECK(s.sum == doctest::Approx(1.5 * kThreads * kPer));
  }
}

TEST_SUITE("Gauge") {
  TEST_CASE("sets and adds, may go negative") {
    Gauge g;
    g.Set(5);
    g.Add(-7);
    CHECK(g.value() == -2);
  }
}

TEST_SUITE("Histogram") {
  TEST_CASE("buckets are cumulative, le inclusive, +Inf equals count") {
    Histogram h({0.1, 1, 10});
    for (double v : {0.05, 0.1, 0.5, 1.0, 5.0, 100.0, 1000.0}) h.Observe(v);
    Histogram::Snapshot s = h.Snap();
    REQUIRE(s.cumulative.size() == 4);
    CHECK(s.cumulative[0] == 2);  // 0.05, 0.1 (le is <=)
    CHECK(s.cumulative[1] == 4);  // + 0.5, 1.0
    CHECK(s.cumulative[2] == 5);  // + 5
    CHECK(s.cumulative[3] == 7);  // +Inf
    CHECK(s.count == 7);
    CHECK(s.sum == doctest::Approx(1106.65));
  }

  TEST_CASE("exposition has every bucket, +Inf, _sum and _count") {
    Registry r;
    Histogram& h = r.AddHistogram("x_seconds", "Lateness.", {0.001, 0.5});
    h.Observe(0.25);
    h.Observe(2);
    CHECK(r.Text() ==
          "# HELP x_seconds Lateness.\n"
          "# TYPE x_seconds histogram\n"
          "x_seconds_bucket{le=\"0.001\"} 0\n"
          "x_seconds_bucket{le=\"0.5\"} 1\n"
          "x_seconds_bucket{le=\"+Inf\"} 2\n"
          "x_seconds_sum 2.25\n"
          "x_seconds_count 2\n");
  }

  TEST_CASE("labelled histogram puts le after the family's labels") {
    Registry r;
    r.AddHistogramFamily("y_seconds", "h", {"attempt"}, {1}).With({"first"}).Observe(0.5);
    const std::string text = r.Text();
    CHECK(text.find("y_seconds_bucket{attempt=\"first\",le=\"1\"} 1\n") != std::string::npos);
    CHECK(text.find("y_seconds_bucket{attempt=\"first\",le=\"+Inf\"} 1\n") != std::string::npos);
    CHECK(text.find("y_seconds_count{attempt=\"first\"} 1\n") != std::string::npos);
  }

  TEST_CASE("the shipped bucket sets are ascending and span their ranges") {
    const auto& late = LatenessBuckets();
    CHECK(std::is_sorted(late.begin(), late.end()));
    CHECK(late.front() == 0.001);
    CHECK(late.back() == 60);
    CHECK(std::is_sorted(LatencyBuckets().begin(), LatencyBuckets().end()));
  }
}

TEST_SUITE("TextWriter") {
  TEST_CASE("label values escape backslash, quote and newline") {
    CHECK(EscapeLabelValue("a\\b\"c\nd") == "a\\\\b\\\"c\\nd");
    TextWriter w;
    w.Family("m", "Help with \\ and\nnewline.", Type::kGauge);
    w.Sample("m", {{"app", "x\"y\\z\n"}, {"b", ""}}, uint64_t{3});
    CHECK(w.text() ==
          "# HELP m Help with \\\\ and\\nnewline.\n"
          "# TYPE m gauge\n"
          "m{app=\"x\\\"y\\\\z\\n\",b=\"\"} 3\n");
  }

  TEST_CASE("values use the shortest exact form, and Prometheus spellings of specials") {
    CHECK(FormatValue(0.001) == "0.001");
    CHECK(FormatValue(60) == "60");
    CHECK(FormatValue(0.1) == "0.1");
    CHECK(FormatValue(std::numeric_limits<double>::infinity()) == "+Inf");
    CHECK(FormatValue(-std::numeric_limits<double>::infinity()) == "-Inf");
    CHECK(FormatValue(std::numeric_limits<double>::quiet_NaN()) == "NaN");
    TextWriter w;
    w.Sample("n", {}, int64_t{-4});
    w.Sample("d", {}, 2.5);
    CHECK(w.text() == "n -4\nd 2.5\n");
  }
}

TEST_SUITE("Registry") {
  TEST_CASE("families come out in registration order with HELP and TYPE") {
    Registry r;
    r.AddCounter("b_total", "B.").Inc(2);
    auto& f = r.AddCounterFamily("a_total", "A.", {"outcome", "kind"});
    f.With({"success", "x"}).Inc();
    r.AddGauge("c", "C.").Set(-1);
    CHECK(r.Text() ==
          "# HELP b_total B.\n# TYPE b_total counter\nb_total 2\n"
          "# HELP a_total A.\n# TYPE a_total counter\na_total{outcome=\"success\",kind=\"x\"} 1\n"
          "# HELP c C.\n# TYPE c gauge\nc -1\n");
  }

  TEST_CASE("registering a name again returns the same metric") {
    Registry r;
    Counter& a = r.AddCounter("same_total", "x");
    Counter& b = r.AddCounter("same_total", "x");
    CHECK(&a == &b);
    a.Inc();
    CHECK(r.Text() == "# HELP same_total x\n# TYPE same_total counter\nsame_total 1\n");
  }

  TEST_CASE("a labelled family with no children writes only its HELP and TYPE") {
    Registry r;
    r.AddCounterFamily("empty_total", "E.", {"k"});
    CHECK(r.Text() == "# HELP empty_total E.\n# TYPE empty_total counter\n");
  }

  TEST_CASE("the process registry is one object") {
    CHECK(&Process() == &Process());
  }
}

TEST_SUITE("ProcessFigures") {
  TEST_CASE("reads resident memory and a start time in the past") {
    ProcessFigures f = ReadProcessFigures();
    CHECK(f.resident_bytes > 0);
    CHECK(f.open_fds > 0);
    CHECK(f.start_time_s > 1.6e9);
    CHECK(f.start_time_s <= static_cast<double>(time(nullptr)) + 1);
  }
}

}  // namespace tock::metrics
