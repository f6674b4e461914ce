#include "server/config.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <climits>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <initializer_list>
#include <sstream>
#include <unordered_map>
#include <variant>

#include "protocol/numbers.h"
#include "protocol/resp_parser.h"
#include "storage/glob.h"

namespace stash::server {
namespace {

// ---- Value types ---------------------------------------------------------------------------

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

// ---- Redis's number parsers ------------------------------------------------------------------

// Redis's memtoull: digits then an optional unit (b k kb m mb g gb, any case); "k" is 1000 and
// "kb" 1024. Like Redis it saturates an over-long number and does not check the multiplication
// for overflow (it wraps), and an empty string is 0.
bool MemToUll(const std::string& s, uint64_t* out) {
  if (!s.empty() && s[0] == '-') return false;
  size_t digits = 0;
  while (digits < s.size() && s[digits] >= '0' && s[digits] <= '9') ++digits;
  std::string unit = s.substr(digits);
  for (char& c : unit) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  uint64_t mul;
  if (unit.empty() || unit == "b") {
    mul = 1;
  } else if (unit == "k") {
    mul = 1000;
  } else if (unit == "kb") {
    mul = 1024;
  } else if (unit == "m") {
    mul = 1000 * 1000;
  } else if (unit == "mb") {
    mul = 1024 * 1024;
  } else if (unit == "g") {
    mul = 1000ULL * 1000 * 1000;
  } else if (unit == "gb") {
    mul = 1024ULL * 1024 * 1024;
  } else {
    return false;
  }
  if (digits >= 128) return false;
  uint64_t val = 0;
  for (size_t i = 0; i < digits; ++i) {
    unsigned d = static_cast<unsigned>(s[i] - '0');
    if (val > (UINT64_MAX - d) / 10) {
      val = UINT64_MAX;  // strtoull's ERANGE result, which Redis accepts
      break;
    }
    val = val * 10 + d;
  }
  *out = val * mul;
  return true;
}

// strtoll(s, &end, 10) with Redis's `*end == '\0'` check: leading spaces and '+' are accepted,
// and an empty string is 0.
bool StrToLl(const std::string& s, long long* out) {
  char* end = nullptr;
  *out = std::strtoll(s.c_str(), &end, 10);
  return *end == '\0';
}

bool EqualsNoCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) !=
        std::tolower(static_cast<unsigned char>(b[i]))) {
      return false;
    }
  }
  return true;
}

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string Join(const std::vector<std::string>& parts) {
  std::string out;
  for (size_t i = 0; i < parts.size(); ++i) {
    if (i) out += ' ';
    out += parts[i];
  }
  return out;
}

// Redis's sdssplitlen(value, " "): how CONFIG SET splits a multi-value directive. Unlike the
// config-file splitting, quotes mean nothing and "a  b" has an empty middle value.
std::vector<std::string> SplitOnSpaces(std::string_view value) {
  std::vector<std::string> out;
  if (value.empty()) return out;
  size_t start = 0;
  while (true) {
    size_t sp = value.find(' ', start);
    if (sp == std::string_view::npos) {
      out.emplace_back(value.substr(start));
      return out;
    }
    out.emplace_back(value.substr(start, sp - start));
    start = sp + 1;
  }
}

// ---- Special directives ----------------------------------------------------------------------

bool ParseBind(const std::vector<std::string>& args, const std::string&, Parsed* out,
               std::string* err) {
  if (args.size() > 16) {  // CONFIG_BINDADDR_MAX
    *err = "Too many bind addresses specified.";
    return false;
  }
  out->list = args;
  if (args.size() == 1 && args[0].empty()) out->list.clear();
  out->text = Join(out->list);
  return true;
}

// `save <seconds> <changes> [...]`, or `save ""` for none.
bool ParseSave(const std::vector<std::string>& args, const std::string&, Parsed* out,
               std::string* err) {
  std::vector<std::string> a = args;
  if (a.size() == 1 && a[0].empty()) a.clear();
  if (a.size() % 2 != 0) {
    *err = "Invalid save parameters";
    return false;
  }
  std::vector<std::string> points;
  for (size_t j = 0; j < a.size(); ++j) {
    long long v;
    if (!StrToLl(a[j], &v) || (j % 2 == 0 && v < 1) || (j % 2 == 1 && v < 0)) {
      *err = "Invalid save parameters";
      return false;
    }
    // Redis keeps the change count in an int.
    points.push_back(std::to_string(j % 2 == 0 ? v : static_cast<int>(v)));
  }
  out->text = Join(points);
  return true;
}

// Keyspace notification classes, as Redis's keyspaceEventsStringToFlags/FlagsToString.
enum : int {
  kNotifyKeyspace = 1 << 0,  // K
  kNotifyKeyevent = 1 << 1,  // E
  kNotifyGeneric = 1 << 2,   // g
  kNotifyString = 1 << 3,    // $
  kNotifyList = 1 << 4,      // l
  kNotifySet = 1 << 5,       // s
  kNotifyHash = 1 << 6,      // h
  kNotifyZset = 1 << 7,      // z
  kNotifyExpired = 1 << 8,   // x
  kNotifyEvicted = 1 << 9,   // e
  kNotifyStream = 1 << 10,   // t
  kNotifyKeyMiss = 1 << 11,  // m
  kNotifyModule = 1 << 12,   // d
  kNotifyNew = 1 << 13,      // n
  kNotifyAll = kNotifyGeneric | kNotifyString | kNotifyList | kNotifySet | kNotifyHash |
               kNotifyZset | kNotifyExpired | kNotifyEvicted | kNotifyStream | kNotifyModule,
};

