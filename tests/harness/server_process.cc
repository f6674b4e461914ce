#include "server_process.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <utility>

#include "resp_client.h"

namespace stash::test {
namespace {

// Startup is polled (connect + PING) every kPollInterval, at most kStartPolls times. The bound is
// generous (30 s) because sanitizer builds on a loaded 2-core CI box can start slowly; a healthy
// server answers within a few polls.
constexpr std::chrono::milliseconds kPollInterval{5};
constexpr int kStartPolls = 6000;
// After SIGTERM the server gets this many polls (10 s) to exit before SIGKILL.
constexpr int kStopPolls = 2000;
// Attempts with different ports, in case another process takes the picked port first.
constexpr int kStartAttempts = 5;

void SleepFor(std::chrono::milliseconds d) { ::poll(nullptr, 0, static_cast<int>(d.count())); }

std::string DescribeStatus(int status) {
  if (WIFEXITED(status)) return "exited with status " + std::to_string(WEXITSTATUS(status));
  if (WIFSIGNALED(status)) {
    return "killed by signal " + std::to_string(WTERMSIG(status)) + " (" +
           strsignal(WTERMSIG(status)) + ")";
  }
  return "ended with wait status " + std::to_string(status);
}

std::string MakeTempDir() {
  const char* base = std::getenv("TMPDIR");
  std::string tmpl =
      std::string(base != nullptr && *base != '\0' ? base : "/tmp") + "/stash-test-XXXXXX";
  if (::mkdtemp(tmpl.data()) == nullptr) return "";
  return tmpl;
}

bool IsExecutable(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode) && ::access(path.c_str(), X_OK) == 0;
}

// Builds a NULL-terminated argv that stays valid as long as `args` does.
std::vector<char*> CArgv(std::vector<std::string>& args) {
  std::vector<char*> out;
  out.reserve(args.size() + 1);
  for (std::string& a : args) out.push_back(a.data());
  out.push_back(nullptr);
  return out;
}

// Ignored signals stay ignored across exec. The test process ignores SIGPIPE (see RunProgram);
// the server must not inherit that, or a server that forgets to handle SIGPIPE itself would pass
// the vanishing-client tests by accident.
void ResetSignals() {
  ::signal(SIGPIPE, SIG_DFL);
  sigset_t none;
  sigemptyset(&none);
  ::sigprocmask(SIG_SETMASK, &none, nullptr);
}

}  // namespace

const char* ServerKindName(ServerKind kind) {
  return kind == ServerKind::kStash ? "stash-server" : "redis-server";
}

std::string StashServerPath() {
  // An explicit override lets developers point the suite at another build (e.g. a sanitizer
  // build) without reconfiguring.
  if (const char* env = std::getenv("STASH_TEST_SERVER_BINARY"); env != nullptr && *env != '\0') {
    return env;
  }
#ifdef STASH_SERVER_PATH
  return STASH_SERVER_PATH;
#else
  return "";
#endif
}

std::optional<std::string> FindInPath(const std::string& name) {
  if (name.find('/') != std::string::npos) {
    return IsExecutable(name) ? std::optional<std::string>(name) : std::nullopt;
  }
  const char* path = std::getenv("PATH");
  std::string dirs = path != nullptr ? path : "/usr/local/bin:/usr/bin:/bin";
  std::stringstream ss(dirs);
  std::string dir;
  while (std::getline(ss, dir, ':')) {
    if (dir.empty()) dir = ".";
    std::string candidate = dir + "/" + name;
    if (IsExecutable(candidate)) return candidate;
  }
  return std::nullopt;
}

std::optional<std::string> ServerBinary(ServerKind kind, std::string* error) {
  if (kind == ServerKind::kRedis) {
    std::optional<std::string> p = FindInPath("redis-server");
    if (!p) {
      *error =
          "redis-server not found in PATH. The differential and integration tests compare "
          "against the real Redis and cannot run without it; install it with "
          "`apt-get install redis-server redis-tools` (see the README's test instructions).";
    }
    return p;
  }
  std::string p = StashServerPath();
  if (p.empty()) {
    *error = "stash-server path not configured (STASH_SERVER_PATH compile definition missing)";
    return std::nullopt;
  }
  if (!IsExecutable(p)) {
    *error = "stash-server binary not found or not executable at '" + p +
             "'; build the stash-server target first";
    return std::nullopt;
  }
  return p;
}

int PickFreePort() {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = 0;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  int port = -1;
  socklen_t len = sizeof(addr);
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0 &&
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0) {
    port = ntohs(addr.sin_port);
  }
  ::close(fd);
  return port;
}

ServerProcess::ServerProcess(ServerKind kind, std::vector<std::string> extra_args)
    : kind_(kind), extra_args_(std::move(extra_args)) {}

