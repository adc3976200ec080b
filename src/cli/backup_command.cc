// `tock backup --to DIR`: an online backup of a running server (POST /admin/backup). The
// server writes <DIR>/db (a RocksDB checkpoint) and <DIR>/admin.token; DIR must not exist or
// be empty. DIR is a path on the server's machine: a relative one is made absolute against
// this shell's working directory (right when the server runs on the same machine).
// `tock serve --data DIR` starts a server from the copy.

#include <cstdio>
#include <filesystem>
#include <string>
#include <system_error>
#include <vector>

#include "cli/cli_common.h"
#include "cli/commands.h"
#include "common/json_writer.h"

namespace tock::cli {
namespace {

constexpr const char* kHelp =
    "Usage: tock backup --to DIR [options]\n\n"
    "An online, consistent copy of a running server's data into DIR (on the server's\n"
    "machine; must not exist, or be empty): DIR/db and DIR/admin.token. Start a server\n"
    "from it with `tock serve --data DIR`.\n\n"
    "  --to DIR       the backup directory (relative: against the current directory)\n";

void PrintData(const std::string& data) { PrintObjectLines(data); }

}  // namespace

int BackupCommand(const std::vector<std::string>& args) {
  std::set<std::string> with_value = AdminFlagNames();
  with_value.insert("to");
  Result<Flags> flags = ParseFlags(args, with_value, {});
  if (!flags.ok()) {
    std::fprintf(stderr, "tock backup: %s\n", flags.status().message().c_str());
    return kExitUsage;
  }
  if (flags->Bool("help")) {
    std::fputs(kHelp, stdout);
    std::fputs(kAdminFlagsHelp, stdout);
    return kExitOk;
  }
  if (!flags->positional.empty()) {
    std::fprintf(stderr, "tock backup: unexpected argument \"%s\"\n",
                 flags->positional[0].c_str());
    return kExitUsage;
  }
  std::optional<std::string> to = flags->Last("to");
  if (!to || to->empty()) {
    std::fprintf(stderr, "tock backup: --to DIR is required\n");
    return kExitUsage;
  }
  std::error_code ec;
  std::filesystem::path dir = std::filesystem::absolute(*to, ec);
  if (ec) {
    std::fprintf(stderr, "tock backup: --to %s: %s\n", to->c_str(), ec.message().c_str());
    return kExitUsage;
  }
  std::string path = dir.lexically_normal().string();
  Result<AdminTarget> target = ResolveAdminTarget(*flags);
  if (!target.ok()) {
    std::fprintf(stderr, "tock backup: %s\n", target.status().message().c_str());
    return kExitUsage;
  }
  JsonWriter w;
  w.BeginObject();
  w.Key("to"); w.String(path);
  w.EndObject();
  // A checkpoint flushes the memtables first: allow it minutes on a busy server.
  return HandleReply(*target, AdminRequest(*target, "POST", "/admin/backup", w.Take(), 600),
                     PrintData);
}

}  // namespace tock::cli
