#include "schedules/schedule_service.h"

#include <doctest/doctest.h>
#include <fcntl.h>
#include <unistd.h>

#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "model/timer_id.h"
#include "testutil/task_rig.h"
#include "timeutil/time_parse.h"

namespace tock {
namespace {

// What tock logs (fd 2) between construction and Take(): the log writes with write(2).
class StderrCapture {
 public:
  StderrCapture() : path_("/tmp/tock-sched-log-" + std::to_string(getpid())) {
    const int fd = open(path_.c_str(), O_CREAT | O_TRUNC | O_WRONLY | O_CLOEXEC, 0600);
    saved_ = dup(2);
    dup2(fd, 2);
    close(fd);
  }
  ~StderrCapture() { Take(); }
  std::string Take() {
    if (saved_ >= 0) {
      dup2(saved_, 2);
      close(saved_);
      saved_ = -1;
      std::ifstream in(path_);
      std::stringstream ss;
      ss << in.rdbuf();
      text_ = ss.str();
      unlink(path_.c_str());
    }
    return text_;
  }

 private:
  std::string path_;
  int saved_ = -1;
  std::string text_;
};

constexpr int64_t kMin = 60'000;
constexpr int64_t kHour = 3'600'000;
constexpr int64_t kDay = 86'400'000;

// The task rig plus the schedule service: tests drive Fire() directly.
struct Fixture : testing::TaskRig {
  std::unique_ptr<ScheduleService> schedules;
  App app_a, app_b;

  explicit Fixture(std::unique_ptr<testing::StoreBackend> backend,
                   ScheduleServiceOptions opts = {})
      : TaskRig(std::move(backend)) {
    opts.server_zone = TimeZone::Utc();
    schedules = std::make_unique<ScheduleService>(*store, *tasks, *loader, clock, opts);
    app_a.app_key = "appAAAAAAAAAAAAA";
    app_b.app_key = "appBBBBBBBBBBBBB";
  }

  std::string Local(int64_t ms) const { return FormatDateTime(ms, TimeZone::Utc()); }

  Trigger Parse(const std::string& json) {
    Result<Trigger> t = ParseTrigger(json, TimeZone::Utc());
    REQUIRE_MESSAGE(t.ok(), t.status().message());
    return *t;
  }
  // One fire at `at_ms` (whole seconds).
  Trigger Single(int64_t at_ms) {
    return Parse(R"({"single":{"time":")" + Local(at_ms) + R"(","zone_type":1}})");
  }
  // Every day at 23:00:00 UTC from now until now + days.
  Trigger Daily(int days) {
    const int64_t now = clock.WallMs();
    return Parse(R"({"periodical":{"start":")" + Local(now) + R"(","end":")" +
                 Local(now + days * kDay) +
                 R"(","time":"23:00:00","time_unit":"day","frequency":1,"zone_type":1}})");
  }
  Schedule Create(const App& app, Trigger t, std::string name = "nightly report") {
    ScheduleSpec spec;
    spec.name = std::move(name);
    spec.trigger = std::move(t);
    spec.push_json = R"({"to":"all","body":{"alert":"hi"}})";
    Result<Schedule> s = schedules->Create(app, std::move(spec));
    REQUIRE_MESSAGE(s.ok(), s.status().message());
    return *s;
  }
  Schedule Get(const App& app, const std::string& id) {
    Result<Schedule> s = schedules->Get(app, id);
    REQUIRE_MESSAGE(s.ok(), s.status().message());
    return *s;
  }
  std::vector<uint64_t> MsgIds(const App& app, const std::string& id) {
    Result<std::vector<uint64_t>> m = schedules->MsgIds(app, id);
    REQUIRE_MESSAGE(m.ok(), m.status().message());
    return *m;
  }
  // Every due-index entry, in order.
  std::vector<std::pair<int64_t, uint64_t>> Due() {
    std::vector<std::pair<int64_t, uint64_t>> out;
    REQUIRE(store->ScanDue(INT64_MIN, INT64_MAX, [&](int64_t ms, uint64_t id) {
      out.emplace_back(ms, id);
      return true;
    }).ok());
    return out;
  }
  // Moves the clock to the schedule's next fire and fires it.
  void FireNext(const std::string& id, int64_t late_ms = 0) {
    Schedule s = Get(app_a, id);
    REQUIRE(s.next_fire_ms > 0);
    clock.SetWall(s.next_fire_ms + late_ms);
    REQUIRE(schedules->Fire(s.timer_id, s.next_fire_ms).ok());
  }
};

}  // namespace

