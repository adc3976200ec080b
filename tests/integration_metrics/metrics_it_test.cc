// /metrics parses as Prometheus text and its counters move when tasks are created and
// delivered; every response carries a request id, which error log lines carry too; secrets
// never reach the log. Against the real tock binary.

#include <doctest/doctest.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdlib>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "integration/integration_util.h"

namespace tock::testing {
namespace {

// --- a small strict parser of the Prometheus text format (0.0.4) ---------------------------
struct Sample {
  std::string name;
  std::map<std::string, std::string> labels;
  double value = 0;
};

struct Exposition {
  std::map<std::string, std::string> types;  // family -> counter|gauge|histogram|...
  std::vector<Sample> samples;

  // Sum of the samples named `name` whose labels include every pair of `want`; 0 if none.
  double Value(const std::string& name,
               const std::map<std::string, std::string>& want = {}) const {
    double sum = 0;
    for (const Sample& s : samples) {
      if (s.name != name) continue;
      bool match = true;
      for (const auto& [k, v] : want) {
        auto it = s.labels.find(k);
        if (it == s.labels.end() || it->second != v) match = false;
      }
      if (match) sum += s.value;
    }
    return sum;
  }
  bool Has(const std::string& name) const {
    for (const Sample& s : samples) {
      if (s.name == name) return true;
    }
    return false;
  }
};

bool IsNameStart(char c) {
  return std::isalpha(static_cast<unsigned char>(c)) || c == '_' || c == ':';
}
bool IsNameChar(char c) { return IsNameStart(c) || std::isdigit(static_cast<unsigned char>(c)); }

bool ParseValue(const std::string& s, double* v) {
  if (s == "+Inf") { *v = INFINITY; return true; }
  if (s == "-Inf") { *v = -INFINITY; return true; }
  if (s == "NaN") { *v = NAN; return true; }
  if (s.empty()) return false;
  char* end = nullptr;
  *v = std::strtod(s.c_str(), &end);
  return end == s.c_str() + s.size();
}

// The family a sample belongs to: histograms' _bucket/_sum/_count lines belong to the base.
std::string FamilyOf(const Exposition& e, const std::string& name) {
  for (const char* suffix : {"_bucket", "_sum", "_count"}) {
    std::string sfx(suffix);
    if (name.size() > sfx.size() &&
        name.compare(name.size() - sfx.size(), sfx.size(), sfx) == 0) {
      std::string base = name.substr(0, name.size() - sfx.size());
      auto it = e.types.find(base);
      if (it != e.types.end() && it->second == "histogram") return base;
    }
  }
  return name;
}

bool ParseLine(const std::string& line, Exposition* e, std::set<std::string>* seen_sample_of,
               std::string* error) {
  if (line.empty()) { *error = "empty line"; return false; }
  if (line[0] == '#') {
    std::istringstream in(line);
    std::string hash, kind, name;
    in >> hash >> kind >> name;
    if (hash != "#" || (kind != "HELP" && kind != "TYPE") || name.empty()) {
      *error = "comment is neither # HELP nor # TYPE";
      return false;
    }
    if (kind == "TYPE") {
      std::string type, extra;
      in >> type;
      static const std::set<std::string> kTypes = {"counter", "gauge", "histogram", "summary",
                                                   "untyped"};
      if (!kTypes.count(type) || (in >> extra)) { *error = "bad TYPE"; return false; }
      if (e->types.count(name)) { *error = "second TYPE for " + name; return false; }
      if (seen_sample_of->count(name)) { *error = "TYPE after samples of " + name; return false; }
      e->types[name] = type;
    }
    return true;
  }
  Sample s;
  size_t i = 0;
  if (!IsNameStart(line[0])) { *error = "bad metric name"; return false; }
  while (i < line.size() && IsNameChar(line[i])) ++i;
  s.name = line.substr(0, i);
  if (i < line.size() && line[i] == '{') {
    ++i;
    while (i < line.size() && line[i] != '}') {
      size_t k0 = i;
      if (!IsNameStart(line[i]) || line[i] == ':') { *error = "bad label name"; return false; }
      while (i < line.size() &&
             (std::isalnum(static_cast<unsigned char>(line[i])) || line[i] == '_')) {
        ++i;
      }
      std::string key = line.substr(k0, i - k0);
      if (line.compare(i, 2, "=\"") != 0) { *error = "expected =\" after " + key; return false; }
      i += 2;
      std::string value;
      for (;;) {
        if (i >= line.size()) { *error = "unterminated label value"; return false; }
        char c = line[i++];
        if (c == '"') break;
        if (c == '\\') {
          if (i >= line.size()) { *error = "dangling escape"; return false; }
          char x = line[i++];
          if (x == 'n') value += '\n';
          else if (x == '\\' || x == '"') value += x;
          else { *error = "bad escape"; return false; }
        } else {
          value += c;
        }
      }
      if (!s.labels.emplace(key, value).second) {
        *error = "repeated label " + key;
        return false;
      }
      if (i < line.size() && line[i] == ',') ++i;
    }
    if (i >= line.size()) { *error = "unterminated label set"; return false; }
    ++i;  // '}'
  }
  if (i >= line.size() || line[i] != ' ') {
    *error = "expected one space before the value";
    return false;
  }
  ++i;
  if (!ParseValue(line.substr(i), &s.value)) { *error = "bad value"; return false; }
  const std::string family = FamilyOf(*e, s.name);
  if (!e->types.count(family)) { *error = "sample without TYPE: " + s.name; return false; }
  if (e->types[family] == "counter" && !(s.value >= 0)) {
    *error = "negative counter";
    return false;
  }
  seen_sample_of->insert(family);
  e->samples.push_back(std::move(s));
  return true;
}

// Histogram rules: per label set, buckets in ascending le, counts non-decreasing, a +Inf
// bucket equal to _count.
bool CheckHistograms(const Exposition& e, std::string* error) {
  for (const auto& [family, type] : e.types) {
    if (type != "histogram") continue;
    std::map<std::map<std::string, std::string>, std::vector<std::pair<double, double>>> series;
    for (const Sample& s : e.samples) {
      if (s.name != family + "_bucket") continue;
      auto le = s.labels.find("le");
      double bound;
      if (le == s.labels.end() || !ParseValue(le->second, &bound)) {
        *error = family + ": bucket without a numeric le";
        return false;
      }
      auto rest = s.labels;
      rest.erase("le");
      series[rest].push_back({bound, s.value});
    }
    for (const auto& [labels, buckets] : series) {
      for (size_t i = 1; i < buckets.size(); ++i) {
        if (!(buckets[i].first > buckets[i - 1].first) ||
            buckets[i].second < buckets[i - 1].second) {
          *error = family + ": buckets not ascending / not cumulative";
          return false;
        }
      }
      if (buckets.empty() || !std::isinf(buckets.back().first)) {
        *error = family + ": no +Inf bucket";
        return false;
      }
      double count = 0;
      bool found = false;
      for (const Sample& s : e.samples) {
        if (s.name == family + "_count" && s.labels == labels) {
          count = s.value;
          found = true;
        }
      }
      if (!found || count != buckets.back().second) {
        *error = family + ": _count missing or not equal to the +Inf bucket";
        return false;
      }
    }
  }
  return true;
}

bool ParseExposition(const std::string& text, Exposition* e, std::string* error) {
  if (text.empty() || text.back() != '\n') {
    *error = "text does not end with a newline";
    return false;
  }
  std::set<std::string> seen_sample_of;
  size_t start = 0, n = 1;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    std::string line = text.substr(start, end - start);
    if (!ParseLine(line, e, &seen_sample_of, error)) {
      *error = "line " + std::to_string(n) + " (" + line + "): " + *error;
      return false;
    }
    start = end + 1;
    ++n;
  }
  return CheckHistograms(*e, error);
}

Exposition Scrape(const TockProcess& tock) {
  httplib::Client cli(tock.host(), tock.port());
  auto res = cli.Get("/metrics");
  Exposition e;
  REQUIRE(res);
  REQUIRE(res->status == 200);
  CHECK(res->get_header_value("Content-Type").find("text/plain") == 0);
  std::string error;
  REQUIRE_MESSAGE(ParseExposition(res->body, &e, &error), error);
  return e;
}

const std::map<std::string, std::string> kSuccess = {{"outcome", "success"}};
const std::map<std::string, std::string> kFirst = {{"attempt", "first"}};

}  // namespace