bool ParseNotify(const std::vector<std::string>& args, const std::string&, Parsed* out,
                 std::string* err) {
  int flags = 0;
  for (char c : args[0]) {
    switch (c) {
      case 'A':
        flags |= kNotifyAll;
        break;
      case 'g':
        flags |= kNotifyGeneric;
        break;
      case '$':
        flags |= kNotifyString;
        break;
      case 'l':
        flags |= kNotifyList;
        break;
      case 's':
        flags |= kNotifySet;
        break;
      case 'h':
        flags |= kNotifyHash;
        break;
      case 'z':
        flags |= kNotifyZset;
        break;
      case 'x':
        flags |= kNotifyExpired;
        break;
      case 'e':
        flags |= kNotifyEvicted;
        break;
      case 'K':
        flags |= kNotifyKeyspace;
        break;
      case 'E':
        flags |= kNotifyKeyevent;
        break;
      case 't':
        flags |= kNotifyStream;
        break;
      case 'm':
        flags |= kNotifyKeyMiss;
        break;
      case 'd':
        flags |= kNotifyModule;
        break;
      case 'n':
        flags |= kNotifyNew;
        break;
      default:
        *err = "Invalid event class character. Use 'Ag$lshzxeKEtmdn'.";
        return false;
    }
  }
  std::string s;
  if ((flags & kNotifyAll) == kNotifyAll) {
    s += 'A';  // like Redis, this also drops 'n', which "A" does not include
  } else {
    static const std::pair<int, char> kOrder[] = {
        {kNotifyGeneric, 'g'}, {kNotifyString, '$'}, {kNotifyList, 'l'},    {kNotifySet, 's'},
        {kNotifyHash, 'h'},    {kNotifyZset, 'z'},   {kNotifyExpired, 'x'}, {kNotifyEvicted, 'e'},
        {kNotifyStream, 't'},  {kNotifyModule, 'd'}, {kNotifyNew, 'n'}};
    for (auto [bit, ch] : kOrder) {
      if (flags & bit) s += ch;
    }
  }
  if (flags & kNotifyKeyspace) s += 'K';
  if (flags & kNotifyKeyevent) s += 'E';
  if (flags & kNotifyKeyMiss) s += 'm';
  out->text = s;
  return true;
}

// `client-output-buffer-limit <class> <hard> <soft> <soft-seconds> [...]`: replaces only the
// classes given, keeps the others.
bool ParseClientOutputBufferLimit(const std::vector<std::string>& args, const std::string& current,
                                  Parsed* out, std::string* err) {
  static const char* kClasses[] = {"normal", "slave", "pubsub"};
  struct Limit {
    uint64_t hard = 0, soft = 0;
    int seconds = 0;
  };
  Limit limits[3];
  {
    std::istringstream in(current);
    std::string cls;
    for (auto& l : limits) in >> cls >> l.hard >> l.soft >> l.seconds;
  }
  if (args.size() % 4 != 0) {
    *err = "Wrong number of arguments in buffer limit configuration.";
    return false;
  }
  for (size_t j = 0; j < args.size(); j += 4) {
    int cls = -1;
    if (EqualsNoCase(args[j], "normal")) cls = 0;
    if (EqualsNoCase(args[j], "slave") || EqualsNoCase(args[j], "replica")) cls = 1;
    if (EqualsNoCase(args[j], "pubsub")) cls = 2;
    if (cls < 0) {  // includes "master", which Redis names but refuses here
      *err = "Invalid client class specified in buffer limit configuration.";
      return false;
    }
    Limit l;
    long long seconds;
    bool ok_seconds = StrToLl(args[j + 3], &seconds);
    l.seconds = static_cast<int>(seconds);  // Redis keeps it in an int before checking
    if (!MemToUll(args[j + 1], &l.hard) || !MemToUll(args[j + 2], &l.soft) || !ok_seconds ||
        l.seconds < 0) {
      *err = "Error in hard, soft or soft_seconds setting in buffer limit configuration.";
      return false;
    }
    limits[cls] = l;
  }
  std::string s;
  for (int i = 0; i < 3; ++i) {
    if (i) s += ' ';
    s += std::string(kClasses[i]) + " " + std::to_string(limits[i].hard) + " " +
         std::to_string(limits[i].soft) + " " + std::to_string(limits[i].seconds);
  }
  out->text = s;
  return true;
}

bool ParseOomScoreAdjValues(const std::vector<std::string>& args, const std::string&, Parsed* out,
                            std::string* err) {
  if (args.size() != 3) {
    *err = "wrong number of arguments";
    return false;
  }
  std::vector<std::string> values;
  for (const std::string& a : args) {
    long long v;
    if (!StrToLl(a, &v) || v < -2000 || v > 2000) {
      *err = "Invalid oom-score-adj-values, elements must be between -2000 and 2000.";
      return false;
    }
    values.push_back(std::to_string(v));
  }
  out->text = Join(values);
  return true;
}

bool ParseDir(const std::vector<std::string>& args, const std::string&, Parsed* out,
              std::string* err) {
  // Checked here rather than failing in chdir() later, so a CONFIG SET with several pairs can
  // still be refused as a whole.
  struct stat st;
  if (::stat(args[0].c_str(), &st) != 0) {
    *err = std::strerror(errno);
    return false;
  }
  if (!S_ISDIR(st.st_mode)) {
    *err = std::strerror(ENOTDIR);
    return false;
  }
  out->text = args[0];
  return true;
}

