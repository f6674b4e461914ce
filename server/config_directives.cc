// The directive table: every directive Stash knows, its type, range, default and flags, and the
// parsers and checks of the directives that need more than their type's.
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstdint>
#include <cstring>
#include <initializer_list>
#include <sstream>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "server/config.h"
#include "server/config_directives.h"
#include "server/notify.h"

namespace stash::server::config_detail {
namespace {

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

bool ParseNotify(const std::vector<std::string>& args, const std::string&, Parsed* out,
                 std::string* err) {
  int flags = ParseKeyspaceEventFlags(args[0]);
  if (flags < 0) {
    *err = "Invalid event class character. Use 'Ag$lshzxeKEtmdn'.";
    return false;
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

// Redis's appendfilename and appenddirname checks: not empty, and a bare name, not a path.
bool ValidAofName(const std::string& value, const char* directive, const char* kind,
                  std::string* err) {
  if (value.empty()) {
    *err = std::string(directive) + " can't be empty";
    return false;
  }
  if (value.find_first_of("/\\") != std::string::npos) {
    *err = std::string(directive) + " can't be a path, just a " + kind;
    return false;
  }
  return true;
}

bool ValidAofFilename(Parsed* v, std::string* err) {
  return ValidAofName(v->text, "appendfilename", "filename", err);
}

bool ValidAofDirname(Parsed* v, std::string* err) {
  return ValidAofName(v->text, "appenddirname", "dirname", err);
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
      Int("tracking-table-max-keys", 0, 0, kLongMax, "1000000", &C::tracking_table_max_keys_),
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

}  // namespace

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

}  // namespace stash::server::config_detail
