// The shipped binary links every third-party library statically: `ldd` must show nothing
// but glibc's own libraries (or that the binary is not dynamic at all).
#include <doctest/doctest.h>

#include <cstdio>
#include <sstream>
#include <string>

namespace {

std::string RunCommand(const std::string& cmd, int* status) {
  std::string out;
  FILE* p = popen(cmd.c_str(), "r");
  if (p == nullptr) return out;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  *status = pclose(p);
  return out;
}

bool IsGlibcLibrary(const std::string& line) {
  static const char* kAllowed[] = {"linux-vdso", "libc.so", "libm.so", "ld-linux",
                                   "libpthread.so", "libdl.so", "librt.so"};
  for (const char* a : kAllowed) {
    if (line.find(a) != std::string::npos) return true;
  }
  return false;
}

}  // namespace

TEST_SUITE("StaticBinary") {
  TEST_CASE("ldd lists only glibc's libraries") {
    int status = 0;
    std::string out = RunCommand("ldd '" TOCK_BINARY "' 2>&1", &status);
    INFO("ldd output:\n" << out);
    REQUIRE_FALSE(out.empty());
    if (out.find("not a dynamic executable") != std::string::npos) return;
    std::istringstream lines(out);
    std::string line;
    while (std::getline(lines, line)) {
      if (line.find_first_not_of(" \t") == std::string::npos) continue;
      CHECK_MESSAGE(IsGlibcLibrary(line), "a shared non-glibc library slipped in: " << line);
    }
  }

  TEST_CASE("the binary runs and reports its version") {
    int status = 0;
    std::string out = RunCommand("'" TOCK_BINARY "' version", &status);
    CHECK(status == 0);
    CHECK(out.rfind("tock ", 0) == 0);
  }
}