// Like Redis, `dir` changes the working directory at once, so relative paths given later (the
// log file) resolve against it, and CONFIG GET reports the working directory itself.
void StoreDir(const Parsed& v) {
  if (::chdir(v.text.c_str()) != 0) {
    // ParseDir checked it a moment ago; nothing sensible is left to do but keep the old one.
  }
}

std::string FormatDir() {
  char buf[PATH_MAX];
  return ::getcwd(buf, sizeof(buf)) ? std::string(buf) : std::string();
}

// ---- Checks ---------------------------------------------------------------------------------

bool ClampHz(Parsed* v, std::string*) {
  // Redis accepts 0..INT_MAX and then clamps to CONFIG_MIN_HZ..CONFIG_MAX_HZ.
  if (v->num < 1) v->num = 1;
  if (v->num > 500) v->num = 500;
  v->text = std::to_string(v->num);
  return true;
}

bool OnlyNoDaemonize(Parsed* v, std::string* err) {
  if (v->num == 0) return true;
  *err =
      "Stash does not daemonize: keep 'daemonize no' and run it under a supervisor "
      "(systemd, a container runtime) instead";
  return false;
}

bool OnlyNoAppendonly(Parsed* v, std::string* err) {
  if (v->num == 0) return true;
  *err = "Stash has no AOF persistence: only 'appendonly no' is supported";
  return false;
}

bool NoUnixSocket(Parsed* v, std::string* err) {
  if (v->text.empty()) return true;
  *err = "Stash does not listen on unix sockets: unixsocket must be empty (use bind and port)";
  return false;
}

bool BaseNameOnly(Parsed* v, std::string* err) {
  if (v->text.find_first_of("/\\") == std::string::npos) return true;
  *err = "dbfilename can't be a path, just a filename";
  return false;
}

bool ValidAofFilename(Parsed* v, std::string* err) {
  if (v->text.empty()) {
    *err = "appendfilename can't be empty";
    return false;
  }
  if (v->text.find_first_of("/\\") != std::string::npos) {
    *err = "appendfilename can't be a path, just a filename";
    return false;
  }
  return true;
}

bool ValidAofDirname(Parsed* v, std::string* err) {
  if (v->text.empty()) {
    *err = "appenddirname can't be empty";
    return false;
  }
  if (v->text.find_first_of("/\\") != std::string::npos) {
    *err = "appenddirname can't be a path, just a dirname";
    return false;
  }
  return true;
}

// Redis's validateProcTitleTemplate: "{{" and "}}" are literal braces, "{name}" must be a known
// variable, and the expansion, with an empty title and trimmed of spaces, must not be empty.
bool ValidProcTitle(Parsed* v, std::string* err) {
  // Variables and whether they expand to something non-empty at validation time: the title is
  // empty then, and so are server-mode (no cluster or sentinel) and unixsocket (never set in
  // Stash).
  static const std::pair<const char*, bool> kVars[] = {
      {"title", false},   {"listen-addr", true}, {"server-mode", false}, {"port", true},
      {"tls-port", true}, {"unixsocket", false}, {"config-file", true}};
  const std::string& t = v->text;
  bool nonblank = false;
  for (size_t i = 0; i < t.size(); ++i) {
    if ((t[i] == '{' || t[i] == '}') && i + 1 < t.size() && t[i + 1] == t[i]) {
      nonblank = true;
      ++i;
    } else if (t[i] == '{') {
      size_t close = t.find('}', i + 1);
      bool known = false;
      if (close != std::string::npos) {
        std::string_view var(t.data() + i + 1, close - i - 1);
        for (auto [name, expands] : kVars) {
          if (var == name) {
            known = true;
            nonblank = nonblank || expands;
          }
        }
      }
      if (!known) {
        *err = "template format is invalid or contains unknown variables";
        return false;
      }
      i = close;
    } else if (t[i] != ' ') {
      nonblank = true;
    }
  }
  if (!nonblank) {
    *err = "template format is invalid or contains unknown variables";
    return false;
  }
  return true;
}

// ---- The table --------------------------------------------------------------------------------

constexpr int64_t kIntMax = INT_MAX;
constexpr int64_t kIntMin = INT_MIN;
constexpr int64_t kLongMax = LLONG_MAX;

Directive Bool(const char* name, unsigned flags, const char* def, Slot slot = {},
               Check check = nullptr) {
  Directive d;
  d.name = name;
  d.type = Type::kBool;
  d.flags = flags;
  d.def = def;
  d.slot = slot;
  d.check = check;
  return d;
}

Directive Int(const char* name, unsigned flags, int64_t min, int64_t max, const char* def,
              Slot slot = {}, Check check = nullptr) {
  Directive d = Bool(name, flags, def, slot, check);
  d.type = Type::kInt;
  d.min = min;
  d.max = max;
  return d;
}

Directive Mem(const char* name, unsigned flags, int64_t min, int64_t max, const char* def,
              Slot slot = {}) {
  Directive d = Int(name, flags, min, max, def, slot);
  d.type = Type::kMemory;
  return d;
}

Directive Str(const char* name, unsigned flags, const char* def, Slot slot = {},
              Check check = nullptr) {
  Directive d = Bool(name, flags, def, slot, check);
  d.type = Type::kString;
  return d;
}

Directive Enum(const char* name, unsigned flags, std::initializer_list<const char*> values,
               const char* def, Slot slot = {}) {
  Directive d = Bool(name, flags, def, slot);
  d.type = Type::kEnum;
  d.enum_values = values;
  return d;
}

