// What other threads may read about scripting while a script runs: whether one is running and
// since when (the dispatcher answers BUSY past busy-reply-threshold), the kill request of
// SCRIPT KILL / FUNCTION KILL / SHUTDOWN NOSAVE, and the figures INFO memory reports.
#ifndef STASH_SERVER_SCRIPTING_SCRIPT_STATE_H_
#define STASH_SERVER_SCRIPTING_SCRIPT_STATE_H_

#include <atomic>
#include <cstdint>
#include <mutex>
#include <string>
#include <vector>

namespace stash::server::scripting {

struct ScriptRunState {
  std::atomic<int64_t> started_ms{0};  // steady-clock ms when the running script began; 0 = none
  std::atomic<bool> is_eval{true};     // EVAL (SCRIPT KILL) or FCALL (FUNCTION KILL)
  std::atomic<bool> kill_requested{false};
  // Orders a kill request against the script's first write: a script that wrote may not be
  // killed (UNKILLABLE), and a script asked to die must not write afterwards.
  std::mutex mu;
  bool wrote = false;  // guarded by mu
  bool force_kill = false;  // SHUTDOWN NOSAVE: kill even after writes; guarded by mu
  std::string name;                  // function name (FCALL) or sha; guarded by mu
  std::vector<std::string> command;  // the FCALL / EVAL argv, for FUNCTION STATS; guarded by mu

  // INFO memory.
  std::atomic<int64_t> lua_eval_bytes{0};
  std::atomic<int64_t> lua_functions_bytes{0};
  std::atomic<int64_t> cached_scripts{0};
  std::atomic<int64_t> cached_scripts_bytes{0};
  std::atomic<int64_t> functions{0};
  std::atomic<int64_t> libraries{0};
  std::atomic<int64_t> functions_bytes{0};
};

}  // namespace stash::server::scripting

#endif  // STASH_SERVER_SCRIPTING_SCRIPT_STATE_H_
