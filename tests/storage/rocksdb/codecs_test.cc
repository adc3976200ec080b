// Record encodings (storage/rocksdb/codecs.h): the App format 3 round trip and the decoding of
// format 1 and 2 records; the Schedule format 2 round trip (the trigger as sent, issue 14)
// and the decoding of format 1 Schedule records.
#include "storage/rocksdb/codecs.h"

#include <doctest/doctest.h>

#include "common/coding.h"

namespace tock {
namespace {

App MakeApp() {
  App a;
  a.app_key = "AppKey0123456789";
  a.secret_key = "NewSecretNewSecretNewSecret01234";
  a.name = "demo";
  a.link_url = "https://example.com/hook";
  a.remark = "r";
  a.step_s = 7;
  a.retry_total = 3;
  a.success_mode = SuccessMode::kStatus;
  a.created_ms = 1'700'000'000'000;
  return a;
}

// An App record exactly as format 1 (before secret rotation) wrote it.
std::string EncodeAppFormat1(const App& a) {
  std::string out;
  out.push_back(1);
  PutString(&out, a.app_key);
  PutString(&out, a.secret_key);
  PutString(&out, a.name);
  PutString(&out, a.link_url);
  PutString(&out, a.remark);
  PutFixed32BE(&out, static_cast<uint32_t>(a.step_s));
  PutFixed32BE(&out, static_cast<uint32_t>(a.retry_total));
  out.push_back(static_cast<char>(a.success_mode));
  PutInt64BE(&out, a.created_ms);
  return out;
}

void CheckSameBase(const App& got, const App& want) {
  CHECK(got.app_key == want.app_key);
  CHECK(got.secret_key == want.secret_key);
  CHECK(got.name == want.name);
  CHECK(got.link_url == want.link_url);
  CHECK(got.remark == want.remark);
  CHECK(got.step_s == want.step_s);
  CHECK(got.retry_total == want.retry_total);
  CHECK(got.success_mode == want.success_mode);
  CHECK(got.created_ms == want.created_ms);
}

Schedule MakeSchedule() {
  Schedule s;
  s.id = "0b7f7c1e-2a4b-4c3d-9e8f-0123456789ab";
  s.app_key = "AppKey0123456789";
  s.name = "weekly";
  s.enabled = false;
  s.trigger_json = R"({"single":{"time":"2026-12-01 09:30:00","zone_type":1}})";
  s.push_json = R"({"a":1})";
  s.timer_id = (1ull << 63) | 42;
  s.next_fire_ms = 1'800'000'000'000;
  s.created_ms = 1'700'000'000'000;
  s.updated_ms = 1'700'000'000'001;
  s.expired_ms = 0;
  s.fires = 3;
  return s;
}

// A Schedule record exactly as format 1 (before issue 14) wrote it.
std::string EncodeScheduleFormat1(const Schedule& s) {
  std::string out;
  out.push_back(1);
  PutString(&out, s.id);
  PutString(&out, s.app_key);
  PutString(&out, s.name);
  out.push_back(static_cast<char>(s.enabled ? 1 : 0));
  PutString(&out, s.trigger_json);
  PutString(&out, s.push_json);
  PutFixed64BE(&out, s.timer_id);
  PutInt64BE(&out, s.next_fire_ms);
  PutInt64BE(&out, s.created_ms);
  PutInt64BE(&out, s.updated_ms);
  PutInt64BE(&out, s.expired_ms);
  PutFixed64BE(&out, s.fires);
  return out;
}

void CheckSameSchedule(const Schedule& got, const Schedule& want) {
  CHECK(got.id == want.id);
  CHECK(got.app_key == want.app_key);
  CHECK(got.name == want.name);
  CHECK(got.enabled == want.enabled);
  CHECK(got.trigger_json == want.trigger_json);
  CHECK(got.push_json == want.push_json);
  CHECK(got.timer_id == want.timer_id);
  CHECK(got.next_fire_ms == want.next_fire_ms);
  CHECK(got.created_ms == want.created_ms);
  CHECK(got.updated_ms == want.updated_ms);
  CHECK(got.expired_ms == want.expired_ms);
  CHECK(got.fires == want.fires);
}

}  // namespace

TEST_SUITE("Records") {
  TEST_CASE("a Schedule round-trips in format 2 with the trigger as sent and its cid") {
    Schedule s = MakeSchedule();
    s.trigger_sent = R"({"periodical":{"time_unit":"WEEK","point":["fri","MON"]}})";
    s.cid = "7103a4c428a0b98974ec1849-711161d4-5f17-4d2f-b855-5e5a8909b26e";
    Result<Schedule> d = DecodeSchedule(EncodeSchedule(s));
    REQUIRE_MESSAGE(d.ok(), d.status().message());
    CheckSameSchedule(*d, s);
    CHECK(d->trigger_sent == s.trigger_sent);
    CHECK(d->cid == s.cid);
  }

  TEST_CASE("a format 1 Schedule record still decodes, with no trigger as sent") {
    const Schedule s = MakeSchedule();
    Result<Schedule> d = DecodeSchedule(EncodeScheduleFormat1(s));
    REQUIRE_MESSAGE(d.ok(), d.status().message());
    CheckSameSchedule(*d, s);
    CHECK(d->trigger_sent.empty());
    CHECK(d->cid.empty());
  }

  TEST_CASE("truncated or unknown-format Schedule records are errors") {
    Schedule s = MakeSchedule();
    s.trigger_sent = R"({"single":{"time":"2026-12-01 09:30:00"}})";
    const std::string v2 = EncodeSchedule(s);
    // A format 2 record cut where format 1 ended is corrupt, not a format 1 record.
    CHECK_FALSE(DecodeSchedule(std::string_view(v2).substr(0, EncodeScheduleFormat1(s).size())).ok());
    CHECK_FALSE(DecodeSchedule(std::string_view(v2).substr(0, v2.size() - 1)).ok());
    std::string v3 = v2;
    v3[0] = 3;
    CHECK_FALSE(DecodeSchedule(v3).ok());
    CHECK_FALSE(DecodeSchedule("").ok());
  }

  TEST_CASE("an App with a previous secret round-trips in format 4") {
    App a = MakeApp();
    a.previous_secret = "OldSecretOldSecretOldSecret01234";
    a.previous_secret_until_ms = 1'700'000'086'400'000;
    const std::string bytes = EncodeApp(a);
    CHECK(static_cast<uint8_t>(bytes[0]) == 4);
    Result<App> d = DecodeApp(bytes);
    REQUIRE(d.ok());
    CheckSameBase(*d, a);
    CHECK(d->previous_secret == a.previous_secret);
    CHECK(d->previous_secret_until_ms == a.previous_secret_until_ms);
  }

  TEST_CASE("an App without a previous secret round-trips with the fields empty") {
    const App a = MakeApp();
    Result<App> d = DecodeApp(EncodeApp(a));
    REQUIRE(d.ok());
    CheckSameBase(*d, a);
    CHECK(d->previous_secret.empty());
    CHECK(d->previous_secret_until_ms == 0);
    CHECK_FALSE(PreviousSecretActive(*d, a.created_ms));
  }

  TEST_CASE("flow control, pause and time zone round-trip in format 3") {
    App a = MakeApp();
    a.parallelism = 250;
    a.rate_per_second = 12.5;
    a.pause = PauseKind::kAuto;
    a.pause_reason = "auto: 200 failed attempts in a row";
    a.paused_ms = 1'700'000'000'123;
    a.time_zone = "Asia/Tokyo";
    Result<App> d = DecodeApp(EncodeApp(a));
    REQUIRE(d.ok());
    CheckSameBase(*d, a);
    CHECK(d->parallelism == 250);
    CHECK(d->rate_per_second == 12.5);
    CHECK(d->pause == PauseKind::kAuto);
    CHECK(d->pause_reason == a.pause_reason);
    CHECK(d->paused_ms == a.paused_ms);
    CHECK(d->time_zone == "Asia/Tokyo");
  }

  TEST_CASE("a format 2 App record still decodes, with default flow control") {
    App a = MakeApp();
    a.previous_secret = "OldSecretOldSecretOldSecret01234";
    a.previous_secret_until_ms = 77;
    std::string v2 = EncodeAppFormat1(a);
    v2[0] = 2;
    PutString(&v2, a.previous_secret);
    PutInt64BE(&v2, a.previous_secret_until_ms);
    Result<App> d = DecodeApp(v2);
    REQUIRE_MESSAGE(d.ok(), d.status().message());
    CheckSameBase(*d, a);
    CHECK(d->previous_secret == a.previous_secret);
    CHECK(d->parallelism == 0);
    CHECK(d->rate_per_second == 0);
    CHECK(d->pause == PauseKind::kNone);
    CHECK(d->time_zone.empty());
  }

  TEST_CASE("a format 1 App record still decodes, with no previous secret") {
    const App a = MakeApp();
    Result<App> d = DecodeApp(EncodeAppFormat1(a));
    REQUIRE_MESSAGE(d.ok(), d.status().message());
    CheckSameBase(*d, a);
    CHECK(d->previous_secret.empty());
    CHECK(d->previous_secret_until_ms == 0);
  }

  TEST_CASE("truncated or unknown-format App records are errors") {
    App a = MakeApp();
    a.previous_secret = "OldSecretOldSecretOldSecret01234";
    a.previous_secret_until_ms = 5;
    std::string v3 = EncodeApp(a);
    // A format 3 record cut where format 1 ended is corrupt, not a format 1 record.
    CHECK_FALSE(DecodeApp(std::string_view(v3).substr(0, EncodeAppFormat1(a).size())).ok());
    CHECK_FALSE(DecodeApp(std::string_view(v3).substr(0, v3.size() - 1)).ok());
    std::string v4 = v3;
    v4[0] = 5;
    CHECK_FALSE(DecodeApp(v4).ok());
    CHECK_FALSE(DecodeApp("").ok());
  }

  TEST_CASE("the previous secret is active only before its deadline") {
    App a = MakeApp();
    a.previous_secret = "old";
    a.previous_secret_until_ms = 1000;
    CHECK(PreviousSecretActive(a, 999));
    CHECK_FALSE(PreviousSecretActive(a, 1000));
    a.previous_secret.clear();
    CHECK_FALSE(PreviousSecretActive(a, 0));
  }
}

TEST_SUITE("Records") {
  TEST_CASE("task round-trips through its encoding and a truncated one is refused") {
    Task t;
    t.id = 42;
    t.app_key = "a";
    t.task_no = "b";
    t.name = "c";
    t.content = "\"x\"";
    t.runtime_ms = 1700000000123;
    t.next_run_ms = 1700000001000;
    t.status = TaskStatus::kFailed;
    t.round = 3;
    t.round_start = 1;
    t.elapsed_ms = 99;
    t.timeout_ms = 600000;
    t.schedule_id = "sched";
    std::string enc = EncodeTask(t);
    Result<Task> back = DecodeTask(enc);
    REQUIRE(back.ok());
    CHECK(back->id == 42);
    CHECK(back->runtime_ms == t.runtime_ms);
    CHECK(back->status == TaskStatus::kFailed);
    CHECK(back->round == 3);
    CHECK(back->timeout_ms == 600000);
    CHECK(back->schedule_id == "sched");
    CHECK_FALSE(DecodeTask(std::string_view(enc).substr(0, enc.size() - 1)).ok());
    CHECK_FALSE(DecodeTask("").ok());
  }
}

}  // namespace tock