Directive Special(const char* name, unsigned flags, const char* def, SpecialParse parse,
                  Slot slot = {}) {
  Directive d = Bool(name, flags, def, slot);
  d.type = Type::kSpecial;
  d.special = parse;
  return d;
}

// Every directive Stash knows. Types, ranges, defaults, mutability and error texts follow
// redis-server 7.0.15 (checked against it with CONFIG GET * and CONFIG SET probes). Directives
// without a slot are passive: accepted, validated and reported, but nothing acts on them yet.
// Deliberate departures: bind defaults to "127.0.0.1 -::1" (Redis: "* -::*"), save to ""
// (Stash does not snapshot), loglevel also takes "nothing" (as Redis 7.2), and "threads" is
// Stash's own.
std::vector<Directive> BuildTable() {
  using C = Config;
  std::vector<Directive> t = {
      // Network.
      Int("port", 0, 0, 65535, "6379", &C::port_),
      Special("bind", kMultiArg, "127.0.0.1 -::1", ParseBind, &C::bind_),
      Bool("protected-mode", 0, "yes", &C::protected_mode_),
      Int("tcp-backlog", kImmutable, 0, kIntMax, "511", &C::tcp_backlog_),
      Int("timeout", 0, 0, kIntMax, "0", &C::timeout_),
      Int("tcp-keepalive", 0, 0, kIntMax, "300", &C::tcp_keepalive_),
      Str("unixsocket", kImmutable, "", {}, NoUnixSocket),
      Int("maxclients", 0, 1, 4294967295LL, "10000", &C::maxclients_),
      Mem("proto-max-bulk-len", 0, 1024 * 1024, kLongMax, "536870912", &C::proto_max_bulk_len_),
      Mem("client-query-buffer-limit", 0, 1024 * 1024, kLongMax, "1073741824"),
      Special("client-output-buffer-limit", kMultiArg,
              "normal 0 0 0 slave 268435456 67108864 60 pubsub 33554432 8388608 60",
              ParseClientOutputBufferLimit),
      // Security.
      Str("requirepass", 0, "", &C::requirepass_),
      Enum("enable-protected-configs", kImmutable, {"no", "yes", "local"}, "no"),
      // Threads: "threads" is Stash's own (worker threads, 0 = one per core); Redis's io-threads
      // is accepted for existing configs and ignored.
      Int("threads", kImmutable, 0, 1024, "0", &C::threads_),
      Int("io-threads", kImmutable, 1, 128, "1"),
      Bool("io-threads-do-reads", kImmutable, "no"),
      // General.
      Int("databases", kImmutable, 1, kIntMax, "16", &C::databases_),
      Bool("daemonize", kImmutable, "no", {}, OnlyNoDaemonize),
      Enum("supervised", kImmutable, {"upstart", "systemd", "auto", "no"}, "no"),
      Str("pidfile", kImmutable, ""),
      Enum("loglevel", 0, {"debug", "verbose", "notice", "warning", "nothing"}, "notice",
           &C::loglevel_),
      Str("logfile", kImmutable, "", &C::logfile_),
      Bool("always-show-logo", kImmutable, "no"),
      Bool("set-proc-title", kImmutable, "yes"),
      Str("proc-title-template", 0, "{title} {listen-addr} {server-mode}", {}, ValidProcTitle),
      Int("hz", 0, 0, kIntMax, "10", &C::hz_, ClampHz),
      Bool("dynamic-hz", 0, "yes"),
      Bool("activerehashing", 0, "yes"),
      Bool("jemalloc-bg-thread", 0, "yes"),
      Bool("disable-thp", kImmutable, "yes"),
      Enum("oom-score-adj", 0, {"no", "yes", "relative", "absolute"}, "no"),
      Special("oom-score-adj-values", kMultiArg, "0 200 800", ParseOomScoreAdjValues),
      Int("busy-reply-threshold", 0, 0, kLongMax, "5000", &C::busy_reply_threshold_),
      // Memory and eviction.
      Mem("maxmemory", kAnyUnsigned, 0, kLongMax, "0", &C::maxmemory_),
      Enum("maxmemory-policy", 0,
           {"volatile-lru", "volatile-lfu", "volatile-random", "volatile-ttl", "allkeys-lru",
            "allkeys-lfu", "allkeys-random", "noeviction", "allkeys-tinylfu"},
           "noeviction", &C::maxmemory_policy_),
      Int("maxmemory-samples", 0, 1, kIntMax, "5", &C::maxmemory_samples_),
      Int("maxmemory-eviction-tenacity", 0, 0, 100, "10"),
      Int("lfu-log-factor", 0, 0, kIntMax, "10", &C::lfu_log_factor_),
      Int("lfu-decay-time", 0, 0, kIntMax, "1", &C::lfu_decay_time_),
      Int("active-expire-effort", 0, 1, 10, "1"),
      Bool("lazyfree-lazy-eviction", 0, "no"),
      Bool("lazyfree-lazy-expire", 0, "no"),
      Bool("lazyfree-lazy-server-del", 0, "no"),
      Bool("lazyfree-lazy-user-del", 0, "no", &C::lazyfree_lazy_user_del_),
      Bool("lazyfree-lazy-user-flush", 0, "no", &C::lazyfree_lazy_user_flush_),
      // Monitoring.
      Int("slowlog-log-slower-than", 0, -1, kLongMax, "10000", &C::slowlog_log_slower_than_),
      Int("slowlog-max-len", 0, 0, kLongMax, "128", &C::slowlog_max_len_),
      Int("latency-monitor-threshold", 0, 0, kLongMax, "0"),
      Int("acllog-max-len", 0, 0, kLongMax, "128"),
      Special("notify-keyspace-events", 0, "", ParseNotify),
      // Encodings.
      Int("hash-max-listpack-entries", 0, 0, kLongMax, "512", &C::hash_max_listpack_entries_),
      Mem("hash-max-listpack-value", 0, 0, kLongMax, "64", &C::hash_max_listpack_value_),
      Int("set-max-intset-entries", 0, 0, kLongMax, "512", &C::set_max_intset_entries_),
      Int("zset-max-listpack-entries", 0, 0, kLongMax, "128", &C::zset_max_listpack_entries_),
      Mem("zset-max-listpack-value", 0, 0, kLongMax, "64", &C::zset_max_listpack_value_),
      Int("list-max-listpack-size", 0, kIntMin, kIntMax, "-2", &C::list_max_listpack_size_),
      Int("list-compress-depth", 0, 0, kIntMax, "0"),
      Mem("hll-sparse-max-bytes", 0, 0, kLongMax, "3000"),
      Mem("stream-node-max-bytes", 0, 0, kLongMax, "4096"),
      Int("stream-node-max-entries", 0, 0, kLongMax, "100"),
      // Persistence, which Stash does not have: accepted so redis.conf files load.
      Special("save", kMultiArg, "", ParseSave),
      Special("dir", kProtected, "", ParseDir),
      Str("dbfilename", kProtected, "dump.rdb", {}, BaseNameOnly),
      Bool("stop-writes-on-bgsave-error", 0, "yes"),
      Bool("rdbcompression", 0, "yes"),
      Bool("rdbchecksum", kImmutable, "yes"),
      Bool("rdb-del-sync-files", 0, "no"),
      Bool("rdb-save-incremental-fsync", 0, "yes"),
      Bool("appendonly", 0, "no", {}, OnlyNoAppendonly),
      Str("appendfilename", kImmutable, "appendonly.aof", {}, ValidAofFilename),
      Str("appenddirname", kImmutable, "appendonlydir", {}, ValidAofDirname),
      Enum("appendfsync", 0, {"everysec", "always", "no"}, "everysec"),
      Bool("no-appendfsync-on-rewrite", 0, "no"),
      Int("auto-aof-rewrite-percentage", 0, 0, kIntMax, "100"),
      Mem("auto-aof-rewrite-min-size", 0, 0, kLongMax, "67108864"),
      Bool("aof-load-truncated", 0, "yes"),
      Bool("aof-use-rdb-preamble", 0, "yes"),
      Bool("aof-timestamp-enabled", 0, "no"),
      Bool("aof-rewrite-incremental-fsync", 0, "yes"),
      // Replication, which Stash does not have either (replicaof itself stays unknown, so a
      // config that asks for it fails loudly).
      Bool("replica-serve-stale-data", 0, "yes"),
      Bool("replica-read-only", 0, "yes"),
      Int("replica-priority", 0, 0, kIntMax, "100"),
      Bool("replica-lazy-flush", 0, "no"),
      Bool("repl-diskless-sync", 0, "yes"),
      Int("repl-diskless-sync-delay", 0, 0, kIntMax, "5"),
      Int("repl-diskless-sync-max-replicas", 0, 0, kIntMax, "0"),
      Enum("repl-diskless-load", 0, {"disabled", "on-empty-db", "swapdb"}, "disabled"),
      Bool("repl-disable-tcp-nodelay", 0, "no"),
  };
  for (Directive& d : t) {
    if (std::strcmp(d.name, "dir") == 0) {
      d.store = StoreDir;
      d.format = FormatDir;
    }
  }
  // Redis 7's old names. Each is its own entry, as in Redis (CONFIG GET * lists both).
  static const std::pair<const char*, const char*> kAliases[] = {
      {"hash-max-ziplist-entries", "hash-max-listpack-entries"},
      {"hash-max-ziplist-value", "hash-max-listpack-value"},
      {"zset-max-ziplist-entries", "zset-max-listpack-entries"},
      {"zset-max-ziplist-value", "zset-max-listpack-value"},
      {"list-max-ziplist-size", "list-max-listpack-size"},
      {"lua-time-limit", "busy-reply-threshold"},
      {"slave-serve-stale-data", "replica-serve-stale-data"},
      {"slave-read-only", "replica-read-only"},
      {"slave-priority", "replica-priority"},
      {"slave-lazy-flush", "replica-lazy-flush"},
  };
  for (auto [alias, primary] : kAliases) {
    for (size_t i = 0; i < t.size(); ++i) {
      if (std::strcmp(t[i].name, primary) == 0) {
        Directive d = t[i];
        d.name = alias;
        d.primary = t[i].name;
        t.push_back(d);
        break;
      }
    }
  }
  return t;
}

