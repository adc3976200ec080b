// Small socket helpers shared by the test and driver peers that speak raw TCP: the fault
// suite's BadReceiver, the HookServer (receivers) and ClientPool (driver).
//
// Thread-safety: plain functions on the caller's descriptors.
#pragma once

#include <string>

namespace tock::testing {

// A TCP socket listening on 127.0.0.1 at a port the kernel picks (SO_REUSEADDR, close on
// exec; non-blocking if asked). Returns the descriptor and sets *port, or -1 on failure.
int ListenLoopback(int backlog, bool nonblocking, int* port);

// Appends what a non-blocking socket has to *in, until it would block. False when the peer
// closed the stream or the socket failed (what arrived before is still appended).
bool ReadAvailable(int fd, std::string* in);

// Sends from the front of *out until it is empty or the non-blocking socket would block,
// erasing what went out. False when the socket failed.
bool SendAvailable(int fd, std::string* out);

}  // namespace tock::testing
