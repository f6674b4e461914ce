// Internals of Config shared by its source files, not for use elsewhere: what a directive is
// (config_directives.cc holds the table of them), and how one value is parsed, stored and
// formatted (config_values.cc). Loading files (config_load.cc) and CONFIG GET/SET (config.cc)
// are built on these.
#ifndef STASH_SERVER_CONFIG_DIRECTIVES_H_
#define STASH_SERVER_CONFIG_DIRECTIVES_H_

#include <atomic>
#include <cstdint>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "server/commands/option.h"  // EqualsNoCase: strcasecmp, as for command options
#include "server/config.h"

namespace stash::server::config_detail {

enum class Type { kBool, kInt, kMemory, kString, kEnum, kSpecial };

enum Flag : unsigned {
  kImmutable = 1u << 0,
  // CONFIG SET refuses it unless enable-protected-configs is "yes" (Redis 7.0's PROTECTED_CONFIG).
  kProtected = 1u << 1,
  // Takes any number of values: `bind 127.0.0.1 ::1`, `save 3600 1 300 100`.
  kMultiArg = 1u << 2,
  // maxmemory: Redis keeps it as an unsigned long long, so any 64-bit value is accepted.
  kAnyUnsigned = 1u << 3,
};

// A value after parsing, before it is stored: `text` is always the CONFIG GET form.
struct Parsed {
  int64_t num = 0;
  std::string text;
  std::vector<std::string> list;
};

// Where a directive lives. std::monostate: a passive directive, kept as text in passive_.
using Slot = std::variant<std::monostate, std::atomic<bool> Config::*, std::atomic<int> Config::*,
                          std::atomic<int64_t> Config::*, std::string Config::*,
                          std::vector<std::string> Config::*>;

// Parses a kSpecial directive. `current` is its value as CONFIG GET prints it (for directives
// that update part of their value, like client-output-buffer-limit).
using SpecialParse = bool (*)(const std::vector<std::string>& args, const std::string& current,
                              Parsed* out, std::string* err);
// Extra validation after the type's own parsing; may also adjust the value (hz is clamped).
using Check = bool (*)(Parsed* v, std::string* err);

struct Directive {
  const char* name = nullptr;
  // For an alias ("slave-priority"): the directive whose value it shares. Redis 7 lists both
  // names in CONFIG GET * and reports errors under the name that was used.
  const char* primary = nullptr;
  Type type = Type::kString;
  unsigned flags = 0;
  const char* def = "";
  Slot slot;
  int64_t min = 0;
  int64_t max = 0;
  std::vector<const char*> enum_values;
  SpecialParse special = nullptr;
  Check check = nullptr;
  // Only `dir`: its value is the process's working directory, not something stored here.
  void (*store)(const Parsed&) = nullptr;
  std::string (*format)() = nullptr;

  const char* key() const { return primary ? primary : name; }
};

// ---- The table (config_directives.cc) --------------------------------------------------------

// Every directive, aliases last. Built on first use.
const std::vector<Directive>& Table();
// The directive named `name` (any case), or nullptr.
const Directive* Find(std::string_view name);

// ---- Values (config_values.cc) ---------------------------------------------------------------

// Redis's memtoull: digits then an optional unit (b k kb m mb g gb, any case); "k" is 1000 and
// "kb" 1024. Like Redis it saturates an over-long number and does not check the multiplication
// for overflow (it wraps), and an empty string is 0.
bool MemToUll(const std::string& s, uint64_t* out);
// strtoll(s, &end, 10) with Redis's `*end == '\0'` check: leading spaces and '+' are accepted,
// and an empty string is 0.
bool StrToLl(const std::string& s, long long* out);
std::string Lower(std::string_view s);
// The parts joined by single spaces.
std::string Join(const std::vector<std::string>& parts);

// A value given as one string (by CONFIG SET, or a default or old value from the table): a
// multi-value directive's is split on spaces as Redis's CONFIG SET does (quotes mean nothing,
// "a  b" has an empty middle value); any other is the one argument.
std::vector<std::string> ValueArgs(const Directive& d, std::string_view value);

// Parses a directive's values (`args`, already split for multi-value directives) into `out`.
// `current` is its value as CONFIG GET prints it. False with `err` set when the value is bad.
bool ParseValue(const Directive& d, const std::vector<std::string>& args,
                const std::string& current, Parsed* out, std::string* err);
// A directive's value as CONFIG GET prints it. The caller holds c.strings_mu_.
std::string FormatLocked(const Config& c, const Directive& d);
// Stores a parsed value. The caller holds c.strings_mu_.
void StoreLocked(Config& c, const Directive& d, const Parsed& v);

}  // namespace stash::server::config_detail

#endif  // STASH_SERVER_CONFIG_DIRECTIVES_H_