const std::vector<Directive>& Table() {
  static const std::vector<Directive> table = BuildTable();
  return table;
}

const Directive* Find(std::string_view name) {
  static const std::unordered_map<std::string, const Directive*> index = [] {
    std::unordered_map<std::string, const Directive*> m;
    for (const Directive& d : Table()) m.emplace(d.name, &d);
    return m;
  }();
  auto it = index.find(Lower(name));
  return it == index.end() ? nullptr : it->second;
}

// ---- Parse, store, format -------------------------------------------------------------------

std::string RangeError(int64_t min, int64_t max) {
  return "argument must be between " + std::to_string(min) + " and " + std::to_string(max) +
         " inclusive";
}

// `args` are the directive's values, already split for multi-value directives.
bool ParseValue(const Directive& d, const std::vector<std::string>& args,
                const std::string& current, Parsed* out, std::string* err) {
  switch (d.type) {
    case Type::kBool:
      if (EqualsNoCase(args[0], "yes")) {
        out->num = 1;
      } else if (EqualsNoCase(args[0], "no")) {
        out->num = 0;
      } else {
        *err = "argument must be 'yes' or 'no'";
        return false;
      }
      out->text = out->num ? "yes" : "no";
      break;
    case Type::kInt:
      if (!protocol::StringToInt64(args[0], &out->num)) {
        *err = "argument couldn't be parsed into an integer";
        return false;
      }
      if (out->num < d.min || out->num > d.max) {
        *err = RangeError(d.min, d.max);
        return false;
      }
      out->text = std::to_string(out->num);
      break;
    case Type::kMemory: {
      uint64_t u;
      if (!MemToUll(args[0], &u)) {
        *err = "argument must be a memory value";
        return false;
      }
      if (d.flags & kAnyUnsigned) {
        // Stored as int64_t: anything beyond that is "no limit" in practice.
        out->num = u > static_cast<uint64_t>(INT64_MAX) ? INT64_MAX : static_cast<int64_t>(u);
      } else {
        // Redis checks the value as a signed number, so a wrapped huge value fails the lower
        // bound with the same message.
        out->num = static_cast<int64_t>(u);
        if (out->num < d.min || out->num > d.max) {
          *err = RangeError(d.min, d.max);
          return false;
        }
      }
      out->text = std::to_string(out->num);
      break;
    }
    case Type::kString:
      out->text = args[0];
      break;
    case Type::kEnum: {
      bool found = false;
      for (const char* v : d.enum_values) {
        if (EqualsNoCase(args[0], v)) {
          out->text = v;
          found = true;
          break;
        }
      }
      if (!found) {
        // Stash-only values (allkeys-tinylfu) are accepted but not listed, so the error
        // reads exactly as Redis's.
        std::string msg = "argument(s) must be one of the following: ";
        bool first = true;
        for (const char* v : d.enum_values) {
          if (std::string_view(v) == "allkeys-tinylfu") continue;
          if (!first) msg += ", ";
          msg += v;
          first = false;
        }
        *err = msg;
        return false;
      }
      break;
    }
    case Type::kSpecial:
      if (!d.special(args, current, out, err)) return false;
      break;
  }
  return d.check == nullptr || d.check(out, err);
}

