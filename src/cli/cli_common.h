// Shared pieces of the client sub-commands (`tock app`, `tock backup`, `tock verify`): flag
// parsing, finding the server and the admin token, one admin HTTP request, and printing a
// response's data as `key: value` lines.
//
// Exit codes used by every client command: 0 done, 1 the server (or the check) said no or
// could not be reached, 2 bad usage.
//
// Thread-safety: none needed; a command runs on main's thread.
#pragma once

#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "common/status.h"

namespace tock::cli {

constexpr int kExitOk = 0;
constexpr int kExitFailed = 1;
constexpr int kExitUsage = 2;

// Flags as `--name value` or `--name=value`; names in `booleans` take no value (`--name`
// alone means true). A flag may repeat (values keep their order). Anything not starting with
// "--" is positional. "--help"/"-h" is recorded as the boolean "help".
struct Flags {
  std::map<std::string, std::vector<std::string>> values;
  std::set<std::string> set_booleans;
  std::vector<std::string> positional;

  bool Has(const std::string& name) const { return values.count(name) > 0; }
  bool Bool(const std::string& name) const { return set_booleans.count(name) > 0; }
  // The last value given, or nullopt.
  std::optional<std::string> Last(const std::string& name) const;
};

// Fails (kInvalid) on an unknown flag or a missing value.
Result<Flags> ParseFlags(const std::vector<std::string>& args,
                         const std::set<std::string>& with_value,
                         const std::set<std::string>& booleans);

// The flags every admin command takes, for ParseFlags and for help texts.
const std::set<std::string>& AdminFlagNames();
extern const char* const kAdminFlagsHelp;

// Where the server is and the admin token, resolved from flags, then the environment:
//   server: --server, TOCK_SERVER, "http://127.0.0.1:9502" ("host:port" gets "http://")
//   token:  --token, TOCK_ADMIN_TOKEN, the first line of <--data or ./tock-data>/admin.token
struct AdminTarget {
  std::string server;
  std::string token;
};
Result<AdminTarget> ResolveAdminTarget(const Flags& flags);

struct HttpReply {
  int status = 0;            // 0: no answer (see error)
  std::string body;
  std::string error;         // transport error when status == 0
};

// One request with "Authorization: Bearer <token>"; body is sent as application/json when
// method is "POST". read_timeout_s bounds the wait for the answer.
HttpReply AdminRequest(const AdminTarget& target, const std::string& method,
                       const std::string& path, const std::string& body, int read_timeout_s = 30);

// Checks a Serendipity-shaped reply ({"code":0,"msg","data"}): on success prints
// print(data) and returns kExitOk; otherwise prints "tock: <why>" on stderr and returns
// kExitFailed. `print` gets the data member as minified JSON.
int HandleReply(const AdminTarget& target, const HttpReply& reply,
                void (*print)(const std::string& data_json));

// Prints every member of a JSON object as "key: value" (strings unquoted, anything else as
// compact JSON), one per line; a member that is an object prints its members as
// "key.member: value". Returns false if json is not an object.
bool PrintObjectLines(const std::string& object_json);

}  // namespace tock::cli
