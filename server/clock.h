// Milliseconds on the steady clock: the one time base of a running script's start
// (ScriptRunState::started_ms), of busy-reply-threshold checks and of a parked command's retry
// time (ClientState::retry_at_ms), which the scripting code, the dispatcher and the connection
// compare with each other.
#ifndef STASH_SERVER_CLOCK_H_
#define STASH_SERVER_CLOCK_H_

#include <chrono>
#include <cstdint>

namespace stash::server {

inline int64_t SteadyMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

}  // namespace stash::server

#endif  // STASH_SERVER_CLOCK_H_
