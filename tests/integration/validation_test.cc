// Bad input (SPEC §3): every rejected field answers 400 (413 for a huge body) with code 1 and
// a msg naming the field, and the server keeps serving afterwards.
#include <algorithm>
#include <cctype>

#include "integration/integration_util.h"

namespace tock::testing {
namespace {

std::string Lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

constexpr int64_t kDayMs = 24LL * 3600 * 1000;

}  // namespace

TEST_SUITE("Validation") {
  TEST_CASE("malformed JSON is 400 and the msg says JSON") {
    AppFixture f;
    for (std::string body : {R"({"content": )", "not json at all", R"({"content":{}}})", ""}) {
      INFO("body: ", body);
      ApiResponse r = f.api.CreateTaskJson(f.app, body);
      INFO("response: ", r.Describe());
      CHECK(r.status == 400);
      CHECK(r.code() == 1);
      CHECK(Contains(Lower(r.msg()), "json"));
    }
    // Valid JSON that is not an object.
    ApiResponse r = f.api.CreateTaskJson(f.app, "[1,2]");
    CHECK_MESSAGE(r.status == 400, r.Describe());
  }

  TEST_CASE("content is required and must be a JSON object or string of at most 64 KiB") {
    AppFixture f;
    CheckError(f.api.CreateTask(f.app, {.content = std::nullopt}), 400, "content");
    CheckError(f.api.CreateTask(f.app, {.content = "5"}), 400, "content");
    CheckError(f.api.CreateTask(f.app, {.content = "null"}), 400, "content");
    CheckError(f.api.CreateTask(f.app, {.content = "[1,2]"}), 400, "content");
    CheckError(f.api.CreateTask(f.app, {.content = JsonString(std::string(70 * 1024, 'c'))}),
               400, "content");
    ApiResponse ok = f.api.CreateTask(
        f.app, {.runtime = RuntimeJson(WallNowMs() + 3600000),
                .content = JsonString(std::string(60 * 1024, 'c'))});
    CHECK_MESSAGE(ok.status == 200, ok.Describe());
  }

  TEST_CASE("timeout must be an integer from 1 to 600000 ms") {
    AppFixture f;
    for (std::string bad : {"\"abc\"", "0", "-5", "600001", "true", "{}"}) {
      INFO("timeout: ", bad);
      CheckError(f.api.CreateTask(f.app, {.timeout = bad}), 400, "timeout");
    }
    for (std::string good : {"1", "600000"}) {
      INFO("timeout: ", good);
      ApiResponse r = f.api.CreateTask(
          f.app, {.runtime = RuntimeJson(WallNowMs() + 3600000), .timeout = good});
      CHECK_MESSAGE(r.status == 200, r.Describe());
    }
  }

  TEST_CASE("runtime must be a real date at most 365 days ahead") {
    AppFixture f;
    const std::string bad[] = {
        JsonString("2023-02-30 10:00:00"),                    // no such day
        JsonString("2026-13-01 00:00:00"),                    // no such month
        JsonString("2026-01-01 24:00:01"),                    // no such hour
        JsonString("tomorrow"),
        JsonString("2026/01/01 00:00:00"),
        RuntimeJson(WallNowMs() + 366 * kDayMs),              // too far ahead
        std::to_string((WallNowMs() + 400 * kDayMs) / 1000),  // too far, as unix seconds
        "true",
        "{}",
    };
    for (const auto& runtime : bad) {
      INFO("runtime: ", runtime);
      CheckError(f.api.CreateTask(f.app, {.runtime = runtime}), 400, "runtime");
    }
    ApiResponse ok = f.api.CreateTask(f.app, {.runtime = RuntimeJson(WallNowMs() + 364 * kDayMs)});
    CHECK_MESSAGE(ok.status == 200, ok.Describe());
  }

  TEST_CASE("taskNo is at most 64 of [A-Za-z0-9_.:-] and name at most 64") {
    AppFixture f;
    const std::string far = RuntimeJson(WallNowMs() + 3600000);
    CheckError(f.api.CreateTask(f.app, {.task_no = std::string(65, 'n')}), 400, "taskNo");
    CheckError(f.api.CreateTask(f.app, {.task_no = "has space"}), 400, "taskNo");
    CheckError(f.api.CreateTask(f.app, {.task_no = "a/b"}), 400, "taskNo");
    CheckError(f.api.CreateTaskJson(f.app, R"({"taskNo":12,"content":{}})"), 400, "taskNo");
    CheckError(f.api.CreateTask(f.app, {.name = std::string(65, 'm')}), 400, "name");
    ApiResponse ok = f.api.CreateTask(
        f.app, {.task_no = std::string(64, 'n'), .runtime = far, .name = std::string(64, 'm')});
    CHECK_MESSAGE(ok.status == 200, ok.Describe());
    ApiResponse chars = f.api.CreateTask(f.app, {.task_no = "Az09_.:-", .runtime = far});
    CHECK_MESSAGE(chars.status == 200, chars.Describe());
  }

  TEST_CASE("a body over 1 MiB is 413") {
    AppFixture f;
    const std::string huge =
        "{\"content\":" + JsonString(std::string(2 * 1024 * 1024, 'z')) + "}";
    ApiResponse r = f.api.CreateTaskJson(f.app, huge);
    INFO("response: ", r.Describe());
    CHECK(r.status == 413);
    CHECK(r.code() == 1);
    CHECK(f.api.Healthz() == 200);
  }

  TEST_CASE("detail and cancel need an integer id; publish needs task_id") {
    AppFixture f;
    CheckError(f.api.AppGet(f.app, "/task/detail?id=abc"), 400, "id");
    CheckError(f.api.AppGet(f.app, "/task/detail"), 400, "id");
    CheckError(f.api.AppPost(f.app, "/task/cancel", R"({"id":"x"})"), 400, "id");
    CheckError(f.api.AppPost(f.app, "/task/cancel", R"({})"), 400, "id");
    CheckError(f.api.AppPost(f.app, "/task/publish", R"({})"), 400, "task_id");
  }

  TEST_CASE("application/create checks every field") {
    Receiver rx;
    ApiClient api(SharedTock());
    auto create = [&](const std::string& body) { return api.AdminPost("/application/create", body); };
    auto body = [&](const std::string& field, const std::string& raw) {
      // A valid body with one field replaced (or dropped when raw is empty).
      std::string out = "{";
      const std::pair<std::string, std::string> fields[] = {
          {"appName", JsonString("app")}, {"linkUrl", JsonString(rx.Url())},
          {"step", "5"}, {"retryTotal", "3"}, {"remark", JsonString("r")}};
      bool first = true;
      for (const auto& [k, v] : fields) {
        std::string value = k == field ? raw : v;
        if (value.empty()) continue;
        if (!first) out += ',';
        first = false;
        out += JsonString(k) + ":" + value;
      }
      if (field == "successMode") out += ",\"successMode\":" + raw;
      return out + "}";
    };
    const std::pair<std::string, std::string> bad[] = {
        {"linkUrl", JsonString("ftp://127.0.0.1/hook")},
        {"linkUrl", JsonString("not a url")},
        {"linkUrl", JsonString("http://127.0.0.1/" + std::string(2100, 'p'))},
        {"linkUrl", ""},
        {"linkUrl", "42"},
        {"step", "3601"},
        {"step", "-1"},
        {"step", JsonString("five")},
        {"retryTotal", "11"},
        {"retryTotal", "-1"},
        {"appName", JsonString("")},
        {"appName", JsonString(std::string(101, 'a'))},
        {"appName", ""},
        {"remark", JsonString(std::string(256, 'r'))},
        {"successMode", JsonString("sometimes")},
    };
    for (const auto& [field, raw] : bad) {
      INFO(field, " = ", raw.size() > 80 ? raw.substr(0, 80) + "..." : raw);
      CheckError(create(body(field, raw)), 400, field);
    }
    ApiResponse ok = create(body("step", "3600"));
    CHECK_MESSAGE(ok.status == 200, ok.Describe());
    ok = create(body("retryTotal", "10"));
    CHECK_MESSAGE(ok.status == 200, ok.Describe());
    ok = create(body("successMode", JsonString("status")));
    CHECK_MESSAGE(ok.status == 200, ok.Describe());
    ok = create(body("step", "0"));
    CHECK_MESSAGE(ok.status == 200, ok.Describe());
    ApiResponse malformed = create("{\"appName\":");
    CHECK_MESSAGE(malformed.status == 400, malformed.Describe());
    CHECK_MESSAGE(Contains(Lower(malformed.msg()), "json"), malformed.Describe());
  }

  TEST_CASE("a JSON body is read as JSON whatever its Content-Type (curl -d sends a form type)") {
    AppFixture f;
    const std::string body = TaskSpec{.runtime = RuntimeJson(WallNowMs() + 3600000),
                                      .content = JsonString(std::string(20 * 1024, 'q'))}
                                 .ToJson();
    const httplib::Headers auth{{"Authorization", BasicAuthValue(f.app.app_key, f.app.secret_key)}};
    for (std::string type : {"application/x-www-form-urlencoded", "text/plain"}) {
      INFO("Content-Type: ", type);
      ApiResponse r = f.api.Post("/task/create", body, auth, type);
      INFO("response: ", r.Describe());
      CHECK(r.status == 200);
    }
  }

  TEST_CASE("deeply nested or non-UTF-8 JSON is 400, not a crash") {
    AppFixture f;
    // 10 KB of nesting: far below the 1 MiB limit, so 400 (not 413) with a JSON msg.
    const std::string deep =
        "{\"content\":" + std::string(5000, '[') + std::string(5000, ']') + "}";
    ApiResponse r = f.api.CreateTaskJson(f.app, deep);
    INFO("deep: ", r.Describe());
    CHECK(r.status == 400);
    CHECK(Contains(Lower(r.msg()), "json"));
    r = f.api.CreateTaskJson(f.app, "{\"content\":\"\xff\xfe\"}");
    INFO("bad UTF-8: ", r.Describe());
    CHECK(r.status == 400);
    CHECK(Contains(Lower(r.msg()), "json"));
    CHECK(f.api.Healthz() == 200);
  }

  TEST_CASE("the server still serves after all the bad input") {
    AppFixture f;
    CHECK(f.api.Healthz() == 200);
    CHECK(f.api.Get("/readyz").status == 200);
    f.MustCreate({});
    CHECK(f.receiver.WaitForCount(1, 5s));
  }
}

}  // namespace tock::testing
