// tock: schedules delayed and recurring work and delivers it as signed HTTP callbacks.
// main only wires: parse the sub-command, build the server, run it, stop it on a signal.

#include <pthread.h>
#include <signal.h>

#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

#include "cli/commands.h"
#include "common/log.h"
#include "common/thread_name.h"
#include "config/config_command.h"
#include "config/settings.h"
#include "server/server.h"

// jemalloc's settings (meson.build links it into this binary in place of glibc's malloc), read
// at the first allocation; MALLOC_CONF in the environment still wins. So that RSS follows
// what is live, not what was once allocated (tools/bench W3: 1 000 000 tasks enqueued in
// 1000-task batches, RSS 2 s later): freed pages go back to the system within 0.5 s, by one
// background thread even when tock is idle (jemalloc's defaults, 10 s and only on allocator
// activity: 182 MiB; these: 103 MiB, glibc with a fixed mmap threshold and 4 arenas: 87 MiB),
// and two arenas instead of 4 x cores, the threads' caches serving most allocations.
extern "C" const char* malloc_conf =
    "background_thread:true,max_background_threads:1,dirty_decay_ms:500,muzzy_decay_ms:0,"
    "narenas:2";

namespace {

constexpr const char* kVersion = "0.1.0";

int Usage(FILE* out) {
  std::fprintf(out,
               "Usage: tock <command> [options]\n\n"
               "Commands:\n"
               "  serve      run the scheduler (tock serve --help for its settings)\n"
               "  config     example | check: the config file (tock config --help)\n"
               "  app        create | list | show | update | pause | resume applications on a running\n"
               "             server (tock app --help)\n"
               "  backup     an online backup of a running server (tock backup --to DIR)\n"
               "  verify     check a received callback's signature (tock verify --help)\n"
               "  version    print the version\n");
  return out == stderr ? 2 : 0;
}

int Serve(const std::vector<std::string>& args) {
  tock::Settings settings;
  std::string help;
  tock::Status s = tock::LoadSettings(args, &settings, &help);
  if (!help.empty()) {
    std::fputs(help.c_str(), stdout);
    return 0;
  }
  if (!s.ok()) {
    tock::log::Error("config.invalid", {{"error", s.message()}});
    return 2;
  }

  // Block the stop signals in every thread (threads inherit the mask); one thread waits for
  // them with sigwait, so no handler runs at an arbitrary point.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
  signal(SIGPIPE, SIG_IGN);

  tock::TockServer server(settings);
  s = server.Start();
  if (!s.ok()) {
    tock::log::Error("start.failed", {{"error", s.message()}});
    return 1;
  }
  std::thread waiter([&server, stop_signals] {
    tock::NameThisThread("tock-signals");
    int sig = 0;
    sigwait(&stop_signals, &sig);
    tock::log::Info("signal", {{"signal", sig == SIGTERM ? "SIGTERM" : "SIGINT"}});
    server.Stop();
  });
  server.Run();
  waiter.join();
  // Storage is flushed and closed. Exit without joining the HTTP threads that still hold
  // idle keep-alive connections (they would keep the process up to 5 s longer).
  std::fflush(stdout);
  std::_Exit(0);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) return Usage(stderr);
  std::string cmd = argv[1];
  std::vector<std::string> args(argv + 2, argv + argc);
  if (cmd == "serve") return Serve(args);
  if (cmd == "config") return tock::ConfigCommand(args);
  if (cmd == "app") return tock::cli::AppCommand(args);
  if (cmd == "backup") return tock::cli::BackupCommand(args);
  if (cmd == "verify") return tock::cli::VerifyCommand(args);
  if (cmd == "version" || cmd == "--version") {
    std::printf("tock %s\n", kVersion);
    return 0;
  }
  if (cmd == "help" || cmd == "--help" || cmd == "-h") return Usage(stdout);
  std::fprintf(stderr, "tock: unknown command \"%s\"\n", cmd.c_str());
  return Usage(stderr);
}
