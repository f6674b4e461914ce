// stash-server [config-file | -] [--directive value [value ...]] ...
//
// Arguments as redis-server takes them: an optional configuration file first ("-" reads one from
// standard input), then directives, each "--name" followed by its values up to the next "--"
// token. Applied in that order: file, standard input, command line.

#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <atomic>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "protocol/resp_parser.h"
#include "server/config.h"
#include "server/logging.h"
#include "server/server.h"

#ifndef STASH_VERSION
#define STASH_VERSION "0.1.0"
#endif

namespace {

constexpr const char* kRedisVersion = "7.0.15";

std::string VersionLine() {
  return std::string("Stash server v=") + STASH_VERSION + " redis_version=" + kRedisVersion +
         " bits=" + std::to_string(sizeof(void*) * 8);
}

struct Directive {
  std::string name;
  std::vector<std::string> values;
};

struct CommandLine {
  std::string config_file;
  bool config_from_stdin = false;
  std::vector<Directive> directives;
};

bool StartsWithDashDash(const std::string& s) {
  return s.size() >= 2 && s[0] == '-' && s[1] == '-';
}

// Splits the arguments the way redis-server does: a name token may carry values after a space
// ("--port 6380" as one argument), a name token alone takes the next argument as a value even if
// that starts with "--" ("--requirepass --secret"), and a lone "--save" becomes `save ""`.
CommandLine ParseArgs(const std::vector<std::string>& args) {
  CommandLine cl;
  size_t j = 0;
  if (!args.empty() && !args[0].empty() && args[0][0] != '-') {
    cl.config_file = args[0];
    j = 1;
  }
  bool want_value = false;  // the last name token had no value yet
  for (; j < args.size(); ++j) {
    const std::string& a = args[j];
    if (a == "-" && (j == 0 || j + 1 == args.size())) {
      cl.config_from_stdin = true;
    } else if (!want_value && StartsWithDashDash(a)) {
      std::string storage;
      std::vector<std::pair<size_t, size_t>> spans;
      Directive d;
      if (!stash::protocol::SplitInlineArgs(std::string_view(a).substr(2), &storage, &spans) ||
          spans.empty()) {
        d.name = a.substr(2);  // reported as a bad directive when applied
      } else {
        d.name = storage.substr(spans[0].first, spans[0].second);
        for (size_t i = 1; i < spans.size(); ++i) {
          d.values.push_back(storage.substr(spans[i].first, spans[i].second));
        }
      }
      want_value = d.values.empty();
      if (want_value && d.name == "save" &&
          (j + 1 == args.size() || StartsWithDashDash(args[j + 1]))) {
        d.values.emplace_back();  // redis-server 7.0.1+ compatibility: "--save" means save ""
        want_value = false;
      }
      cl.directives.push_back(std::move(d));
    } else {
      if (cl.directives.empty()) {
        throw stash::server::ConfigError("command line: unexpected argument '" + a +
                                         "' (directives are given as --name value)");
      }
      cl.directives.back().values.push_back(a);
      want_value = false;
    }
  }
  return cl;
}

void LoadConfig(stash::server::Config& config, const CommandLine& cl) {
  if (!cl.config_file.empty()) {
    // As Redis's getAbsolutePath: CONFIG REWRITE must find the file whatever the cwd later is.
    // Resolved before loading, since a `dir` line in the file changes the cwd.
    std::error_code ec;
    std::filesystem::path path = std::filesystem::absolute(cl.config_file, ec);
    config.set_config_file(ec ? cl.config_file : path.lexically_normal().string());
    config.LoadFile(cl.config_file);
  }
  if (cl.config_from_stdin) {
    std::string text((std::istreambuf_iterator<char>(std::cin)), std::istreambuf_iterator<char>());
    config.LoadText(text, "stdin");
  }
  for (const Directive& d : cl.directives) {
    config.ApplyAtStartup(d.name, d.values, "command line");
  }
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"Stash: a Redis-compatible in-memory cache server.", "stash-server"};
  app.set_version_flag("-v,--version", VersionLine());
  // Everything that is not -h/-v is ours to parse: CLI11 stops at the first argument it does not
  // know and hands the rest back untouched.
  app.prefix_command();
  app.footer(
      "Usage: stash-server [/path/to/stash.conf] [--directive value [value ...]] ...\n"
      "       stash-server - (read the configuration from standard input)\n\n"
      "Directives are those of redis.conf (see conf/stash.conf). Examples:\n"
      "       stash-server --port 7777\n"
      "       stash-server /etc/stash/stash.conf --loglevel verbose --threads 4\n"
      "       stash-server --bind 127.0.0.1 ::1 --maxmemory 1gb "
      "--maxmemory-policy allkeys-lru");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }

  auto config = std::make_shared<stash::server::Config>();
  bool config_given = false;
  try {
    CommandLine cl = ParseArgs(app.remaining());
    config_given = !cl.config_file.empty() || cl.config_from_stdin;
    LoadConfig(*config, cl);
    stash::server::InitLogging(*config);
  } catch (const stash::server::ConfigError& e) {
    std::fprintf(stderr, "\n*** FATAL CONFIG ERROR (Stash %s) ***\n%s\n", STASH_VERSION, e.what());
    return 1;
  }

  using stash::server::LogNotice;
  using stash::server::LogWarning;
  LogNotice("oO0OoO0OoO0Oo Stash is starting oO0OoO0OoO0Oo");
  LogNotice(std::string("Stash version=") + STASH_VERSION + ", redis_version=" + kRedisVersion +
            ", bits=" + std::to_string(sizeof(void*) * 8) + ", pid=" + std::to_string(::getpid()) +
            ", just started");
  LogNotice(config_given ? "Configuration loaded"
                         : "Warning: no config file specified, using the default config. In "
                           "order to specify a config file use stash-server /path/to/stash.conf");

  // Block SIGINT and SIGTERM before any thread exists, so every thread the server starts
  // inherits the mask and only the sigwait() thread below ever sees them.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  // A client that goes away mid-write must not kill the process.
  signal(SIGPIPE, SIG_IGN);

  stash::server::Server server(config);
  try {
    server.Start();
  } catch (const std::exception& e) {
    LogWarning(std::string("Failed starting the server: ") + e.what());
    return 1;
  }

  std::string pidfile = config->GetOne("pidfile").value_or("");
  if (!pidfile.empty()) {
    std::ofstream out(pidfile);
    if (out) {
      out << ::getpid() << "\n";
    } else {
      LogWarning("Failed to write PID file '" + pidfile + "'");
    }
  }

  std::atomic<bool> exiting{false};
  std::thread signal_thread([&] {
    int sig = 0;
    if (sigwait(&signals, &sig) != 0 || exiting.load()) return;
    LogWarning(std::string("Received ") + (sig == SIGINT ? "SIGINT" : "SIGTERM") +
               " scheduling shutdown...");
    server.Stop();
  });

  server.Wait();
  LogWarning("User requested shutdown...");
  // Wake the signal thread if the shutdown came from a SHUTDOWN command instead of a signal, and
  // let it finish a Stop() it may have begun before stopping again ourselves (a no-op then).
  exiting.store(true);
  pthread_kill(signal_thread.native_handle(), SIGTERM);
  signal_thread.join();
  server.Stop();

  if (!pidfile.empty()) ::unlink(pidfile.c_str());
  LogWarning("Stash is now ready to exit, bye bye...");
  return 0;
}