ServerProcess::~ServerProcess() {
  Stop();
  if (!dir_.empty()) {
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
}

std::vector<std::string> ServerProcess::BuildArgv(const std::string& binary, int port) const {
  std::vector<std::string> argv = {binary, "--port", std::to_string(port), "--bind", "127.0.0.1"};
  if (kind_ == ServerKind::kRedis) {
    // Keep the reference server from persisting anything or detaching; its files (if any) go to
    // the private temp dir. DEBUG is enabled because the scripts compare DEBUG SLEEP 0, which
    // Redis 7 refuses by default.
    for (const char* a : {"--save", "", "--appendonly", "no", "--daemonize", "no",
                          "--enable-debug-command", "yes", "--dir"}) {
      argv.emplace_back(a);
    }
    argv.push_back(dir_);
  }
  argv.insert(argv.end(), extra_args_.begin(), extra_args_.end());
  return argv;
}

bool ServerProcess::Start(std::string* error) {
  std::optional<std::string> binary = ServerBinary(kind_, error);
  if (!binary) return false;
  if (dir_.empty()) {
    dir_ = MakeTempDir();
    if (dir_.empty()) {
      *error = std::string("mkdtemp failed: ") + std::strerror(errno);
      return false;
    }
    log_path_ = dir_ + "/server.log";
  }
  std::string last_error;
  for (int attempt = 0; attempt < kStartAttempts; ++attempt) {
    int port = PickFreePort();
    if (port <= 0) {
      last_error = std::string("could not pick a free port: ") + std::strerror(errno);
      continue;
    }
    if (TryStart(*binary, port, &last_error)) return true;
    Stop();
  }
  *error = "could not start " + name() + " after " + std::to_string(kStartAttempts) +
           " attempts: " + last_error;
  return false;
}

bool ServerProcess::Restart(std::string* error) {
  std::optional<std::string> binary = ServerBinary(kind_, error);
  if (!binary) return false;
  if (port_ <= 0) {
    *error = "Restart before a successful Start";
    return false;
  }
  Stop();
  return TryStart(*binary, port_, error);
}

bool ServerProcess::TryStart(const std::string& binary, int port, std::string* error) {
  std::vector<std::string> args = BuildArgv(binary, port);
  std::vector<char*> argv = CArgv(args);
  const pid_t parent = ::getpid();
  wait_status_.reset();

  pid_t pid = ::fork();
  if (pid < 0) {
    *error = std::string("fork: ") + std::strerror(errno);
    return false;
  }
  if (pid == 0) {
    // Child: only async-signal-safe calls until exec.
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != parent) ::_exit(126);
    ResetSignals();
    // Own process group, so a terminal ^C aimed at the test does not hit the server first and
    // make it look like a crash.
    ::setpgid(0, 0);
    int log = ::open(log_path_.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    int null_in = ::open("/dev/null", O_RDONLY);
    if (log >= 0) {
      ::dup2(log, 1);
      ::dup2(log, 2);
    }
    if (null_in >= 0) ::dup2(null_in, 0);
    if (::chdir(dir_.c_str()) != 0) ::_exit(126);
    ::execv(argv[0], argv.data());
    static const char kMsg[] = "harness: execv failed\n";
    ssize_t ignored = ::write(2, kMsg, sizeof(kMsg) - 1);
    (void)ignored;
    ::_exit(127);
  }
  pid_ = pid;
  port_ = port;

  for (int i = 0; i < kStartPolls; ++i) {
    if (!IsRunning()) {
      *error = name() + " on port " + std::to_string(port) + " " + ExitDescription() +
               " during startup. Log tail:\n" + LogTail();
      return false;
    }
    RespClient probe;
    probe.set_timeout(std::chrono::milliseconds(2000));
    if (probe.Connect(port)) {
      std::string reply = probe.Call({"PING"});
      if (reply == "+PONG\r\n") {
        // Someone else could in theory own the port; only accept if our child is still alive.
        if (IsRunning()) return true;
        continue;
      }
      // A server that accepts connections but answers PING wrongly will not get better.
      if (reply.rfind("-LOADING", 0) != 0 && reply.rfind("<client error", 0) != 0) {
        *error = name() + " answered PING with \"" + Escape(reply) + "\"";
        return false;
      }
    }
    SleepFor(kPollInterval);
  }
  *error = name() + " did not answer PING on port " + std::to_string(port) + " within " +
           std::to_string(kStartPolls) + " polls. Log tail:\n" + LogTail();
  return false;
}

bool ServerProcess::IsRunning() {
  if (pid_ <= 0 || wait_status_) return false;
  int status = 0;
  pid_t r;
  do {
    r = ::waitpid(pid_, &status, WNOHANG);
  } while (r < 0 && errno == EINTR);
  if (r == pid_) {
    wait_status_ = status;
    return false;
  }
  return r == 0;
}

std::string ServerProcess::ExitDescription() {
  if (IsRunning()) return "still running";
  if (wait_status_) return DescribeStatus(*wait_status_);
  return "not started";
}

void ServerProcess::Terminate() {
  if (IsRunning()) ::kill(pid_, SIGTERM);
}

void ServerProcess::Stop() {
  if (pid_ <= 0) return;
  if (IsRunning()) {
    ::kill(pid_, SIGTERM);
    for (int i = 0; i < kStopPolls && IsRunning(); ++i) SleepFor(kPollInterval);
    if (IsRunning()) {
      ::kill(pid_, SIGKILL);
      int status = 0;
      while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
      }
      wait_status_ = status;
    }
  }
  pid_ = -1;
}

