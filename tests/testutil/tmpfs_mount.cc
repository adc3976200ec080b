#include "testutil/tmpfs_mount.h"

#include <fcntl.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <vector>

#include "testutil/tock_process.h"

namespace tock::testing {
namespace {

// mount/umount as root, else through `sudo -n` (no password prompt: fails instead).
int RunPrivileged(std::vector<std::string> argv, std::string* output) {
  if (geteuid() != 0) argv.insert(argv.begin(), {"sudo", "-n"});
  return RunProcess(argv, output, std::chrono::seconds(20));
}

}  // namespace

TmpfsMount::TmpfsMount(std::string dir, int64_t size_bytes) : dir_(std::move(dir)) {
  std::error_code ec;
  std::filesystem::create_directories(dir_, ec);
  if (ec) {
    error_ = "cannot create " + dir_ + ": " + ec.message();
    return;
  }
  std::string out;
  const int rc = RunPrivileged({"mount", "-t", "tmpfs", "-o",
                                "size=" + std::to_string(size_bytes) + ",mode=0755", "tmpfs", dir_},
                               &out);
  if (rc != 0) {
    error_ = "cannot mount a tmpfs on " + dir_ + " (needs root or passwordless sudo; " +
             "the disk-full scenario cannot run without it): exit " + std::to_string(rc) + ": " +
             out;
    return;
  }
  mounted_ = true;
}

TmpfsMount::~TmpfsMount() {
  if (!mounted_) return;
  std::string out;
  if (RunPrivileged({"umount", dir_}, &out) != 0) {
    RunPrivileged({"umount", "-l", dir_},
                  &out);  // still busy (a process we lost track of)
  }
}

int64_t TmpfsMount::FreeBytes() const {
  struct statvfs st;
  if (statvfs(dir_.c_str(), &st) != 0) return -1;
  return static_cast<int64_t>(st.f_bavail) * static_cast<int64_t>(st.f_frsize);
}

int64_t TmpfsMount::Fill(int64_t leave_bytes) {
  int fd = open(filler_path().c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd < 0) return 0;
  static const std::vector<char> kBlock(64 * 1024, 'f');
  int64_t written = 0;
  while (true) {
    const int64_t free_now = FreeBytes();
    if (free_now < 0 || free_now <= leave_bytes) break;
    const size_t n = static_cast<size_t>(std::min<int64_t>(
        static_cast<int64_t>(kBlock.size()), leave_bytes > 0 ? free_now - leave_bytes : free_now));
    ssize_t w = write(fd, kBlock.data(), n);
    if (w <= 0) break;  // ENOSPC: full
    written += w;
  }
  close(fd);
  return written;
}

void TmpfsMount::RemoveFiller() { unlink(filler_path().c_str()); }

}  // namespace tock::testing
