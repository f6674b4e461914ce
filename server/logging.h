// Logging for the server: spdlog set up from the loglevel and logfile directives, with lines
// formatted like Redis's ("12345:M 22 Nov 2026 20:35:22.052 * Ready to accept connections").
//
// The logger installed is spdlog's default one, so code that already includes spdlog can keep
// calling spdlog::info() and friends. This header does not include spdlog (it is heavy to
// compile); the Log*() functions below cover plain messages.
//
// Redis levels map to spdlog levels as: debug -> trace, verbose -> debug, notice -> info,
// warning -> warn (error and critical print as warnings too), nothing -> off.
#ifndef STASH_SERVER_LOGGING_H_
#define STASH_SERVER_LOGGING_H_

#include <string_view>

namespace spdlog {
class logger;
}  // namespace spdlog

namespace stash::server {

class Config;

// Installs the process-wide logger from `config`: level from loglevel, output to logfile ("" is
// stdout), and keeps the level in step with CONFIG SET loglevel. Call once at start-up, after
// the configuration is loaded and before the server starts; `config` must outlive the server.
// Throws ConfigError when the log file cannot be opened.
void InitLogging(Config& config);

// Sets the level from a Redis level name. Returns false (and changes nothing) for an unknown
// name. Safe to call from any thread.
bool SetLogLevel(std::string_view redis_level);

// The process-wide logger, for code that wants spdlog's formatting (include <spdlog/spdlog.h>).
spdlog::logger& Log();

// Plain messages at Redis's levels, for code that does not include spdlog.
void LogDebug(std::string_view message);
void LogVerbose(std::string_view message);
void LogNotice(std::string_view message);
void LogWarning(std::string_view message);

}  // namespace stash::server

#endif  // STASH_SERVER_LOGGING_H_