std::optional<long> ServerProcess::ResidentBytes() const {
  if (pid_ <= 0) return std::nullopt;
  std::ifstream in("/proc/" + std::to_string(pid_) + "/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::atol(line.c_str() + 6) * 1024L;  // In kB.
  }
  return std::nullopt;
}

std::string ServerProcess::LogTail(size_t max_bytes) const {
  std::ifstream in(log_path_, std::ios::binary);
  if (!in) return "(no log)";
  std::string all((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (all.size() > max_bytes) all = "..." + all.substr(all.size() - max_bytes);
  return all;
}

ProgramResult RunProgram(const std::vector<std::string>& argv_in, const std::string& input,
                         std::chrono::milliseconds timeout) {
  ProgramResult result;
  if (argv_in.empty()) {
    result.error = "empty argv";
    return result;
  }
  std::optional<std::string> path = FindInPath(argv_in[0]);
  if (!path) {
    result.error = argv_in[0] + " not found in PATH (install redis-tools)";
    return result;
  }
  // Writing the tool's stdin after it exited must be an EPIPE error, not a fatal signal.
  ::signal(SIGPIPE, SIG_IGN);
  std::vector<std::string> args = argv_in;
  args[0] = *path;
  std::vector<char*> argv = CArgv(args);

  int in_pipe[2];
  int out_pipe[2];
  if (::pipe2(in_pipe, O_CLOEXEC) != 0) {
    result.error = std::string("pipe: ") + std::strerror(errno);
    return result;
  }
  if (::pipe2(out_pipe, O_CLOEXEC) != 0) {
    result.error = std::string("pipe: ") + std::strerror(errno);
    ::close(in_pipe[0]);
    ::close(in_pipe[1]);
    return result;
  }
  const pid_t parent = ::getpid();
  pid_t pid = ::fork();
  if (pid < 0) {
    result.error = std::string("fork: ") + std::strerror(errno);
    for (int fd : {in_pipe[0], in_pipe[1], out_pipe[0], out_pipe[1]}) ::close(fd);
    return result;
  }
  if (pid == 0) {
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != parent) ::_exit(126);
    ResetSignals();
    ::dup2(in_pipe[0], 0);
    ::dup2(out_pipe[1], 1);
    ::dup2(out_pipe[1], 2);
    ::execv(argv[0], argv.data());
    ::_exit(127);
  }
  result.started = true;
  ::close(in_pipe[0]);
  ::close(out_pipe[1]);
  int in_fd = in_pipe[1];
  int out_fd = out_pipe[0];
  ::fcntl(in_fd, F_SETFL, O_NONBLOCK);
  size_t written = 0;
  if (input.empty()) {
    ::close(in_fd);
    in_fd = -1;
  }

  const auto deadline = std::chrono::steady_clock::now() + timeout;
  char chunk[16 * 1024];
  while (out_fd >= 0) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      result.timed_out = true;
      break;
    }
    pollfd fds[2] = {{out_fd, POLLIN, 0}, {in_fd, POLLOUT, 0}};
    int r = ::poll(fds, in_fd >= 0 ? 2 : 1, static_cast<int>(left.count()));
    if (r < 0 && errno != EINTR) break;
    if (r <= 0) continue;
    if (fds[0].revents != 0) {
      ssize_t n = ::read(out_fd, chunk, sizeof(chunk));
      if (n > 0) {
        result.output.append(chunk, static_cast<size_t>(n));
      } else if (n == 0 || (errno != EINTR && errno != EAGAIN)) {
        ::close(out_fd);
        out_fd = -1;
      }
    }
    if (in_fd >= 0 && fds[1].revents != 0) {
      ssize_t n = ::write(in_fd, input.data() + written, input.size() - written);
      if (n > 0) written += static_cast<size_t>(n);
      // EPIPE (the tool stopped reading stdin) just ends the input.
      if ((n < 0 && errno != EINTR && errno != EAGAIN) || written == input.size()) {
        ::close(in_fd);
        in_fd = -1;
      }
    }
  }
  if (in_fd >= 0) ::close(in_fd);
  if (out_fd >= 0) ::close(out_fd);
  if (result.timed_out) ::kill(pid, SIGKILL);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (WIFEXITED(status)) result.exit_code = WEXITSTATUS(status);
  return result;
}

}  // namespace stash::test