TEST_SUITE("ScheduleService") {
  TEST_CASE_TEMPLATE("create puts the next fire in the due index under a schedule timer id",
      Backend, TOCK_STORE_BACKENDS) {
    Fixture fx(std::make_unique<Backend>());
    const int64_t at = fx.clock.WallMs() + kHour;
    Schedule s = fx.Create(fx.app_a, fx.Single(at));
    CHECK(s.id.size() == 36);
    CHECK(IsScheduleTimer(s.timer_id));
    CHECK(s.next_fire_ms == at);
    CHECK(s.expired_ms == 0);
    auto due = fx.Due();
    REQUIRE(due.size() == 1);
    CHECK(due[0] == std::make_pair(at, s.timer_id));
    Result<std::optional<std::string>> back = fx.store->FindScheduleTimer(s.timer_id);
    REQUIRE(back.ok());
    CHECK(**back == s.id);
    CHECK(fx.Get(fx.app_a, s.id).name == "nightly report");
  }

  TEST_CASE_TEMPLATE("enabled false, a past time or a never-firing trigger is refused at creation",
      Backend, TOCK_STORE_BACKENDS) {
    Fixture fx(std::make_unique<Backend>());
    ScheduleSpec spec;
    spec.name = "x";
    spec.enabled = false;
    spec.trigger = fx.Single(fx.clock.WallMs() + kHour);
    spec.push_json = "{\"a\":1}";
    Result<Schedule> r = fx.schedules->Create(fx.app_a, spec);
    REQUIRE_FALSE(r.ok());
    CHECK(r.status().code() == Code::kInvalid);
    CHECK(r.status().message().find("enabled") != std::string::npos);

    spec.enabled = true;
    spec.trigger = fx.Single(fx.clock.WallMs() + kHour);
    fx.clock.Advance(2 * kHour);  // the time has passed by the time it is created
    r = fx.schedules->Create(fx.app_a, spec);
    REQUIRE_FALSE(r.ok());
    CHECK(r.status().message().find("trigger.single.time") != std::string::npos);
    CHECK(fx.Due().empty());
  }

  TEST_CASE_TEMPLATE("a fire creates exactly one message task, even when fired twice",
      Backend, TOCK_STORE_BACKENDS) {
    Fixture fx(std::make_unique<Backend>());
    const int64_t at = fx.clock.WallMs() + kHour;
    Schedule s = fx.Create(fx.app_a, fx.Single(at));
    fx.clock.SetWall(at + 3);
    REQUIRE(fx.schedules->Fire(s.timer_id, at).ok());
    REQUIRE(fx.schedules->Fire(s.timer_id, at).ok());  // the loader and an Arm both fired it

    std::vector<uint64_t> ids = fx.MsgIds(fx.app_a, s.id);
    REQUIRE(ids.size() == 1);
    Result<Task> t = fx.store->GetTask(ids[0]);
    REQUIRE(t.ok());
    CHECK(t->app_key == fx.app_a.app_key);
    CHECK(t->schedule_id == s.id);
    CHECK(t->content == R"({"to":"all","body":{"alert":"hi"}})");
    CHECK(t->name == "nightly report");
    CHECK(t->runtime_ms == at);
    CHECK(t->task_no == s.id + ":" + std::to_string(at));
    CHECK(t->timeout_ms == 30000);
    CHECK(t->status == TaskStatus::kWaiting);
    CHECK_FALSE(IsScheduleTimer(t->id));

    // The message waits in the due index like any task; the schedule's timer is gone.
    auto due = fx.Due();
    REQUIRE(due.size() == 1);
    CHECK(due[0] == std::make_pair(at, t->id));

    Schedule after = fx.Get(fx.app_a, s.id);
    CHECK(after.expired_ms != 0);
    CHECK(after.next_fire_ms == 0);
    CHECK(after.fires == 1);
  }

  TEST_CASE_TEMPLATE("the msg-id record alone keeps a fire from becoming a second message",
      Backend, TOCK_STORE_BACKENDS) {
    Fixture fx(std::make_unique<Backend>());
    Schedule s = fx.Create(fx.app_a, fx.Daily(5));
    const int64_t first = s.next_fire_ms;
    fx.FireNext(s.id);
    REQUIRE(fx.MsgIds(fx.app_a, s.id).size() == 1);
    // Put the schedule back as it was before the fire (as if that write had been lost but
    // the message had not): the same (schedule, fire time) must not make a new message.
    Schedule back = fx.Get(fx.app_a, s.id);
    const std::unique_ptr<Store::Batch> b = fx.store->NewBatch();
    b->DeleteDue(back.next_fire_ms, back.timer_id);
    back.next_fire_ms = first;
    b->PutDue(first, back.timer_id);
    b->PutSchedule(back);
    REQUIRE(fx.store->Write(*b, true).ok());
    REQUIRE(fx.schedules->Fire(s.timer_id, first).ok());
    CHECK(fx.MsgIds(fx.app_a, s.id).size() == 1);
    CHECK(fx.Get(fx.app_a, s.id).next_fire_ms == first + kDay);  // and it moved on
  }

  TEST_CASE_TEMPLATE("schedules far ahead wait on disk, not in the wheel",
      Backend, TOCK_STORE_BACKENDS) {
    Fixture fx(std::make_unique<Backend>());
    for (int i = 0; i < 500; ++i) fx.Create(fx.app_a, fx.Single(fx.clock.WallMs() + kDay));
    REQUIRE(fx.loader->LoadInitial().ok());
    fx.timers->TickForTest();
    CHECK(fx.timers->Size() == 0);
    CHECK(fx.Due().size() == 500);
    // Within the loader's horizon they come into the wheel like tasks.
    fx.clock.Advance(kDay - 30'000);
    REQUIRE(fx.loader->LoadOnce().ok());
    fx.timers->TickForTest();
    CHECK(fx.timers->Size() == 500);
  }

  TEST_CASE_TEMPLATE("a stale timer (wrong due time, unknown timer) does nothing",
      Backend, TOCK_STORE_BACKENDS) {
    Fixture fx(std::make_unique<Backend>());
    const int64_t at = fx.clock.WallMs() + kHour;
    Schedule s = fx.Create(fx.app_a, fx.Single(at));
    fx.clock.SetWall(at);
    REQUIRE(fx.schedules->Fire(s.timer_id, at - 1000).ok());
    REQUIRE(fx.schedules->Fire(kScheduleTimerBit | 999999, at).ok());
    CHECK(fx.MsgIds(fx.app_a, s.id).empty());
    CHECK(fx.Get(fx.app_a, s.id).next_fire_ms == at);
  }

  TEST_CASE_TEMPLATE("a periodical schedule fires each time and expires after its last fire",
      Backend, TOCK_STORE_BACKENDS) {
    Fixture fx(std::make_unique<Backend>());
    Schedule s = fx.Create(fx.app_a, fx.Daily(3));  // 3 fires: today, +1 d, +2 d at 23:00
    const int64_t first = s.next_fire_ms;
    CHECK(first == 1'700'002'800'000);  // 2023-11-14 23:00:00 UTC
    fx.FireNext(s.id);
    CHECK(fx.Get(fx.app_a, s.id).next_fire_ms == first + kDay);
    fx.FireNext(s.id);
    fx.FireNext(s.id);
    Schedule done = fx.Get(fx.app_a, s.id);
    CHECK(done.expired_ms != 0);
    CHECK(done.fires == 3);
    std::vector<uint64_t> ids = fx.MsgIds(fx.app_a, s.id);
    REQUIRE(ids.size() == 3);
    for (int i = 0; i < 3; ++i) {
      Result<Task> t = fx.store->GetTask(ids[i]);
      REQUIRE(t.ok());
      CHECK(t->runtime_ms == first + i * kDay);
    }
    // Expired: out of the list and the count, still readable.
    Result<SchedulePage> p = fx.schedules->List(fx.app_a, 1);
    REQUIRE(p.ok());
    CHECK(p->total_count == 0);
    CHECK(p->schedules.empty());
  }

  TEST_CASE_TEMPLATE("an expired schedule stays readable for the retention, then is swept",
      Backend, TOCK_STORE_BACKENDS) {
    ScheduleServiceOptions opts;
    opts.retention_ms = 30 * kDay;
    Fixture fx(std::make_unique<Backend>(), opts);
    Schedule s = fx.Create(fx.app_a, fx.Single(fx.clock.WallMs() + kMin));
    fx.FireNext(s.id);
    fx.clock.Advance(29 * kDay);
    Result<size_t> swept = fx.schedules->SweepExpired(1000);
    REQUIRE(swept.ok());
    CHECK(*swept == 0);
    CHECK(fx.Get(fx.app_a, s.id).expired_ms != 0);
    fx.clock.Advance(kDay + 1);
    CHECK(fx.schedules->Get(fx.app_a, s.id).status().code() == Code::kNotFound);
    swept = fx.schedules->SweepExpired(1000);
    REQUIRE(swept.ok());
    CHECK(*swept == 1);
    CHECK(fx.store->GetSchedule(s.id).status().code() == Code::kNotFound);
    Result<std::vector<uint64_t>> left = fx.store->ListMsgIds(s.id);
    REQUIRE(left.ok());
    CHECK(left->empty());
  }

  TEST_CASE_TEMPLATE("the sweep walks the table in bounded steps", Backend, TOCK_STORE_BACKENDS) {
    ScheduleServiceOptions opts;
    opts.retention_ms = kDay;
    Fixture fx(std::make_unique<Backend>(), opts);
    std::vector<std::string> ids;
    for (int i = 0; i < 5; ++i) {
      ids.push_back(fx.Create(fx.app_a, fx.Single(fx.clock.WallMs() + kMin)).id);
    }
    for (const std::string& id : ids) {
      Schedule s = fx.Get(fx.app_a, id);
      REQUIRE(fx.schedules->Fire(s.timer_id, s.next_fire_ms).ok());
    }
    fx.clock.Advance(2 * kDay);
    size_t total = 0;
    for (int i = 0; i < 4; ++i) {
      Result<size_t> n = fx.schedules->SweepExpired(2);
      REQUIRE(n.ok());
      CHECK(*n <= 2);
      total += *n;
    }
    CHECK(total == 5);
  }

  TEST_CASE_TEMPLATE("a disabled schedule does not fire; re-enabled it fires again",
      Backend, TOCK_STORE_BACKENDS) {
    Fixture fx(std::make_unique<Backend>());
    Schedule s = fx.Create(fx.app_a, fx.Daily(5));
    const int64_t first = s.next_fire_ms;
    ScheduleUpdate off;
    off.enabled = false;
    REQUIRE(fx.schedules->Update(fx.app_a, s.id, off).ok());
    fx.FireNext(s.id);
    CHECK(fx.MsgIds(fx.app_a, s.id).empty());
    CHECK(fx.Get(fx.app_a, s.id).next_fire_ms == first + kDay);  // the timer moved on

    fx.clock.Advance(kHour);
    ScheduleUpdate on;
    on.enabled = true;
    Result<Schedule> r = fx.schedules->Update(fx.app_a, s.id, on);
    REQUIRE_MESSAGE(r.ok(), r.status().message());
    CHECK(r->next_fire_ms == first + kDay);
    fx.FireNext(s.id);
    CHECK(fx.MsgIds(fx.app_a, s.id).size() == 1);
  }

  TEST_CASE_TEMPLATE("delete stops future fires and removes every trace",
      Backend, TOCK_STORE_BACKENDS) {
    Fixture fx(std::make_unique<Backend>());
    Schedule s = fx.Create(fx.app_a, fx.Daily(5));
    REQUIRE(fx.schedules->Delete(fx.app_a, s.id).ok());
    fx.clock.SetWall(s.next_fire_ms);
    REQUIRE(fx.schedules->Fire(s.timer_id, s.next_fire_ms).ok());
    CHECK(fx.Due().empty());
    CHECK(fx.schedules->Get(fx.app_a, s.id).status().code() == Code::kNotFound);
    CHECK(fx.schedules->Delete(fx.app_a, s.id).code() == Code::kNotFound);
    Result<std::optional<std::string>> timer = fx.store->FindScheduleTimer(s.timer_id);
    REQUIRE(timer.ok());
    CHECK_FALSE(timer->has_value());
  }

  TEST_CASE_TEMPLATE("a fire late within the misfire grace fires once",
      Backend, TOCK_STORE_BACKENDS) {
    Fixture fx(std::make_unique<Backend>());
    Schedule s = fx.Create(fx.app_a, fx.Daily(5));
    const int64_t first = s.next_fire_ms;
    fx.FireNext(s.id, 30 * kMin);  // tock was down for half an hour
    std::vector<uint64_t> ids = fx.MsgIds(fx.app_a, s.id);
    REQUIRE(ids.size() == 1);
    CHECK(fx.store->GetTask(ids[0])->runtime_ms == first);
    CHECK(fx.Get(fx.app_a, s.id).next_fire_ms == first + kDay);
  }

  TEST_CASE_TEMPLATE("fires later than the grace are skipped; the latest inside it fires once",
      Backend, TOCK_STORE_BACKENDS) {
    Fixture fx(std::make_unique<Backend>());  // grace 1 h
    Schedule s = fx.Create(fx.app_a, fx.Daily(10));
    const int64_t first = s.next_fire_ms;

    SUBCASE("every missed fire is beyond the grace: none fires") {
      fx.clock.SetWall(first + 2 * kDay + 2 * kHour);
      REQUIRE(fx.schedules->Fire(s.timer_id, first).ok());
      CHECK(fx.MsgIds(fx.app_a, s.id).empty());
      CHECK(fx.Get(fx.app_a, s.id).next_fire_ms == first + 3 * kDay);
      auto due = fx.Due();
      REQUIRE(due.size() == 1);
      CHECK(due[0] == std::make_pair(first + 3 * kDay, s.timer_id));
    }
    SUBCASE("two days late: the fire in the grace fires, the one before is said in the log") {
      fx.clock.SetWall(first + 2 * kDay + 30 * kMin);
      StderrCapture log;
      REQUIRE(fx.schedules->Fire(s.timer_id, first).ok());
      const std::string lines = log.Take();
      std::vector<uint64_t> ids = fx.MsgIds(fx.app_a, s.id);
      REQUIRE(ids.size() == 1);
      CHECK(fx.store->GetTask(ids[0])->runtime_ms == first + 2 * kDay);
      INFO(lines);
      CHECK(lines.find("event=schedule.misfire_skipped") != std::string::npos);
      CHECK(lines.find("event=schedule.fires_coalesced") != std::string::npos);
      CHECK(lines.find("count=1 first_ms=" + std::to_string(first + kDay)) != std::string::npos);
    }
    SUBCASE("the fire 30 min ago is inside the grace: it alone fires") {
      fx.clock.SetWall(first + kDay + 30 * kMin);
      REQUIRE(fx.schedules->Fire(s.timer_id, first).ok());
      std::vector<uint64_t> ids = fx.MsgIds(fx.app_a, s.id);
      REQUIRE(ids.size() == 1);
      CHECK(fx.store->GetTask(ids[0])->runtime_ms == first + kDay);
      CHECK(fx.Get(fx.app_a, s.id).next_fire_ms == first + 2 * kDay);
    }
  }

  TEST_CASE_TEMPLATE("at most max_per_app unexpired schedules per application",
      Backend, TOCK_STORE_BACKENDS) {
    ScheduleServiceOptions opts;
    opts.max_per_app = 3;
    Fixture fx(std::make_unique<Backend>(), opts);
    std::vector<Schedule> made;
    for (int i = 0; i < 3; ++i) {
      made.push_back(fx.Create(fx.app_a, fx.Single(fx.clock.WallMs() + kHour)));
    }
    ScheduleSpec spec;
    spec.name = "one too many";
    spec.trigger = fx.Single(fx.clock.WallMs() + kHour);
    spec.push_json = "{\"a\":1}";
    Result<Schedule> r = fx.schedules->Create(fx.app_a, spec);
    REQUIRE_FALSE(r.ok());
    CHECK(r.status().code() == Code::kInvalid);
    CHECK(r.status().message().find("limit") != std::string::npos);
    // Another application has its own budget.
    fx.Create(fx.app_b, fx.Single(fx.clock.WallMs() + kHour));
    // An expired schedule no longer counts, nor does a deleted one.
    fx.FireNext(made[0].id);
    fx.Create(fx.app_a, fx.Single(fx.clock.WallMs() + kHour));
    REQUIRE(fx.schedules->Delete(fx.app_a, made[1].id).ok());
    fx.Create(fx.app_a, fx.Single(fx.clock.WallMs() + kHour));
    CHECK_FALSE(fx.schedules->Create(fx.app_a, spec).ok());
  }

  TEST_CASE_TEMPLATE("list is by creation time, 50 a page; a page past the end is empty",
      Backend, TOCK_STORE_BACKENDS) {
    Fixture fx(std::make_unique<Backend>());
    std::vector<std::string> ids;
    for (int i = 0; i < 120; ++i) {
      ids.push_back(fx.Create(fx.app_a, fx.Single(fx.clock.WallMs() + kDay)).id);
      fx.clock.Advance(1);
    }
    Result<SchedulePage> p1 = fx.schedules->List(fx.app_a, 1);
    REQUIRE(p1.ok());
    CHECK(p1->total_count == 120);
    CHECK(p1->total_pages == 3);
    REQUIRE(p1->schedules.size() == 50);
    for (int i = 0; i < 50; ++i) CHECK(p1->schedules[i].id == ids[i]);
    Result<SchedulePage> p3 = fx.schedules->List(fx.app_a, 3);
    REQUIRE(p3.ok());
    REQUIRE(p3->schedules.size() == 20);
    CHECK(p3->schedules.front().id == ids[100]);
    CHECK(p3->schedules.back().id == ids[119]);
    Result<SchedulePage> p9 = fx.schedules->List(fx.app_a, 9);
    REQUIRE(p9.ok());
    CHECK(p9->page == 9);
    CHECK(p9->total_count == 120);
    CHECK(p9->schedules.empty());
  }

  TEST_CASE_TEMPLATE("schedules created in the same millisecond list in creation order",
      Backend, TOCK_STORE_BACKENDS) {
    Fixture fx(std::make_unique<Backend>());
    std::vector<std::string> ids;
    for (int i = 0; i < 20; ++i) {
      ids.push_back(fx.Create(fx.app_a, fx.Single(fx.clock.WallMs() + kDay)).id);
    }
    Result<SchedulePage> p = fx.schedules->List(fx.app_a, 1);
    REQUIRE(p.ok());
    REQUIRE(p->schedules.size() == 20);
    for (int i = 0; i < 20; ++i) CHECK(p->schedules[i].id == ids[i]);
  }

  TEST_CASE_TEMPLATE("applications never see each other's schedules",
      Backend, TOCK_STORE_BACKENDS) {
    Fixture fx(std::make_unique<Backend>());
    Schedule s = fx.Create(fx.app_a, fx.Single(fx.clock.WallMs() + kHour));
    CHECK(fx.schedules->Get(fx.app_b, s.id).status().code() == Code::kNotFound);
    CHECK(fx.schedules->MsgIds(fx.app_b, s.id).status().code() == Code::kNotFound);
    ScheduleUpdate u;
    u.name = "stolen";
    CHECK(fx.schedules->Update(fx.app_b, s.id, u).status().code() == Code::kNotFound);
    CHECK(fx.schedules->Delete(fx.app_b, s.id).code() == Code::kNotFound);
    Result<SchedulePage> p = fx.schedules->List(fx.app_b, 1);
    REQUIRE(p.ok());
    CHECK(p->total_count == 0);
    CHECK(fx.Get(fx.app_a, s.id).name == "nightly report");
  }

  TEST_CASE_TEMPLATE("update replaces sections, recomputes the next fire, refuses bad changes",
      Backend, TOCK_STORE_BACKENDS) {
    Fixture fx(std::make_unique<Backend>());
    const int64_t at = fx.clock.WallMs() + kHour;
    Schedule s = fx.Create(fx.app_a, fx.Single(at));

    ScheduleUpdate u;
    u.name = "renamed";
    u.push_json = R"({"v":2})";
    u.trigger = fx.Single(at + kHour);
    Result<Schedule> r = fx.schedules->Update(fx.app_a, s.id, u);
    REQUIRE_MESSAGE(r.ok(), r.status().message());
    CHECK(r->name == "renamed");
    CHECK(r->push_json == R"({"v":2})");
    CHECK(r->next_fire_ms == at + kHour);
    auto due = fx.Due();
    REQUIRE(due.size() == 1);
    CHECK(due[0] == std::make_pair(at + kHour, s.timer_id));
    // The old timer is stale now.
    fx.clock.SetWall(at);
    REQUIRE(fx.schedules->Fire(s.timer_id, at).ok());
    CHECK(fx.MsgIds(fx.app_a, s.id).empty());

    ScheduleUpdate kind;
    kind.trigger = fx.Daily(3);
    Result<Schedule> bad = fx.schedules->Update(fx.app_a, s.id, kind);
    REQUIRE_FALSE(bad.ok());
    CHECK(bad.status().code() == Code::kInvalid);

    ScheduleUpdate past;
    past.trigger = fx.Single(at - 10 * kMin);
    bad = fx.schedules->Update(fx.app_a, s.id, past);
    REQUIRE_FALSE(bad.ok());
    CHECK(bad.status().message().find("trigger.single.time") != std::string::npos);

    fx.FireNext(s.id);  // expires
    ScheduleUpdate late;
    late.name = "too late";
    bad = fx.schedules->Update(fx.app_a, s.id, late);
    REQUIRE_FALSE(bad.ok());
    CHECK(bad.status().code() == Code::kInvalid);
    CHECK(bad.status().message().find("expired") != std::string::npos);
  }

  TEST_CASE_TEMPLATE("update refuses a zone_type change and keeps the trigger as sent (issue 14)",
      Backend, TOCK_STORE_BACKENDS) {
    Fixture fx(std::make_unique<Backend>());
    const int64_t at = fx.clock.WallMs() + kHour;
    ScheduleSpec spec;
    spec.name = "as sent";
    spec.trigger = fx.Parse(R"({"single":{"time":")" + fx.Local(at) + R"("}})");
    spec.trigger_sent = R"({"single":{"time":")" + fx.Local(at) + R"("}})";
    spec.push_json = R"({"a":1})";
    Result<Schedule> s = fx.schedules->Create(fx.app_a, spec);
    REQUIRE_MESSAGE(s.ok(), s.status().message());
    CHECK(fx.Get(fx.app_a, s->id).trigger_sent == spec.trigger_sent);

    ScheduleUpdate terminal;
    terminal.trigger = fx.Parse(R"({"single":{"time":")" + fx.Local(at) +
                                R"(","zone_type":2,"time_zone":"UTC"}})");
    Result<Schedule> bad = fx.schedules->Update(fx.app_a, s->id, terminal);
    REQUIRE_FALSE(bad.ok());
    CHECK(bad.status().message().find("trigger.single.zone_type: cannot change") == 0);

    ScheduleUpdate same_zone;
    same_zone.trigger = fx.Single(at + kHour);
    same_zone.trigger_sent = R"({"single":{"time":")" + fx.Local(at + kHour) + R"(","zone_type":0}})";
    Result<Schedule> ok = fx.schedules->Update(fx.app_a, s->id, same_zone);
    REQUIRE_MESSAGE(ok.ok(), ok.status().message());
    CHECK(ok->trigger_sent == same_zone.trigger_sent);
    CHECK(fx.Get(fx.app_a, s->id).trigger_sent == same_zone.trigger_sent);
    // A change of the name alone keeps the trigger as it was sent.
    ScheduleUpdate rename;
    rename.name = "renamed";
    REQUIRE(fx.schedules->Update(fx.app_a, s->id, rename).ok());
    CHECK(fx.Get(fx.app_a, s->id).trigger_sent == same_zone.trigger_sent);
  }

  TEST_CASE_TEMPLATE("a cid makes one schedule per application however often it is sent (issue 14)",
      Backend, TOCK_STORE_BACKENDS) {
    Fixture fx(std::make_unique<Backend>());
    auto create = [&](const App& app, const std::string& cid, const std::string& name) {
      ScheduleSpec spec;
      spec.name = name;
      spec.trigger = fx.Single(fx.clock.WallMs() + kHour);
      spec.push_json = R"({"a":1})";
      spec.cid = cid;
      Result<Schedule> s = fx.schedules->Create(app, std::move(spec));
      REQUIRE_MESSAGE(s.ok(), s.status().message());
      return *s;
    };
    const Schedule first = create(fx.app_a, "cid-1", "first");
    CHECK(first.cid == "cid-1");
    CHECK(first.id[14] == '8');  // derived, not random
    const Schedule again = create(fx.app_a, "cid-1", "second");
    CHECK(again.id == first.id);
    CHECK(again.name == "first");  // the first create's schedule, unchanged
    CHECK(fx.Due().size() == 1);
    // Even once its time has passed, a retry returns it instead of failing validation.
    fx.FireNext(first.id);
    CHECK(create(fx.app_a, "cid-1", "late retry").id == first.id);
    // Another cid, or another application's same cid: another schedule.
    CHECK(create(fx.app_a, "cid-2", "other").id != first.id);
    const Schedule b = create(fx.app_b, "cid-1", "b's");
    CHECK(b.id != first.id);
    CHECK(b.name == "b's");
    // After a delete the cid makes a new schedule (with the same id).
    REQUIRE(fx.schedules->Delete(fx.app_a, first.id).ok());
    const Schedule fresh = create(fx.app_a, "cid-1", "fresh");
    CHECK(fresh.id == first.id);
    CHECK(fresh.name == "fresh");
    CHECK(fx.MsgIds(fx.app_a, fresh.id).empty());
  }

  TEST_CASE_TEMPLATE("schedules and their next fires survive reopening the store",
      Backend, TOCK_STORE_BACKENDS) {
    std::string id;
    uint64_t timer = 0;
    int64_t at = 0;
    {
      Fixture fx(std::make_unique<Backend>());
      at = fx.clock.WallMs() + kHour;
      Schedule s = fx.Create(fx.app_a, fx.Single(at));
      id = s.id;
      timer = s.timer_id;
      fx.store.reset();
      auto reopened = fx.backend->TryOpen();
      REQUIRE(reopened.ok());
      Result<Schedule> back = (*reopened)->GetSchedule(id);
      REQUIRE(back.ok());
      CHECK(back->next_fire_ms == at);
      bool found = false;
      REQUIRE((*reopened)->ScanDue(INT64_MIN, INT64_MAX, [&](int64_t ms, uint64_t t) {
        found = found || (ms == at && t == timer);
        return true;
      }).ok());
      CHECK(found);
      fx.schedules.reset();
      fx.tasks.reset();
      fx.loader.reset();
    }
  }
}

}  // namespace tock
