// The client sub-commands of the tock binary; main dispatches to them. Each takes the
// arguments after its own name and returns the process exit code (see cli/cli_common.h).
#pragma once

#include <string>
#include <vector>

namespace tock::cli {

int AppCommand(const std::vector<std::string>& args);     // tock app create|list|show
int BackupCommand(const std::vector<std::string>& args);  // tock backup --to DIR
int VerifyCommand(const std::vector<std::string>& args);  // tock verify --secret whsec_...

}  // namespace tock::cli
