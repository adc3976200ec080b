// POST /task/batch-create (SPEC §3): 1–1000 tasks, all or nothing, ids in request order.
#include <set>

#include "integration/integration_util.h"

namespace tock::testing {
namespace {

std::string BatchBody(const std::vector<TaskSpec>& specs) {
  std::string body = "{\"tasks\":[";
  for (size_t i = 0; i < specs.size(); ++i) {
    if (i) body += ',';
    body += specs[i].ToJson();
  }
  return body + "]}";
}

std::vector<TaskSpec> FarFutureSpecs(size_t n, const std::string& prefix) {
  std::vector<TaskSpec> specs;
  const std::string runtime = RuntimeJson(WallNowMs() + 3600 * 1000);
  for (size_t i = 0; i < n; ++i) {
    specs.push_back({.task_no = prefix + std::to_string(i),
                     .runtime = runtime,
                     .content = "{\"i\":" + std::to_string(i) + "}"});
  }
  return specs;
}

}  // namespace

TEST_SUITE("BatchCreate") {
  TEST_CASE("1000 tasks come back as 1000 distinct taskIds in request order") {
    AppFixture f;
    auto specs = FarFutureSpecs(1000, "b-");
    ApiResponse r = f.api.AppPost(f.app, "/task/batch-create", BatchBody(specs));
    INFO("batch: ", r.Describe());
    REQUIRE(r.status == 200);
    CHECK(r.code() == 0);
    REQUIRE(r.Size("/data/taskIds") == 1000);
    std::set<int64_t> ids;
    for (int i = 0; i < 1000; ++i) {
      int64_t id = r.Int("/data/taskIds/" + std::to_string(i));
      CHECK(id != INT64_MIN);
      ids.insert(id);
    }
    CHECK(ids.size() == 1000);
    // "In order": taskIds[i] is the task built from tasks[i].
    for (int i : {0, 1, 499, 998, 999}) {
      INFO("index ", i);
      ApiResponse d = f.api.Detail(f.app, r.Int("/data/taskIds/" + std::to_string(i)));
      CHECK(d.Str("/data/taskNo") == "b-" + std::to_string(i));
      CHECK(d.Json("/data/content") == "{\"i\":" + std::to_string(i) + "}");
    }
    // The batch's taskNos are registered like single creates'.
    ApiResponse dup = f.api.CreateTask(f.app, specs[7]);
    CHECK(dup.Int("/data/taskId") == r.Int("/data/taskIds/7"));
    CHECK(dup.Bool("/data/duplicate") == true);
  }

  TEST_CASE("one invalid task rejects the whole batch, naming its index and field") {
    AppFixture f;
    auto specs = FarFutureSpecs(10, "bad-batch-");
    specs[3].runtime = JsonString("2023-02-30 10:00:00");
    ApiResponse r = f.api.AppPost(f.app, "/task/batch-create", BatchBody(specs));
    CheckError(r, 400, "tasks[3].runtime");

    specs[3].runtime = specs[2].runtime;
    specs[6].content.reset();
    r = f.api.AppPost(f.app, "/task/batch-create", BatchBody(specs));
    CheckError(r, 400, "tasks[6].content");

    // None was created: their taskNos are still free.
    for (int i : {0, 3, 9}) {
      INFO("index ", i);
      ApiResponse single = f.api.CreateTask(f.app, specs[i]);
      REQUIRE_MESSAGE(single.status == 200, single.Describe());
      CHECK_FALSE(single.Bool("/data/duplicate", false));
    }
  }

  TEST_CASE("an empty batch, a batch of 1001 and a batch without tasks are 400") {
    AppFixture f;
    CheckError(f.api.AppPost(f.app, "/task/batch-create", R"({"tasks":[]})"), 400, "tasks");
    CheckError(f.api.AppPost(f.app, "/task/batch-create", BatchBody(FarFutureSpecs(1001, "x"))),
               400, "tasks");
    CheckError(f.api.AppPost(f.app, "/task/batch-create", R"({})"), 400, "tasks");
    CheckError(f.api.AppPost(f.app, "/task/batch-create", R"({"tasks":{}})"), 400, "tasks");
  }

  TEST_CASE("batch-created tasks are delivered like single ones") {
    AppFixture f;
    std::vector<TaskSpec> specs(3);
    ApiResponse r = f.api.AppPost(f.app, "/task/batch-create", BatchBody(specs));
    REQUIRE_MESSAGE(r.status == 200, r.Describe());
    REQUIRE(f.receiver.WaitForCount(3, 5s));
    std::set<std::string> got, want;
    for (const auto& req : f.receiver.Requests()) got.insert(req.Header("webhook-id"));
    for (int i = 0; i < 3; ++i) {
      want.insert(std::to_string(r.Int("/data/taskIds/" + std::to_string(i))));
    }
    CHECK(got == want);
  }
}

}  // namespace tock::testing