TEST_SUITE("Metrics") {
  TEST_CASE("the strict parser refuses what Prometheus would refuse") {
    Exposition e;
    std::string error;
    CHECK_FALSE(ParseExposition("x 1\n", &e, &error));  // no TYPE
    CHECK_FALSE(ParseExposition("# TYPE x gauge\nx{a=\"b} 1\n", &(e = {}), &error));
    CHECK_FALSE(ParseExposition("# TYPE x gauge\nx 1", &(e = {}), &error));  // no newline
    CHECK_FALSE(ParseExposition(  // not cumulative
        "# TYPE h histogram\nh_bucket{le=\"1\"} 2\nh_bucket{le=\"+Inf\"} 1\nh_count 1\n",
        &(e = {}), &error));
    CHECK(ParseExposition("# HELP x a \\\\ b\n# TYPE x gauge\nx{a=\"q\\\"\\n\"} -1.5\n", &(e = {}),
                          &error));
    CHECK(e.Value("x", {{"a", "q\"\n"}}) == -1.5);
  }

  TEST_CASE("/metrics parses and its counters move when tasks are created and delivered") {
    auto tock = StartOwnTock();
    AppFixture fx(*tock);
    REQUIRE_MESSAGE(fx.app.ok(), fx.app.create_response.Describe());

    Exposition before = Scrape(*tock);
    for (const char* family :
         {"tock_http_requests_total", "tock_tasks_created_total", "tock_tasks_finished_total",
          "tock_deliveries_total", "tock_delivery_retries_total", "tock_delivery_lateness_seconds",
          "tock_wheel_timers", "tock_due_index_entries", "tock_dispatch_queued",
          "tock_callbacks_in_flight", "tock_rocksdb_sst_bytes",
          "tock_rocksdb_pending_compaction_bytes", "tock_rocksdb_write_stopped",
          "tock_rocksdb_memtable_bytes", "tock_process_resident_memory_bytes",
          "tock_process_start_time_seconds"}) {
      CHECK_MESSAGE(before.types.count(family) == 1, family);
    }
    CHECK(before.types.at("tock_delivery_lateness_seconds") == "histogram");
    CHECK(before.types.at("tock_deliveries_total") == "counter");
    CHECK(before.Value("tock_process_resident_memory_bytes") > 0);

    for (int i = 0; i < 3; ++i) fx.MustCreate({.runtime = RuntimeJson(WallNowMs())});
    REQUIRE(fx.receiver.WaitForCount(3, 10s));

    // The outcome is counted just after the receiver answers: poll briefly for it.
    Exposition after;
    const int64_t deadline = MonoNowMs() + 5000;
    do {
      after = Scrape(*tock);
      if (after.Value("tock_deliveries_total", kSuccess) -
              before.Value("tock_deliveries_total", kSuccess) >= 3 &&
          after.Value("tock_tasks_finished_total", {{"state", "success"}}) -
              before.Value("tock_tasks_finished_total", {{"state", "success"}}) >= 3) {
        break;
      }
      std::this_thread::sleep_for(20ms);
    } while (MonoNowMs() < deadline);

    auto delta = [&](const std::string& name, const std::map<std::string, std::string>& l = {}) {
      return after.Value(name, l) - before.Value(name, l);
    };
    CHECK(delta("tock_tasks_created_total") == 3);
    CHECK(delta("tock_deliveries_total", kSuccess) == 3);
    CHECK(delta("tock_deliveries_total") == 3);  // no other outcome
    CHECK(delta("tock_tasks_finished_total", {{"state", "success"}}) == 3);
    CHECK(delta("tock_delivery_lateness_seconds_count", kFirst) == 3);
    CHECK(delta("tock_delivery_lateness_seconds_bucket", {{"attempt", "first"}, {"le", "+Inf"}}) ==
          3);
    CHECK(delta("tock_http_requests_total", {{"route", "/task/create"}, {"status", "200"}}) == 3);
    CHECK(delta("tock_http_requests_total", {{"route", "/metrics"}, {"status", "200"}}) >= 1);
  }

  TEST_CASE("a bad request moves the 400 series, is logged with its request id, no secrets") {
    auto tock = StartOwnTock();
    AppFixture fx(*tock);
    REQUIRE_MESSAGE(fx.app.ok(), fx.app.create_response.Describe());
    const std::map<std::string, std::string> k400 = {{"route", "/task/create"}, {"status", "400"}};
    Exposition before = Scrape(*tock);

    httplib::Client cli(tock->host(), tock->port());
    httplib::Headers h = {{"Authorization", BasicAuthValue(fx.app.app_key, fx.app.secret_key)},
                          {"X-Request-Id", "it-bad-req-4242"}};
    auto res = cli.Post("/task/create", h, "{not json", "application/json");
    REQUIRE(res);
    CHECK(res->status == 400);
    CHECK(res->get_header_value("X-Request-Id") == "it-bad-req-4242");
    CHECK_FALSE(res->has_header("X-Tock-Start-Ns"));
    CHECK_FALSE(res->has_header("X-Tock-In-Flight"));

    // No id, or an unusable one: a fresh 16-character id.
    auto plain = cli.Get("/healthz");
    REQUIRE(plain);
    CHECK(plain->get_header_value("X-Request-Id").size() == 16);
    auto odd = cli.Get("/healthz", {{"X-Request-Id", "has space and \"quotes\""}});
    REQUIRE(odd);
    CHECK(odd->get_header_value("X-Request-Id").size() == 16);
    // Fresh ids are alphanumeric and differ from request to request (and connection to
    // connection: each server thread draws its own sequence).
    std::set<std::string> fresh;
    for (int i = 0; i < 50; ++i) {
      httplib::Client other(tock->host(), tock->port());
      for (auto* c : {&cli, &other}) {
        auto r = c->Get("/healthz");
        REQUIRE(r);
        const std::string id = r->get_header_value("X-Request-Id");
        CHECK(std::all_of(id.begin(), id.end(), [](char ch) { return std::isalnum(
                                                       static_cast<unsigned char>(ch)) != 0; }));
        fresh.insert(id);
      }
    }
    CHECK(fresh.size() == 100);

    // An unrouted path counts as route="other", not as its raw path.
    auto missing = cli.Get("/no/such/route/123");
    REQUIRE(missing);
    CHECK(missing->status == 404);

    Exposition after = Scrape(*tock);
    const double moved_400 = after.Value("tock_http_requests_total", k400) -
                             before.Value("tock_http_requests_total", k400);
    CHECK(moved_400 == 1);
    CHECK(after.Value("tock_http_requests_total", {{"route", "other"}, {"status", "404"}}) >= 1);
    for (const Sample& s : after.samples) {
      if (s.name == "tock_http_requests_total") {
        CHECK(s.labels.at("route").find("123") == std::string::npos);
      }
    }

    const std::string log = tock->ReadLog();
    std::istringstream lines(log);
    std::string line, found;
    while (std::getline(lines, line)) {
      if (Contains(line, "it-bad-req-4242")) found = line;
    }
    CHECK_MESSAGE(Contains(found, "event=http.request"), log);
    CHECK(Contains(found, "status=400"));
    CHECK(Contains(found, "/task/create"));
    CHECK(Contains(found, "duration_ms="));
    CHECK_FALSE(Contains(log, fx.app.secret_key));
    CHECK_FALSE(Contains(log, fx.app.webhook_secret));
    CHECK_FALSE(Contains(log, tock->admin_token()));
    CHECK_FALSE(Contains(log, "{not json"));
  }
}

}  // namespace tock::testing