// The caller holds strings_mu_.
std::string FormatLocked(const Config& c, const Directive& d) {
  if (d.format) return d.format();
  struct Visitor {
    const Config& c;
    const Directive& d;
    std::string operator()(std::monostate) const {
      for (const auto& [name, value] : c.passive_) {
        if (name == d.key()) return value;
      }
      return std::string();
    }
    std::string operator()(std::atomic<bool> Config::*m) const {
      return (c.*m).load() ? "yes" : "no";
    }
    std::string operator()(std::atomic<int> Config::*m) const {
      return std::to_string((c.*m).load());
    }
    std::string operator()(std::atomic<int64_t> Config::*m) const {
      return std::to_string((c.*m).load());
    }
    std::string operator()(std::string Config::*m) const { return c.*m; }
    std::string operator()(std::vector<std::string> Config::*m) const { return Join(c.*m); }
  };
  return std::visit(Visitor{c, d}, d.slot);
}

// The caller holds strings_mu_.
void StoreLocked(Config& c, const Directive& d, const Parsed& v) {
  if (d.store) {
    d.store(v);
    return;
  }
  struct Visitor {
    Config& c;
    const Directive& d;
    const Parsed& v;
    void operator()(std::monostate) const {
      for (auto& [name, value] : c.passive_) {
        if (name == d.key()) {
          value = v.text;
          return;
        }
      }
      c.passive_.emplace_back(d.key(), v.text);
    }
    void operator()(std::atomic<bool> Config::*m) const { (c.*m).store(v.num != 0); }
    void operator()(std::atomic<int> Config::*m) const { (c.*m).store(static_cast<int>(v.num)); }
    void operator()(std::atomic<int64_t> Config::*m) const { (c.*m).store(v.num); }
    void operator()(std::string Config::*m) const { c.*m = v.text; }
    void operator()(std::vector<std::string> Config::*m) const { c.*m = v.list; }
  };
  std::visit(Visitor{c, d, v}, d.slot);
}

// Rebuilds a directive line for error messages, quoting values the way the file would.
std::string LineText(std::string_view name, const std::vector<std::string>& values) {
  std::string line(name);
  for (const std::string& v : values) {
    line += ' ';
    bool plain = !v.empty() && v.find_first_of(" \t\r\n\"'\\") == std::string::npos;
    if (plain) {
      line += v;
    } else {
      line += '"';
      for (char c : v) {
        if (c == '"' || c == '\\') line += '\\';
        line += c;
      }
      line += '"';
    }
  }
  return line;
}

[[noreturn]] void Fail(const std::string& where, const std::string& line, const std::string& why) {
  throw ConfigError(where + ": '" + line + "': " + why);
}

constexpr int kMaxIncludeDepth = 16;

