// Starts and stops server processes (stash-server or the reference redis-server) for tests.
//
// Each ServerProcess owns a child process listening on a free 127.0.0.1 port, with its working
// directory in a private temporary directory, so tests never write into the repository and never
// share state. The destructor always stops the child (SIGTERM, then SIGKILL) and reaps it, so a
// failing check cannot leak a server. The child also gets PR_SET_PDEATHSIG, so even a crashed or
// killed test binary does not leave servers behind.

#ifndef STASH_TESTS_HARNESS_SERVER_PROCESS_H_
#define STASH_TESTS_HARNESS_SERVER_PROCESS_H_

#include <sys/types.h>

#include <chrono>
#include <optional>
#include <string>
#include <vector>

namespace stash::test {

enum class ServerKind { kStash, kRedis };

const char* ServerKindName(ServerKind kind);

// Path of the stash-server binary under test (baked in by CMake). Empty if not configured.
std::string StashServerPath();

// Looks `name` up in $PATH. Returns std::nullopt if not found or not executable.
std::optional<std::string> FindInPath(const std::string& name);

// Path of the binary for `kind`. Returns std::nullopt and sets *error with a message explaining
// how to get it (e.g. installing redis-server) when it is missing.
std::optional<std::string> ServerBinary(ServerKind kind, std::string* error);

class ServerProcess {
 public:
  explicit ServerProcess(ServerKind kind, std::vector<std::string> extra_args = {});
  ~ServerProcess();
  ServerProcess(const ServerProcess&) = delete;
  ServerProcess& operator=(const ServerProcess&) = delete;

  // Starts the server and waits until it answers PING. Retries with a different port if the
  // picked one was taken in the meantime. Returns false and sets *error (with the tail of the
  // server's log) on failure.
  bool Start(std::string* error);

  // Starts the server again on the port it had (after Stop), so clients configured with that
  // port find it again: a server restart as operators do it. Returns false and sets *error on
  // failure (e.g. the port was taken meanwhile).
  bool Restart(std::string* error);

  // Stops the server: SIGTERM, bounded wait, then SIGKILL. Idempotent.
  void Stop();

  // Sends SIGTERM without waiting, so several servers can shut down in parallel before their
  // Stop() / destructor reaps them.
  void Terminate();

  // True while the child has not exited. Reaps it if it has, recording the exit status.
  bool IsRunning();

  // Describes how the child ended ("still running", "exited with status 0", "killed by signal
  // 11"), for failure messages.
  std::string ExitDescription();

  ServerKind kind() const { return kind_; }
  std::string name() const { return ServerKindName(kind_); }
  int port() const { return port_; }
  pid_t pid() const { return pid_; }
  const std::string& dir() const { return dir_; }

  // Resident memory of the server process (VmRSS from /proc), or std::nullopt if unavailable.
  std::optional<long> ResidentBytes() const;

  // The last `max_bytes` of the server's combined stdout/stderr.
  std::string LogTail(size_t max_bytes = 4096) const;

 private:
  // One start attempt on `port`. Returns false if the child exited or never answered.
  bool TryStart(const std::string& binary, int port, std::string* error);
  std::vector<std::string> BuildArgv(const std::string& binary, int port) const;

  ServerKind kind_;
  std::vector<std::string> extra_args_;
  std::string dir_;  // Private temp dir: cwd of the child and location of its log.
  std::string log_path_;
  pid_t pid_ = -1;
  int port_ = 0;
  std::optional<int> wait_status_;
};

// Picks a currently free TCP port on 127.0.0.1 by binding port 0 and reading it back. Another
// process may grab it before the server binds it; ServerProcess::Start retries for that reason.
int PickFreePort();

// Result of running a helper program (redis-cli, redis-benchmark).
struct ProgramResult {
  bool started = false;    // exec succeeded (the binary exists).
  bool timed_out = false;  // It did not finish in time and was killed.
  int exit_code = -1;      // Exit status if it exited normally, else -1.
  std::string output;      // stdout and stderr interleaved, in arrival order.
  std::string error;       // Harness-side problem (fork/pipe failure) if any.
};

// Runs argv[0] (looked up in PATH) with `input` on stdin and collects its output. Kills it with
// SIGKILL once `timeout` elapses so a hung tool fails the test instead of hanging it.
ProgramResult RunProgram(const std::vector<std::string>& argv, const std::string& input,
                         std::chrono::milliseconds timeout = std::chrono::seconds(120));

}  // namespace stash::test

#endif  // STASH_TESTS_HARNESS_SERVER_PROCESS_H_
