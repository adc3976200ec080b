// TmpfsMount: a size-limited tmpfs mounted on a directory, so a test can fill a disk for real
// (ENOSPC from the kernel, not a fake). Mounting needs CAP_SYS_ADMIN: as root it calls mount(8)
// directly, otherwise `sudo -n mount` (never prompts). When neither works, ok() is false and
// error() says why; callers must treat that as a failure, not a skip, so a fault test cannot pass
// without having filled a disk.
//
//   TmpfsMount fs(dir, 48 << 20);
//   REQUIRE_MESSAGE(fs.ok(), fs.error());
//   fs.FreeBytes();  fs.Fill("/filler", 0);  fs.RemoveFiller();
//
// The destructor unmounts (lazily if still busy) and so drops everything on it. Thread-safety:
// none; one owner.
#pragma once

#include <cstdint>
#include <string>

namespace tock::testing {

class TmpfsMount {
 public:
  // Creates `dir` if needed and mounts a tmpfs of `size_bytes` on it.
  TmpfsMount(std::string dir, int64_t size_bytes);
  ~TmpfsMount();
  TmpfsMount(const TmpfsMount&) = delete;
  TmpfsMount& operator=(const TmpfsMount&) = delete;

  bool ok() const { return mounted_; }
  const std::string& error() const { return error_; }
  const std::string& dir() const { return dir_; }

  // Free bytes on the mount (statvfs f_bavail), -1 on error.
  int64_t FreeBytes() const;
  // Writes a filler file <dir>/.filler until at most `leave_bytes` remain free (0: until ENOSPC).
  // Returns the bytes written.
  int64_t Fill(int64_t leave_bytes);
  // Deletes the filler file (space returns at once on tmpfs).
  void RemoveFiller();
  std::string filler_path() const { return dir_ + "/.filler"; }

 private:
  std::string dir_;
  bool mounted_ = false;
  std::string error_;
};

}  // namespace tock::testing
