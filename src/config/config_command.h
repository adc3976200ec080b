// `tock config ...`: small helpers around the settings table.
//
//   tock config example [--name value]...   the commented example config (packaging/tock.toml
//                                           is `tock config example --data /var/lib/tock`)
//   tock config check [--config FILE] [--name value]...
//                                           loads the settings as `tock serve` would, checks
//                                           them (and the time zone) and exits 0, or prints
//                                           the error and exits 2
#pragma once

#include <string>
#include <vector>

namespace tock {

// args are the words after "config". Prints to stdout/stderr; returns the exit code.
int ConfigCommand(const std::vector<std::string>& args);

}  // namespace tock
