// Thread names: every thread tock starts names itself, so `top -H -p $(pidof tock)`,
// `ps -L`, perf and gdb say which part of tock uses the CPU (the callback loops, the
// recorder, the timer...) instead of showing "tock" for all of them.
//
// Linux keeps 15 bytes of a name; a longer one is cut there. Names start with "tock-".
#pragma once

#include <string_view>

namespace tock {

// Names the calling thread. Never fails visibly: a name is a diagnostic.
void NameThisThread(std::string_view name);

}  // namespace tock
