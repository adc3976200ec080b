// DESIGN: the client commands are thin: they build a request body, send it with
// cpp-httplib's client (one connection, TCP_NODELAY, bounded timeouts) and print what comes
// back. Validation stays on the server, so the CLI reports exactly the server's message
// (which names the field and the rule) instead of a second, drifting copy of the rules.

#include "cli/cli_common.h"

#include <httplib.h>
#include <simdjson.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>

namespace tock::cli {

std::optional<std::string> Flags::Last(const std::string& name) const {
  auto it = values.find(name);
  if (it == values.end() || it->second.empty()) return std::nullopt;
  return it->second.back();
}

Result<Flags> ParseFlags(const std::vector<std::string>& args,
                         const std::set<std::string>& with_value,
                         const std::set<std::string>& booleans) {
  Flags flags;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a == "--help" || a == "-h") {
      flags.set_booleans.insert("help");
      continue;
    }
    if (!a.starts_with("--") || a == "--") {
      flags.positional.push_back(a);
      continue;
    }
    std::string name = a.substr(2);
    std::optional<std::string> value;
    if (size_t eq = name.find('='); eq != std::string::npos) {
      value = name.substr(eq + 1);
      name.resize(eq);
    }
    if (booleans.count(name)) {
      if (value && *value != "true" && *value != "false") {
        return Status::Invalid("flag --" + name + ": takes no value (or true|false)");
      }
      if (!value || *value == "true") flags.set_booleans.insert(name);
      continue;
    }
    if (!with_value.count(name)) return Status::Invalid("unknown flag --" + name);
    if (!value) {
      if (i + 1 >= args.size()) return Status::Invalid("flag --" + name + ": needs a value");
      value = args[++i];
    }
    flags.values[name].push_back(*value);
  }
  return flags;
}

const std::set<std::string>& AdminFlagNames() {
  static const std::set<std::string> names = {"server", "token", "data"};
  return names;
}

const char* const kAdminFlagsHelp =
    "  --server URL   the tock server (env TOCK_SERVER; default http://127.0.0.1:9502)\n"
    "  --token T      the admin token (env TOCK_ADMIN_TOKEN; else read from\n"
    "                 <--data DIR>/admin.token, default ./tock-data/admin.token)\n"
    "  --data DIR     the server's data directory, to read admin.token from\n";

namespace {

std::string Env(const char* name) {
  const char* v = std::getenv(name);
  return v ? v : "";
}

}  // namespace

Result<AdminTarget> ResolveAdminTarget(const Flags& flags) {
  AdminTarget t;
  t.server = flags.Last("server").value_or(Env("TOCK_SERVER"));
  if (t.server.empty()) t.server = "http://127.0.0.1:9502";
  if (t.server.find("://") == std::string::npos) t.server = "http://" + t.server;
  while (t.server.size() > 1 && t.server.back() == '/') t.server.pop_back();

  t.token = flags.Last("token").value_or(Env("TOCK_ADMIN_TOKEN"));
  if (t.token.empty()) {
    std::string dir = flags.Last("data").value_or("./tock-data");
    std::string path = dir + "/admin.token";
    std::ifstream in(path);
    std::string line;
    if (!in || !std::getline(in, line) || line.empty()) {
      return Status::Invalid("no admin token: give --token, set TOCK_ADMIN_TOKEN, or point "
                             "--data at the server's data directory (cannot read " + path + ")");
    }
    if (!line.empty() && line.back() == '\r') line.pop_back();
    t.token = line;
  }
  return t;
}

HttpReply AdminRequest(const AdminTarget& target, const std::string& method,
                       const std::string& path, const std::string& body, int read_timeout_s) {
  HttpReply reply;
  httplib::Client client(target.server);
  if (!client.is_valid()) {
    reply.error = "bad server address " + target.server;
    return reply;
  }
  client.set_tcp_nodelay(true);
  client.set_connection_timeout(5, 0);
  client.set_read_timeout(read_timeout_s, 0);
  client.set_write_timeout(30, 0);
  client.set_keep_alive(false);
  httplib::Headers headers = {{"Authorization", "Bearer " + target.token}};
  httplib::Result res = method == "POST"
                            ? client.Post(path, headers, body, "application/json")
                            : client.Get(path, headers);
  if (!res) {
    reply.error = httplib::to_string(res.error());
    return reply;
  }
  reply.status = res->status;
  reply.body = res->body;
  return reply;
}

int HandleReply(const AdminTarget& target, const HttpReply& reply,
                void (*print)(const std::string& data_json)) {
  if (reply.status == 0) {
    std::fprintf(stderr, "tock: cannot reach %s: %s\n", target.server.c_str(),
                 reply.error.c_str());
    return kExitFailed;
  }
  simdjson::dom::parser parser;
  simdjson::dom::element root;
  if (parser.parse(reply.body).get(root) != simdjson::SUCCESS) {
    std::fprintf(stderr, "tock: HTTP %d, not JSON: %.300s\n", reply.status, reply.body.c_str());
    return kExitFailed;
  }
  int64_t code = -1;
  std::string_view msg;
  if (root["code"].get(code) != simdjson::SUCCESS) code = -1;
  if (root["msg"].get(msg) != simdjson::SUCCESS) msg = "(no msg)";
  if (reply.status != 200 || code != 0) {
    std::fprintf(stderr, "tock: HTTP %d: %.*s\n", reply.status, static_cast<int>(msg.size()),
                 msg.data());
    return kExitFailed;
  }
  simdjson::dom::element data;
  std::string data_json = "{}";
  if (root["data"].get(data) == simdjson::SUCCESS) data_json = simdjson::minify(data);
  print(data_json);
  return kExitOk;
}

bool PrintObjectLines(const std::string& object_json) {
  simdjson::dom::parser parser;
  simdjson::dom::object obj;
  if (parser.parse(object_json).get(obj) != simdjson::SUCCESS) return false;
  auto print = [](std::string_view key, simdjson::dom::element value) {
    std::string_view s;
    std::string text = value.get(s) == simdjson::SUCCESS ? std::string(s) : simdjson::minify(value);
    std::printf("%.*s: %s\n", static_cast<int>(key.size()), key.data(), text.c_str());
  };
  for (auto [key, value] : obj) {
    simdjson::dom::object inner;
    if (value.get(inner) == simdjson::SUCCESS) {
      // One level of nesting as "outer.inner: value" lines (pause.kind, delivery.window).
      for (auto [k, v] : inner) print(std::string(key) + "." + std::string(k), v);
    } else {
      print(key, value);
    }
  }
  return true;
}

}  // namespace tock::cli
