// Shared pieces of the integration suite: the one tock server most test cases share, a
// per-test fixture (receiver + client + application), and the Standard Webhooks check that
// runs the public npm library through node.
//
// Tests that kill, restart or reconfigure the server start their own TockProcess (see
// StartOwnTock); everything else uses SharedTock() and isolates itself by creating its own
// application pointed at its own Receiver.
//
// Thread-safety: call from the test thread only.
#pragma once

// The tests build requests with designated initializers that name only the fields they set
// (TaskSpec{.runtime = ...}); GCC 12's -Wextra would flag every one of them.
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"

#include <doctest/doctest.h>

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "testutil/api_client.h"
#include "testutil/receiver.h"
#include "testutil/tock_process.h"

namespace tock::testing {

using namespace std::chrono_literals;

// The server shared by the test cases that do not kill or reconfigure it. Started on first
// use; stopped (SIGKILL) at exit. Fails the current test case if it cannot start or has died.
TockProcess& SharedTock();

// The store arguments of every server these helpers start: none (the embedded store), or,
// with TOCK_IT_STORE=postgresql in the environment, `--store <a fresh database>` on the
// test PostgreSQL server (tools/test.sh runs the core suites a second time that way).
std::vector<std::string> StoreArgs();

// A fresh server with its own data dir. REQUIREs that it started.
std::unique_ptr<TockProcess> StartOwnTock(std::vector<std::string> extra_args = {});

// Runs `node <source root>/<script> <case file>`, the case file holding `case_json`, as the
// node scripts of the suites take their input (npm packages from third_party/node). Returns
// node's exit code; *output gets its stdout+stderr. Up to `timeout`.
int RunNodeScript(const std::string& script, const std::string& case_json, std::string* output,
                  std::chrono::milliseconds timeout = std::chrono::seconds(20));

// Runs tests/integration/verify_webhook.mjs (node + npm `standardwebhooks`) on a delivery.
// Returns node's exit code (0 verified, 1 rejected); *output gets its stdout+stderr.
int VerifyStandardWebhook(const std::string& webhook_secret, const ReceivedRequest& req,
                          std::string* output);
// The same with an explicit body (to show a tampered body is rejected).
int VerifyStandardWebhook(const std::string& webhook_secret, const ReceivedRequest& req,
                          const std::string& body, std::string* output);

// Everything a typical test case needs: its own receiver, a client of the shared server and
// one application whose linkUrl is the receiver.
struct AppFixture {
  explicit AppFixture(const AppOptions& options = {});
  explicit AppFixture(TockProcess& tock, const AppOptions& options = {});

  Receiver receiver;
  ApiClient api;
  App app;

  // Creates a task and REQUIREs a 200 with a taskId; returns the id.
  int64_t MustCreate(const TaskSpec& spec);
};

// Parses a callback body (or any JSON text) into an ApiResponse for its pointer accessors.
ApiResponse ParseJson(const std::string& text);

// True if `haystack` contains `needle`.
inline bool Contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

// How many times `needle` occurs in `haystack` (a log's lines of one event, say).
inline size_t CountOf(const std::string& haystack, const std::string& needle) {
  size_t n = 0;
  for (size_t at = haystack.find(needle); at != std::string::npos;
       at = haystack.find(needle, at + 1)) {
    ++n;
  }
  return n;
}

// A 400 (or given status) error response in the contract's shape whose msg names `field`.
// Checks (does not REQUIRE) so that one call reports every mismatch.
void CheckError(const ApiResponse& r, int http_status, const std::string& field);

}  // namespace tock::testing
