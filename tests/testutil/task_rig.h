// TaskRig: the task service's wiring from server.cc minus HTTP and dispatch, for unit tests:
// a real store of the given backend (testutil/store_backends.h), a timer service, the due
// loader and the task service, all on one FakeClock (2023-11-14 22:13:20 UTC). The timer
// thread is never started: tests tick it by hand (TimerService::TickForTest) or not at all;
// `on_fire` sees what fires.
#pragma once

#include <doctest/doctest.h>

#include <memory>
#include <utility>
#include <vector>

#include "tasks/due_loader.h"
#include "tasks/task_service.h"
#include "testutil/fake_clock.h"
#include "testutil/store_backends.h"
#include "wheel/timer_service.h"

namespace tock::testing {

struct TaskRig {
  std::unique_ptr<StoreBackend> backend;  // first: outlives the store
  FakeClock clock{1'700'000'000'000, 5'000'000};
  std::unique_ptr<Store> store;
  std::unique_ptr<TimerService> timers;
  std::unique_ptr<DueLoader> loader;
  std::unique_ptr<TaskService> tasks;

  explicit TaskRig(std::unique_ptr<StoreBackend> store_backend,
                   TimerService::FireFn on_fire = [](std::vector<TimerService::Fired>&) {},
                   DueLoaderOptions loader_opts = {})
      : backend(std::move(store_backend)) {
    store = backend->Open();
    timers = std::make_unique<TimerService>(clock, std::move(on_fire));
    loader = std::make_unique<DueLoader>(*store, *timers, clock, loader_opts);
    tasks = std::make_unique<TaskService>(*store, *loader, clock, TaskServiceOptions());
  }
};

}  // namespace tock::testing
