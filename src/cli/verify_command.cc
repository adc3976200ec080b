// `tock verify --secret whsec_...`: checks a received callback's Standard Webhooks
// signature from a shell. Exit 0 printing "ok: verified", or 1 printing the reason.
//
// Input: an HTTP-ish message on stdin (header lines, an empty line, the body), e.g. a
// `curl -D -` dump or a hand-written file. --header 'k: v' (repeatable) adds or replaces
// headers; --body-file F takes the body from F. With both, stdin is not read; with only
// --body-file, stdin gives the headers.

#include <cstdio>
#include <ctime>
#include <fstream>
#include <iostream>
#include <iterator>
#include <sstream>
#include <string>
#include <vector>

#include "auth/signing.h"
#include "cli/cli_common.h"
#include "cli/commands.h"
#include "cli/verify.h"

namespace tock::cli {
namespace {

constexpr const char* kHelp =
    "Usage: tock verify --secret whsec_... [options] < message\n\n"
    "Checks a received callback's Standard Webhooks signature (webhook-id,\n"
    "webhook-timestamp, webhook-signature). Reads from stdin header lines \"name: value\",\n"
    "an empty line, then the body (a `curl -D -` dump or a hand-written file).\n"
    "Exit 0 printing \"ok: verified\", 1 printing the reason, 2 on bad usage.\n\n"
    "  --secret S            the application's webhookSecret (env TOCK_WEBHOOK_SECRET)\n"
    "  --header 'k: v'       a header (repeatable; replaces one of that name from stdin)\n"
    "  --body-file F         the body, byte for byte, from file F\n"
    "  --no-timestamp-check  accept a webhook-timestamp older (or newer) than 300 s\n";

bool ReadAll(std::istream& in, std::string* out) {
  std::ostringstream ss;
  ss << in.rdbuf();
  *out = ss.str();
  return !in.bad();
}

}  // namespace

int VerifyCommand(const std::vector<std::string>& args) {
  Result<Flags> flags =
      ParseFlags(args, {"secret", "header", "body-file"}, {"no-timestamp-check"});
  if (!flags.ok()) {
    std::fprintf(stderr, "tock verify: %s\n", flags.status().message().c_str());
    return kExitUsage;
  }
  if (flags->Bool("help")) {
    std::fputs(kHelp, stdout);
    return kExitOk;
  }
  if (!flags->positional.empty()) {
    std::fprintf(stderr, "tock verify: unexpected argument \"%s\"\n",
                 flags->positional[0].c_str());
    return kExitUsage;
  }
  std::string secret = flags->Last("secret").value_or("");
  if (secret.empty()) {
    const char* env = std::getenv("TOCK_WEBHOOK_SECRET");
    secret = env ? env : "";
  }
  if (secret.empty()) {
    std::fprintf(stderr, "tock verify: --secret whsec_... is required\n");
    return kExitUsage;
  }
  std::vector<std::pair<std::string, std::string>> extra;
  if (auto it = flags->values.find("header"); it != flags->values.end()) {
    for (const std::string& h : it->second) {
      std::string name, value;
      if (!ParseHeaderLine(h, &name, &value)) {
        std::fprintf(stderr, "tock verify: --header \"%s\": want 'name: value'\n", h.c_str());
        return kExitUsage;
      }
      extra.emplace_back(name, value);
    }
  }
  std::optional<std::string> body_file = flags->Last("body-file");

  HttpMessage msg;
  if (!(body_file && !extra.empty())) {
    std::string text;
    if (!ReadAll(std::cin, &text)) {
      std::fprintf(stderr, "tock verify: cannot read stdin\n");
      return kExitUsage;
    }
    msg = ParseHttpMessage(text);
  }
  for (auto& [name, value] : extra) msg.Set(name, value);
  if (body_file) {
    std::ifstream in(*body_file, std::ios::binary);
    if (!in || !ReadAll(in, &msg.body)) {
      std::fprintf(stderr, "tock verify: cannot read --body-file %s\n", body_file->c_str());
      return kExitUsage;
    }
  }

  if (!InitCrypto()) {
    std::fprintf(stderr, "tock verify: cannot initialise libsodium\n");
    return kExitFailed;
  }
  VerifyOptions opts;
  opts.check_timestamp = !flags->Bool("no-timestamp-check");
  Status s = VerifyWebhook(secret, msg, static_cast<int64_t>(std::time(nullptr)), opts);
  if (!s.ok()) {
    std::printf("failed: %s\n", s.message().c_str());
    return kExitFailed;
  }
  std::printf("ok: verified\n");
  return kExitOk;
}

}  // namespace tock::cli