// Applies one directive at start-up; `line` is the text quoted in errors.
void ApplyLine(Config& c, const std::string& name, const std::vector<std::string>& values,
               const std::string& where, const std::string& line) {
  if (name == "include") {
    if (values.size() != 1) Fail(where, line, "Bad directive or wrong number of arguments");
    if (c.include_depth_ >= kMaxIncludeDepth) {
      Fail(where, line, "include nesting too deep (does a file include itself?)");
    }
    std::ifstream probe(values[0]);
    if (!probe) {
      Fail(where, line, "can't open config file '" + values[0] + "': " + std::strerror(errno));
    }
    ++c.include_depth_;
    try {
      c.LoadFile(values[0]);
    } catch (...) {
      --c.include_depth_;
      throw;
    }
    --c.include_depth_;
    return;
  }

  const Directive* d = Find(name);
  if (d == nullptr) Fail(where, line, "Bad directive or wrong number of arguments");

  std::vector<std::string> args = values;
  if (d->flags & kMultiArg) {
    // One non-empty value holding several ("--bind '127.0.0.1 ::1'") is split as a config line
    // would be; an empty one ("save ''") stays a single empty value.
    if (values.size() == 1 && !values[0].empty()) {
      std::string storage;
      std::vector<std::pair<size_t, size_t>> spans;
      if (!protocol::SplitInlineArgs(values[0], &storage, &spans)) {
        Fail(where, line, "Unbalanced quotes in configuration line");
      }
      args.clear();
      for (auto [off, len] : spans) args.emplace_back(storage.substr(off, len));
    }
  } else if (values.size() != 1) {
    Fail(where, line, "wrong number of arguments");
  }

  std::string current;
  {
    std::lock_guard<std::mutex> lock(c.strings_mu_);
    current = FormatLocked(c, *d);
  }
  Parsed v;
  std::string err;
  if (!ParseValue(*d, args, current, &v, &err)) Fail(where, line, err);

  if (std::strcmp(d->key(), "save") == 0) {
    // In files and on the command line save points accumulate: the first `save` replaces the
    // defaults, later ones append, and `save ""` clears what came before.
    if (c.save_loaded_ && !v.text.empty() && !current.empty()) v.text = current + " " + v.text;
    c.save_loaded_ = true;
  }
  std::lock_guard<std::mutex> lock(c.strings_mu_);
  StoreLocked(c, *d, v);
}

}  // namespace

// ---- Config ---------------------------------------------------------------------------------

Config::Config() {
  // The table's defaults are the source of truth; running them through the parser also checks
  // the table itself.
  std::lock_guard<std::mutex> lock(strings_mu_);
  for (const Directive& d : Table()) {
    if (d.primary != nullptr || d.store != nullptr) continue;
    std::vector<std::string> args;
    if (d.flags & kMultiArg) {
      args = SplitOnSpaces(d.def);
    } else {
      args.emplace_back(d.def);
    }
    Parsed v;
    std::string err;
    if (!ParseValue(d, args, "", &v, &err)) {
      throw std::logic_error(std::string("bad default for ") + d.name + ": " + err);
    }
    StoreLocked(*this, d, v);
  }
}

std::vector<std::string> Config::bind() const {
  std::lock_guard<std::mutex> lock(strings_mu_);
  return bind_;
}

std::string Config::requirepass() const {
  std::lock_guard<std::mutex> lock(strings_mu_);
  return requirepass_;
}

std::string Config::loglevel() const {
  std::lock_guard<std::mutex> lock(strings_mu_);
  return loglevel_;
}

std::string Config::logfile() const {
  std::lock_guard<std::mutex> lock(strings_mu_);
  return logfile_;
}

std::string Config::maxmemory_policy() const {
  std::lock_guard<std::mutex> lock(strings_mu_);
  return maxmemory_policy_;
}

void Config::AddApplyHook(ApplyHook hook) { apply_hooks_.push_back(std::move(hook)); }

void Config::LoadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    throw ConfigError("can't open config file '" + path + "': " + std::strerror(errno));
  }
  std::ostringstream text;
  text << in.rdbuf();
  LoadText(text.str(), path);
}

void Config::LoadText(std::string_view text, const std::string& origin) {
  int lineno = 0;
  size_t pos = 0;
  while (pos <= text.size()) {
    size_t nl = text.find('\n', pos);
    if (nl == std::string_view::npos) nl = text.size();
    std::string_view line = text.substr(pos, nl - pos);
    pos = nl + 1;
    ++lineno;
    // Redis trims " \t\r\n" and skips blank lines and lines starting with '#'.
    size_t b = line.find_first_not_of(" \t\r\n");
    if (b == std::string_view::npos) continue;
    size_t e = line.find_last_not_of(" \t\r\n");
    line = line.substr(b, e - b + 1);
    if (line[0] == '#') continue;

    std::string where = origin + ":" + std::to_string(lineno);
    std::string storage;
    std::vector<std::pair<size_t, size_t>> spans;
    if (!protocol::SplitInlineArgs(line, &storage, &spans)) {
      Fail(where, std::string(line), "Unbalanced quotes in configuration line");
    }
    if (spans.empty()) continue;
    std::string name = Lower(std::string_view(storage).substr(spans[0].first, spans[0].second));
    std::vector<std::string> values;
    for (size_t i = 1; i < spans.size(); ++i) {
      values.emplace_back(storage.substr(spans[i].first, spans[i].second));
    }
    ApplyLine(*this, name, values, where, std::string(line));
  }
}

void Config::ApplyAtStartup(std::string_view name, const std::vector<std::string>& values,
                            const std::string& where) {
  ApplyLine(*this, Lower(name), values, where, LineText(Lower(name), values));
}

