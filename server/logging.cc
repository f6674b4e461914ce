#include "server/logging.h"

#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/basic_file_sink.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>
#include <string>

#include "server/config.h"

namespace stash::server {
namespace {

struct LevelName {
  const char* redis;
  spdlog::level::level_enum level;
};

constexpr LevelName kLevels[] = {
    {"debug", spdlog::level::trace}, {"verbose", spdlog::level::debug},
    {"notice", spdlog::level::info}, {"warning", spdlog::level::warn},
    {"nothing", spdlog::level::off},
};

// Redis marks each line's level with one character: '.' debug, '-' verbose, '*' notice,
// '#' warning. Log readers and tests grep for these, so keep them.
class RedisLevelFlag : public spdlog::custom_flag_formatter {
 public:
  void format(const spdlog::details::log_msg& msg, const std::tm&,
              spdlog::memory_buf_t& dest) override {
    char c = '#';
    switch (msg.level) {
      case spdlog::level::trace:
        c = '.';
        break;
      case spdlog::level::debug:
        c = '-';
        break;
      case spdlog::level::info:
        c = '*';
        break;
      default:
        break;
    }
    dest.push_back(c);
  }
  std::unique_ptr<custom_flag_formatter> clone() const override {
    return std::make_unique<RedisLevelFlag>();
  }
};

}  // namespace

void InitLogging(Config& config) {
  spdlog::sink_ptr sink;
  std::string file = config.logfile();
  if (file.empty()) {
    sink = std::make_shared<spdlog::sinks::stdout_sink_mt>();
  } else {
    // Checked with fopen first for the same message Redis gives; spdlog's exception text is
    // less direct.
    std::FILE* probe = std::fopen(file.c_str(), "a");
    if (probe == nullptr) {
      throw ConfigError("Can't open the log file '" + file + "': " + std::strerror(errno));
    }
    std::fclose(probe);
    sink = std::make_shared<spdlog::sinks::basic_file_sink_mt>(file, /*truncate=*/false);
  }
  auto logger = std::make_shared<spdlog::logger>("stash", std::move(sink));
  auto formatter = std::make_unique<spdlog::pattern_formatter>();
  formatter->add_flag<RedisLevelFlag>('&').set_pattern("%P:M %d %b %Y %H:%M:%S.%e %& %v");
  logger->set_formatter(std::move(formatter));
  // Every line reaches the file or terminal at once, as in Redis: logs are small, and a crash
  // must not swallow the lines before it.
  logger->flush_on(spdlog::level::trace);
  spdlog::set_default_logger(logger);
  SetLogLevel(config.loglevel());

  Config* cfg = &config;
  config.AddApplyHook([cfg](std::string_view name) -> std::string {
    if (name == "loglevel") SetLogLevel(cfg->loglevel());
    return "";
  });
}

bool SetLogLevel(std::string_view redis_level) {
  for (const LevelName& l : kLevels) {
    if (redis_level == l.redis) {
      spdlog::default_logger_raw()->set_level(l.level);
      return true;
    }
  }
  return false;
}

spdlog::logger& Log() { return *spdlog::default_logger_raw(); }

void LogDebug(std::string_view message) { Log().trace(message); }
void LogVerbose(std::string_view message) { Log().debug(message); }
void LogNotice(std::string_view message) { Log().info(message); }
void LogWarning(std::string_view message) { Log().warn(message); }

}  // namespace stash::server