std::string Config::Set(const std::vector<std::pair<std::string_view, std::string_view>>& pairs) {
  std::lock_guard<std::mutex> set_lock(set_mu_);

  // Pass 1, as Redis: the first unknown, immutable, protected or repeated name wins, and an
  // unknown name is reported in preference to the others.
  std::vector<const Directive*> found(pairs.size(), nullptr);
  std::string unknown;
  std::string error_name, error_text;
  bool invalid = false;
  std::string protected_configs;
  {
    std::lock_guard<std::mutex> lock(strings_mu_);
    const Directive* epc = Find("enable-protected-configs");
    protected_configs = FormatLocked(*this, *epc);
  }
  for (size_t i = 0; i < pairs.size(); ++i) {
    const Directive* d = Find(pairs[i].first);
    if (d == nullptr) {
      if (!invalid) {
        unknown = std::string(pairs[i].first);
        invalid = true;
      }
      continue;
    }
    if (invalid) continue;
    // "local" would allow it from loopback connections only; the caller's address is not known
    // here, so only "yes" does.
    if ((d->flags & kImmutable) || ((d->flags & kProtected) && protected_configs != "yes")) {
      error_name = std::string(pairs[i].first);
      error_text =
          (d->flags & kImmutable) ? "can't set immutable config" : "can't set protected config";
      invalid = true;
      continue;
    }
    for (size_t j = 0; j < i; ++j) {
      if (found[j] == d) {
        error_name = std::string(pairs[i].first);
        error_text = "duplicate parameter";
        invalid = true;
        break;
      }
    }
    found[i] = d;
  }
  if (!unknown.empty()) {
    return "ERR Unknown option or number of arguments for CONFIG SET - '" + unknown + "'";
  }
  auto failed = [](const std::string& name, const std::string& why) {
    return "ERR CONFIG SET failed (possibly related to argument '" + name + "') - " + why;
  };
  if (invalid) return failed(error_name, error_text);

  // Pass 2: parse every value before storing any, so a bad one changes nothing. Aliases of one
  // directive may both appear (Redis allows it too); the later one wins.
  std::vector<std::string> old_values(pairs.size());
  {
    std::lock_guard<std::mutex> lock(strings_mu_);
    for (size_t i = 0; i < pairs.size(); ++i) old_values[i] = FormatLocked(*this, *found[i]);
  }
  std::vector<Parsed> parsed(pairs.size());
  for (size_t i = 0; i < pairs.size(); ++i) {
    const Directive& d = *found[i];
    std::vector<std::string> args;
    if (d.flags & kMultiArg) {
      args = SplitOnSpaces(pairs[i].second);
    } else {
      args.emplace_back(pairs[i].second);
    }
    std::string err;
    if (!ParseValue(d, args, old_values[i], &parsed[i], &err)) return failed(d.name, err);
  }

  // Pass 3: store, then let the server act on what changed.
  std::vector<size_t> changed;
  {
    std::lock_guard<std::mutex> lock(strings_mu_);
    for (size_t i = 0; i < pairs.size(); ++i) {
      if (parsed[i].text != old_values[i]) changed.push_back(i);
      StoreLocked(*this, *found[i], parsed[i]);
    }
  }
  for (size_t i : changed) {
    for (const ApplyHook& hook : apply_hooks_) {
      std::string err = hook(found[i]->key());
      if (err.empty()) continue;
      // Put everything back and give the hooks a chance to undo what they did.
      {
        std::lock_guard<std::mutex> lock(strings_mu_);
        for (size_t k = pairs.size(); k-- > 0;) {
          Parsed old;
          std::string ignored;
          std::vector<std::string> args;
          if (found[k]->flags & kMultiArg) {
            args = SplitOnSpaces(old_values[k]);
          } else {
            args.push_back(old_values[k]);
          }
          if (ParseValue(*found[k], args, old_values[k], &old, &ignored)) {
            StoreLocked(*this, *found[k], old);
          }
        }
      }
      for (size_t k : changed) {
        for (const ApplyHook& h : apply_hooks_) h(found[k]->key());
      }
      return failed(found[i]->name, err);
    }
  }
  return "";
}

std::vector<std::pair<std::string, std::string>> Config::Get(
    const std::vector<std::string_view>& patterns) const {
  std::vector<std::pair<std::string, std::string>> out;
  auto seen = [&out](std::string_view name) {
    for (const auto& [n, v] : out) {
      if (EqualsNoCase(n, name)) return true;
    }
    return false;
  };
  std::lock_guard<std::mutex> lock(strings_mu_);
  for (std::string_view pattern : patterns) {
    if (pattern.find_first_of("[*?") == std::string_view::npos) {
      // A plain name: Redis replies with the name as it was typed.
      if (seen(pattern)) continue;
      if (const Directive* d = Find(pattern)) {
        out.emplace_back(std::string(pattern), FormatLocked(*this, *d));
      }
      continue;
    }
    for (const Directive& d : Table()) {
      if (seen(d.name)) continue;
      if (storage::GlobMatch(pattern, d.name, /*nocase=*/true)) {
        out.emplace_back(d.name, FormatLocked(*this, d));
      }
    }
  }
  return out;
}

std::optional<std::string> Config::GetOne(std::string_view name) const {
  const Directive* d = Find(name);
  if (d == nullptr) return std::nullopt;
  std::lock_guard<std::mutex> lock(strings_mu_);
  return FormatLocked(*this, *d);
}

}  // namespace stash::server
