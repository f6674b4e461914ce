// Config: defaults, redis.conf parsing, CONFIG SET/GET. Expected error texts and formats were
// taken from redis-server 7.0.15 (CONFIG SET probes and config files fed to it).
#include "server/config.h"

#include <doctest/doctest.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <string>
#include <vector>

#include "server/logging.h"

namespace stash::server {
namespace {

using Pairs = std::vector<std::pair<std::string_view, std::string_view>>;

std::string SetErr(Config& c, Pairs pairs) { return c.Set(pairs); }

std::string Get1(const Config& c, std::string_view name) {
  auto v = c.GetOne(name);
  REQUIRE(v.has_value());
  return *v;
}

std::map<std::string, std::string> GetMap(const Config& c, std::vector<std::string_view> pats) {
  std::map<std::string, std::string> m;
  for (auto& [k, v] : c.Get(pats)) {
    CHECK(m.count(k) == 0);  // each name once
    m[k] = v;
  }
  return m;
}

// Loads text and returns the ConfigError message ("" if it loaded).
std::string LoadErr(Config& c, const std::string& text, const std::string& origin = "t.conf") {
  try {
    c.LoadText(text, origin);
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "";
}

std::string Failed(const std::string& name, const std::string& why) {
  return "ERR CONFIG SET failed (possibly related to argument '" + name + "') - " + why;
}

// A scratch directory removed at the end of the test.
struct TempDir {
  TempDir() {
    char tmpl[] = "/tmp/stash_config_test_XXXXXX";
    path = ::mkdtemp(tmpl);
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
  }
  std::string Write(const std::string& name, const std::string& text) const {
    std::string p = path + "/" + name;
    std::ofstream(p) << text;
    return p;
  }
  std::string path;
};

std::string StashConfPath() {
#ifdef STASH_CONF_PATH
  return STASH_CONF_PATH;
#else
  // tests/unit/config_test.cc -> conf/stash.conf
  return (std::filesystem::path(__FILE__).parent_path() / "../../conf/stash.conf").string();
#endif
}

TEST_CASE("defaults") {
  Config c;
  CHECK(c.port() == 6379);
  CHECK(c.bind() == std::vector<std::string>{"127.0.0.1", "-::1"});
  CHECK(c.protected_mode());
  CHECK(c.requirepass().empty());
  CHECK(c.databases() == 16);
  CHECK(c.maxclients() == 10000);
  CHECK(c.timeout_seconds() == 0);
  CHECK(c.tcp_keepalive() == 300);
  CHECK(c.threads() == 0);
  CHECK(c.loglevel() == "notice");
  CHECK(c.logfile().empty());
  CHECK(c.maxmemory() == 0);
  CHECK(c.maxmemory_policy() == "noeviction");
  CHECK(c.proto_max_bulk_len() == 512LL * 1024 * 1024);
  CHECK(c.tcp_backlog() == 511);
  CHECK(c.hz() == 10);

  // As redis-server 7.0.15 prints them in CONFIG GET.
  CHECK(Get1(c, "bind") == "127.0.0.1 -::1");
  CHECK(Get1(c, "proto-max-bulk-len") == "536870912");
  CHECK(Get1(c, "protected-mode") == "yes");
  CHECK(Get1(c, "save") == "");
  CHECK(Get1(c, "appendonly") == "no");
  CHECK(Get1(c, "client-output-buffer-limit") ==
        "normal 0 0 0 slave 268435456 67108864 60 pubsub 33554432 8388608 60");
  CHECK(Get1(c, "hash-max-listpack-entries") == "512");
  CHECK(Get1(c, "hash-max-ziplist-entries") == "512");
  CHECK(Get1(c, "list-max-listpack-size") == "-2");
  CHECK(Get1(c, "slowlog-log-slower-than") == "10000");
  CHECK(Get1(c, "notify-keyspace-events") == "");
  CHECK(Get1(c, "oom-score-adj-values") == "0 200 800");
  CHECK(Get1(c, "proc-title-template") == "{title} {listen-addr} {server-mode}");
  CHECK(Get1(c, "dbfilename") == "dump.rdb");
  CHECK(Get1(c, "io-threads") == "1");
  CHECK(Get1(c, "lua-time-limit") == "5000");
  char cwd[4096];
  REQUIRE(::getcwd(cwd, sizeof(cwd)) != nullptr);
  CHECK(Get1(c, "dir") == cwd);
  CHECK_FALSE(c.GetOne("no-such-directive").has_value());
}

TEST_CASE("memory units as Redis's memtoull parses them") {
  Config c;
  struct Case {
    const char* in;
    int64_t bytes;
  };
  for (Case k :
       {Case{"0", 0}, Case{"100", 100}, Case{"1b", 1}, Case{"1k", 1000}, Case{"1kb", 1024},
        Case{"1K", 1000}, Case{"1KB", 1024}, Case{"1m", 1000000}, Case{"1mb", 1048576},
        Case{"64mb", 64LL << 20}, Case{"1g", 1000000000}, Case{"1gb", 1LL << 30},
        Case{"1GB", 1LL << 30}, Case{"1Gb", 1LL << 30}, Case{"007mb", 7LL << 20}, Case{"", 0}}) {
    CAPTURE(k.in);
    CHECK(SetErr(c, {{"maxmemory", k.in}}) == "");
    CHECK(c.maxmemory() == k.bytes);
    CHECK(Get1(c, "maxmemory") == std::to_string(k.bytes));
  }
  for (const char* bad : {"abc", "1.5gb", " 1gb", "1 gb", "-1", "+5", "1tb", "0x10", "1kib"}) {
    CAPTURE(bad);
    CHECK(SetErr(c, {{"maxmemory", bad}}) ==
          Failed("maxmemory", "argument must be a memory value"));
  }
  // Redis does not check the multiplication for overflow: it wraps.
  CHECK(SetErr(c, {{"maxmemory", "99999999999999999gb"}}) == "");
  CHECK(Get1(c, "maxmemory") == "1685049947004600320");
  // Below proto-max-bulk-len's 1mb minimum, and a saturated value that turns negative.
  CHECK(SetErr(c, {{"proto-max-bulk-len", "1000"}}) ==
        Failed("proto-max-bulk-len",
               "argument must be between 1048576 and 9223372036854775807 inclusive"));
  CHECK(SetErr(c, {{"proto-max-bulk-len", "99999999999999999999"}}) ==
        Failed("proto-max-bulk-len",
               "argument must be between 1048576 and 9223372036854775807 inclusive"));
  CHECK(SetErr(c, {{"proto-max-bulk-len", "1gb"}}) == "");
  CHECK(c.proto_max_bulk_len() == 1LL << 30);
}

TEST_CASE("CONFIG SET error strings match redis-server 7.0") {
  Config c;
  CHECK(SetErr(c, {{"foo", "bar"}}) ==
        "ERR Unknown option or number of arguments for CONFIG SET - 'foo'");
  CHECK(SetErr(c, {{"maxmemory", "abc"}}) ==
        Failed("maxmemory", "argument must be a memory value"));
  CHECK(SetErr(c, {{"MAXMEMORY", "abc"}}) ==
        Failed("maxmemory", "argument must be a memory value"));
  CHECK(SetErr(c, {{"databases", "4"}}) == Failed("databases", "can't set immutable config"));
  // Immutable and duplicate errors name the argument as typed; value errors the directive.
  CHECK(SetErr(c, {{"DATABASES", "4"}}) == Failed("DATABASES", "can't set immutable config"));
  CHECK(SetErr(c, {{"port", "abc"}}) ==
        Failed("port", "argument couldn't be parsed into an integer"));
  CHECK(SetErr(c, {{"port", "70000"}}) ==
        Failed("port", "argument must be between 0 and 65535 inclusive"));
  CHECK(SetErr(c, {{"port", "-1"}}) ==
        Failed("port", "argument must be between 0 and 65535 inclusive"));
  CHECK(SetErr(c, {{"port", "1"}, {"port", "2"}}) == Failed("port", "duplicate parameter"));
  CHECK(SetErr(c, {{"protected-mode", "maybe"}}) ==
        Failed("protected-mode", "argument must be 'yes' or 'no'"));
  CHECK(SetErr(c, {{"maxmemory-policy", "lru"}}) ==
        Failed("maxmemory-policy",
               "argument(s) must be one of the following: volatile-lru, volatile-lfu, "
               "volatile-random, volatile-ttl, allkeys-lru, allkeys-lfu, allkeys-random, "
               "noeviction"));
  CHECK(SetErr(c, {{"maxclients", "0"}}) ==
        Failed("maxclients", "argument must be between 1 and 4294967295 inclusive"));
  CHECK(SetErr(c, {{"slowlog-max-len", "-1"}}) ==
        Failed("slowlog-max-len", "argument must be between 0 and 9223372036854775807 inclusive"));
  CHECK(SetErr(c, {{"timeout", "99999999999999999999"}}) ==
        Failed("timeout", "argument couldn't be parsed into an integer"));
  // Redis's string2ll: no '+', no leading zeros, no "-0", no spaces.
  for (const char* bad : {"+5", "007", "-0", " 5", "5 ", ""}) {
    CAPTURE(bad);
    CHECK(SetErr(c, {{"timeout", bad}}) ==
          Failed("timeout", "argument couldn't be parsed into an integer"));
  }
  CHECK(SetErr(c, {{"io-threads", "2"}}) == Failed("io-threads", "can't set immutable config"));
  CHECK(SetErr(c, {{"dir", "/"}}) == Failed("dir", "can't set protected config"));
  CHECK(SetErr(c, {{"dbfilename", "x"}}) == Failed("dbfilename", "can't set protected config"));
  CHECK(SetErr(c, {{"save", "100"}}) == Failed("save", "Invalid save parameters"));
  CHECK(SetErr(c, {{"save", "0 1"}}) == Failed("save", "Invalid save parameters"));
  CHECK(SetErr(c, {{"save", "1 -1"}}) == Failed("save", "Invalid save parameters"));
  CHECK(SetErr(c, {{"save", "3600  1"}}) == Failed("save", "Invalid save parameters"));
  CHECK(SetErr(c, {{"notify-keyspace-events", "KEw"}}) ==
        Failed("notify-keyspace-events", "Invalid event class character. Use 'Ag$lshzxeKEtmdn'."));
  CHECK(SetErr(c, {{"client-output-buffer-limit", "normal 1 2"}}) ==
        Failed("client-output-buffer-limit",
               "Wrong number of arguments in buffer limit configuration."));
  CHECK(SetErr(c, {{"client-output-buffer-limit", "master 1 2 3"}}) ==
        Failed("client-output-buffer-limit",
               "Invalid client class specified in buffer limit configuration."));
  CHECK(SetErr(c, {{"client-output-buffer-limit", "normal 1 2 -3"}}) ==
        Failed("client-output-buffer-limit",
               "Error in hard, soft or soft_seconds setting in buffer limit configuration."));
  CHECK(SetErr(c, {{"bind", "1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17"}}) ==
        Failed("bind", "Too many bind addresses specified."));
  CHECK(SetErr(c, {{"oom-score-adj-values", "1 2"}}) ==
        Failed("oom-score-adj-values", "wrong number of arguments"));
  CHECK(SetErr(c, {{"oom-score-adj-values", "1 2 3000"}}) ==
        Failed("oom-score-adj-values",
               "Invalid oom-score-adj-values, elements must be between -2000 and 2000."));
  CHECK(SetErr(c, {{"proc-title-template", "{foo}"}}) ==
        Failed("proc-title-template", "template format is invalid or contains unknown variables"));
  CHECK(SetErr(c, {{"proc-title-template", "{title"}}) ==
        Failed("proc-title-template", "template format is invalid or contains unknown variables"));
  CHECK(SetErr(c, {{"proc-title-template", "  "}}) ==
        Failed("proc-title-template", "template format is invalid or contains unknown variables"));
  CHECK(SetErr(c, {{"proc-title-template", "a} {{x}}"}}) == "");
  // The expansion is checked with an empty title, as Redis does.
  for (const char* bad : {"{title}", "{server-mode}", "{title} {server-mode}", "{}", "x{title"}) {
    CAPTURE(bad);
    CHECK(
        SetErr(c, {{"proc-title-template", bad}}) ==
        Failed("proc-title-template", "template format is invalid or contains unknown variables"));
  }
  for (const char* good : {"{port}", "\t", "{{", "}", "{title}}", "{title} {listen-addr}"}) {
    CAPTURE(good);
    CHECK(SetErr(c, {{"proc-title-template", good}}) == "");
  }
  CHECK(SetErr(c, {{"lua-time-limit", "x"}}) ==
        Failed("lua-time-limit", "argument couldn't be parsed into an integer"));
  // Stash refuses what it cannot do instead of pretending.
  CHECK(SetErr(c, {{"appendonly", "yes"}}).rfind(Failed("appendonly", "Stash has no AOF"), 0) == 0);
  CHECK(SetErr(c, {{"appendonly", "no"}}) == "");
  CHECK(SetErr(c, {{"unixsocket", "/tmp/x"}}) ==
        Failed("unixsocket", "can't set immutable config"));
}

TEST_CASE("CONFIG SET with several pairs is all or nothing, first error wins as in Redis") {
  Config c;
  CHECK(SetErr(c, {{"maxmemory", "10mb"}, {"timeout", "abc"}}) ==
        Failed("timeout", "argument couldn't be parsed into an integer"));
  CHECK(c.maxmemory() == 0);
  CHECK(c.timeout_seconds() == 0);
  // Name problems are found before any value is looked at; an unknown name beats the others
  // only when it comes first.
  CHECK(SetErr(c, {{"maxmemory", "abc"}, {"foo", "bar"}}) ==
        "ERR Unknown option or number of arguments for CONFIG SET - 'foo'");
  CHECK(SetErr(c, {{"maxmemory", "abc"}, {"databases", "4"}}) ==
        Failed("databases", "can't set immutable config"));
  CHECK(SetErr(c, {{"databases", "4"}, {"foo", "bar"}}) ==
        Failed("databases", "can't set immutable config"));
  CHECK(SetErr(c, {{"foo", "bar"}, {"databases", "4"}}) ==
        "ERR Unknown option or number of arguments for CONFIG SET - 'foo'");
  CHECK(SetErr(c, {{"maxmemory", "1"}, {"MaxMemory", "2"}}) ==
        Failed("MaxMemory", "duplicate parameter"));
  CHECK(c.maxmemory() == 0);

  CHECK(SetErr(c, {{"maxmemory", "1gb"},
                   {"maxmemory-policy", "ALLKEYS-LRU"},
                   {"timeout", "5"},
                   {"protected-mode", "NO"}}) == "");
  CHECK(c.maxmemory() == 1LL << 30);
  CHECK(c.maxmemory_policy() == "allkeys-lru");
  CHECK(c.timeout_seconds() == 5);
  CHECK_FALSE(c.protected_mode());
  CHECK(Get1(c, "protected-mode") == "no");
  CHECK(Get1(c, "maxmemory-policy") == "allkeys-lru");

  // An alias and its primary are separate entries (Redis allows both in one CONFIG SET).
  CHECK(SetErr(c, {{"hash-max-ziplist-entries", "1"}, {"hash-max-listpack-entries", "2"}}) == "");
  CHECK(Get1(c, "hash-max-ziplist-entries") == "2");
  CHECK(SetErr(c, {{"slave-priority", "5"}}) == "");
  CHECK(Get1(c, "replica-priority") == "5");
}

TEST_CASE("CONFIG SET special directives format as Redis prints them") {
  Config c;
  CHECK(SetErr(c, {{"save", "3600 1 300 100"}}) == "");
  CHECK(Get1(c, "save") == "3600 1 300 100");
  CHECK(SetErr(c, {{"save", ""}}) == "");
  CHECK(Get1(c, "save") == "");
  CHECK(SetErr(c, {{"notify-keyspace-events", "KEA"}}) == "");
  CHECK(Get1(c, "notify-keyspace-events") == "AKE");
  CHECK(SetErr(c, {{"notify-keyspace-events", "Ex"}}) == "");
  CHECK(Get1(c, "notify-keyspace-events") == "xE");
  CHECK(SetErr(c, {{"notify-keyspace-events", "KE$x"}}) == "");
  CHECK(Get1(c, "notify-keyspace-events") == "$xKE");
  CHECK(SetErr(c, {{"notify-keyspace-events", "Kgx$lshzetdnm"}}) == "");
  CHECK(Get1(c, "notify-keyspace-events") == "AKm");
  CHECK(SetErr(c, {{"client-output-buffer-limit", "normal 1mb 2mb 3 replica 1 2 3"}}) == "");
  CHECK(Get1(c, "client-output-buffer-limit") ==
        "normal 1048576 2097152 3 slave 1 2 3 pubsub 33554432 8388608 60");
  CHECK(SetErr(c, {{"client-output-buffer-limit", "NORMAL 0 0 0"}}) == "");
  CHECK(Get1(c, "client-output-buffer-limit") ==
        "normal 0 0 0 slave 1 2 3 pubsub 33554432 8388608 60");
  CHECK(SetErr(c, {{"hz", "1000"}}) == "");
  CHECK(Get1(c, "hz") == "500");
  CHECK(c.hz() == 500);
  CHECK(SetErr(c, {{"hz", "0"}}) == "");
  CHECK(Get1(c, "hz") == "1");
  CHECK(SetErr(c, {{"bind", "10.0.0.1 -::1"}}) == "");
  CHECK(c.bind() == std::vector<std::string>{"10.0.0.1", "-::1"});
  CHECK(SetErr(c, {{"bind", ""}}) == "");
  CHECK(c.bind().empty());
  CHECK(Get1(c, "bind") == "");
  CHECK(SetErr(c, {{"loglevel", "nothing"}}) == "");
  CHECK(c.loglevel() == "nothing");
  CHECK(SetErr(c, {{"requirepass", "a b"}}) == "");
  CHECK(c.requirepass() == "a b");
}

TEST_CASE("CONFIG GET: globs, several patterns, each name once") {
  Config c;
  auto m = GetMap(c, {"MAX*"});
  CHECK(m == std::map<std::string, std::string>{{"maxclients", "10000"},
                                                {"maxmemory", "0"},
                                                {"maxmemory-eviction-tenacity", "10"},
                                                {"maxmemory-policy", "noeviction"},
                                                {"maxmemory-samples", "5"}});
  // A plain name comes back as typed; later patterns do not repeat a name.
  auto v = c.Get({"PORT"});
  REQUIRE(v.size() == 1);
  CHECK(v[0] == std::pair<std::string, std::string>{"PORT", "6379"});
  v = c.Get({"port", "PORT", "Port"});
  REQUIRE(v.size() == 1);
  CHECK(v[0].first == "port");
  v = c.Get({"p*", "port"});
  m = GetMap(c, {"p*", "port"});
  CHECK(m.size() == v.size());
  CHECK(m.count("port") == 1);
  CHECK(m.count("protected-mode") == 1);
  CHECK(m.count("proto-max-bulk-len") == 1);
  CHECK(m.count("pidfile") == 1);
  CHECK(m.count("proc-title-template") == 1);
  m = GetMap(c, {"hash-max-*-entries"});
  CHECK(m == std::map<std::string, std::string>{{"hash-max-listpack-entries", "512"},
                                                {"hash-max-ziplist-entries", "512"}});
  m = GetMap(c, {"t?meout", "[b]ind", "nonexistent", "nonexistent*"});
  CHECK(m == std::map<std::string, std::string>{{"timeout", "0"}, {"bind", "127.0.0.1 -::1"}});
  // Everything, each once.
  m = GetMap(c, {"*", "*"});
  CHECK(m.size() > 90);
  CHECK(m.count("threads") == 1);
  CHECK(m.count("lazyfree-lazy-user-flush") == 1);
  CHECK(m.count("slave-read-only") == 1);
}

TEST_CASE("config file parsing") {
  Config c;
  CHECK(LoadErr(c,
                "# comment\n"
                "   # indented comment\n"
                "\n"
                "\t \r\n"
                "PORT 7000\r\n"
                "  bind 127.0.0.1 \"::1\"\n"
                "requirepass \"with space \\x41\\n\"\n"
                "maxmemory 64mb\n"
                "maxmemory-policy allkeys-lfu\n"
                "loglevel 'warning'\n"
                "hash-max-ziplist-entries 77\n"
                "client-output-buffer-limit pubsub 32mb 8mb 60\n"
                "client-output-buffer-limit normal 1 2 3\n"
                "notify-keyspace-events \"\"\n"
                "io-threads 4\n"
                "threads 3\n"
                "databases 4\n") == "");
  CHECK(c.port() == 7000);
  CHECK(c.bind() == std::vector<std::string>{"127.0.0.1", "::1"});
  CHECK(c.requirepass() == "with space A\n");
  CHECK(c.maxmemory() == 64LL << 20);
  CHECK(c.maxmemory_policy() == "allkeys-lfu");
  CHECK(c.loglevel() == "warning");
  CHECK(Get1(c, "hash-max-listpack-entries") == "77");
  CHECK(Get1(c, "client-output-buffer-limit") ==
        "normal 1 2 3 slave 268435456 67108864 60 pubsub 33554432 8388608 60");
  CHECK(Get1(c, "io-threads") == "4");
  CHECK(c.threads() == 3);
  CHECK(c.databases() == 4);
}

TEST_CASE("save lines accumulate at start-up, save \"\" clears") {
  Config c;
  CHECK(LoadErr(c, "save 60 1\nsave 30 2\n") == "");
  CHECK(Get1(c, "save") == "60 1 30 2");
  c.ApplyAtStartup("save", {"10", "5"}, "command line");
  CHECK(Get1(c, "save") == "60 1 30 2 10 5");
  c.ApplyAtStartup("save", {""}, "command line");
  CHECK(Get1(c, "save") == "");
  c.ApplyAtStartup("save", {"100 1"}, "command line");  // one value holding several
  CHECK(Get1(c, "save") == "100 1");
  // CONFIG SET replaces.
  CHECK(SetErr(c, {{"save", "5 5"}}) == "");
  CHECK(Get1(c, "save") == "5 5");
}

TEST_CASE("config file errors name the file, the line and the directive") {
  struct Case {
    const char* text;
    const char* error;
  };
  for (Case k : {
           Case{"port 1234\nfoo bar\n",
                "t.conf:2: 'foo bar': Bad directive or wrong number of "
                "arguments"},
           Case{"port abc\n", "t.conf:1: 'port abc': argument couldn't be parsed into an integer"},
           Case{"port 1 2\n", "t.conf:1: 'port 1 2': wrong number of arguments"},
           Case{"port\n", "t.conf:1: 'port': wrong number of arguments"},
           Case{"requirepass \"abc\n",
                "t.conf:1: 'requirepass \"abc': Unbalanced quotes in configuration line"},
           Case{"\n\n  maxmemory-policy bad  \n",
                "t.conf:3: 'maxmemory-policy bad': argument(s) must be one of the following: "
                "volatile-lru, volatile-lfu, volatile-random, volatile-ttl, allkeys-lru, "
                "allkeys-lfu, allkeys-random, noeviction"},
           Case{"daemonize maybe\n", "t.conf:1: 'daemonize maybe': argument must be 'yes' or 'no'"},
           Case{"maxmemory 12xb\n", "t.conf:1: 'maxmemory 12xb': argument must be a memory value"},
           Case{"io-threads 0\n",
                "t.conf:1: 'io-threads 0': argument must be between 1 and 128 inclusive"},
           Case{"include\n", "t.conf:1: 'include': Bad directive or wrong number of arguments"},
           Case{"appendfilename \"\"\n",
                "t.conf:1: 'appendfilename \"\"': appendfilename can't be empty"},
           Case{"appenddirname a/b\n",
                "t.conf:1: 'appenddirname a/b': appenddirname can't be a path, just a dirname"},
           Case{"replicaof 127.0.0.1 6379\n",
                "t.conf:1: 'replicaof 127.0.0.1 6379': Bad directive or wrong number of "
                "arguments"},
       }) {
    Config c;
    CAPTURE(k.text);
    CHECK(LoadErr(c, k.text) == k.error);
  }
  Config c;
  std::string err = LoadErr(c, "daemonize yes\n");
  CHECK(err.rfind("t.conf:1: 'daemonize yes': Stash does not daemonize", 0) == 0);
  err = LoadErr(c, "unixsocket /tmp/stash.sock\n");
  CHECK(err.rfind("t.conf:1: 'unixsocket /tmp/stash.sock': Stash does not listen on unix", 0) == 0);
  CHECK(LoadErr(c, "unixsocket \"\"\ndaemonize no\nappendonly no\n") == "");

  // Command-line directives name the command line.
  try {
    c.ApplyAtStartup("--port", {"abc"}, "command line");
    FAIL("expected ConfigError");
  } catch (const ConfigError& e) {
    CHECK(std::string(e.what()) ==
          "command line: '--port abc': Bad directive or wrong number of "
          "arguments");
  }
  try {
    c.ApplyAtStartup("Port", {"a b"}, "command line");
    FAIL("expected ConfigError");
  } catch (const ConfigError& e) {
    CHECK(std::string(e.what()) ==
          "command line: 'port \"a b\"': argument couldn't be parsed into an integer");
  }
}

TEST_CASE("include and files") {
  TempDir dir;
  std::string inner = dir.Write("inner.conf", "port 7001\nmaxmemory 1mb\n");
  std::string bad = dir.Write("bad.conf", "\n\nport 99999\n");
  std::string outer = dir.Write("outer.conf", "port 7000\ninclude " + inner + "\ntimeout 9\n");
  Config c;
  c.LoadFile(outer);
  CHECK(c.port() == 7001);
  CHECK(c.maxmemory() == 1 << 20);
  CHECK(c.timeout_seconds() == 9);

  // An error inside an included file names that file.
  std::string with_bad = dir.Write("with_bad.conf", "include " + bad + "\n");
  try {
    c.LoadFile(with_bad);
    FAIL("expected ConfigError");
  } catch (const ConfigError& e) {
    CHECK(std::string(e.what()) ==
          bad + ":3: 'port 99999': argument must be between 0 and 65535 inclusive");
  }
  // A missing include names the including line.
  std::string missing = dir.Write("missing.conf", "include " + dir.path + "/nope.conf\n");
  try {
    c.LoadFile(missing);
    FAIL("expected ConfigError");
  } catch (const ConfigError& e) {
    CHECK(std::string(e.what()) == missing + ":1: 'include " + dir.path +
                                       "/nope.conf': can't open config file '" + dir.path +
                                       "/nope.conf': No such file or directory");
  }
  // A file that includes itself fails instead of recursing forever.
  std::string self = dir.path + "/self.conf";
  dir.Write("self.conf", "include " + self + "\n");
  try {
    c.LoadFile(self);
    FAIL("expected ConfigError");
  } catch (const ConfigError& e) {
    CHECK(std::string(e.what()).find("include nesting too deep") != std::string::npos);
  }
  try {
    c.LoadFile(dir.path + "/absent.conf");
    FAIL("expected ConfigError");
  } catch (const ConfigError& e) {
    CHECK(std::string(e.what()) ==
          "can't open config file '" + dir.path + "/absent.conf': No such file or directory");
  }
}

TEST_CASE("dir changes the working directory, as in Redis") {
  TempDir dir;
  char before[4096];
  REQUIRE(::getcwd(before, sizeof(before)) != nullptr);
  Config c;
  CHECK(LoadErr(c, "dir " + dir.path + "/missing\n") ==
        "t.conf:1: 'dir " + dir.path + "/missing': No such file or directory");
  CHECK(LoadErr(c, "dir " + dir.path + "\n") == "");
  CHECK(Get1(c, "dir") == std::filesystem::canonical(dir.path).string());
  // CONFIG SET dir is protected unless enable-protected-configs is yes.
  Config open;
  CHECK(LoadErr(open, "enable-protected-configs yes\n") == "");
  CHECK(SetErr(open, {{"dir", before}}) == "");
  CHECK(Get1(open, "dir") == before);
  CHECK(SetErr(open, {{"dbfilename", "a/b"}}) ==
        Failed("dbfilename", "dbfilename can't be a path, just a filename"));
  REQUIRE(::chdir(before) == 0);
}

TEST_CASE("apply hooks see changed directives and can refuse a change") {
  Config c;
  std::vector<std::string> seen;
  c.AddApplyHook([&](std::string_view name) -> std::string {
    seen.emplace_back(name);
    if (name == "port" && c.port() == 1) return "Unable to listen on this port";
    return "";
  });
  CHECK(SetErr(c, {{"timeout", "0"}, {"maxmemory", "5"}}) == "");  // timeout unchanged
  CHECK(seen == std::vector<std::string>{"maxmemory"});
  seen.clear();
  CHECK(SetErr(c, {{"slave-priority", "7"}}) == "");
  CHECK(seen == std::vector<std::string>{"replica-priority"});
  seen.clear();
  CHECK(SetErr(c, {{"maxmemory", "9"}, {"port", "1"}}) ==
        Failed("port", "Unable to listen on this port"));
  CHECK(c.port() == 6379);
  CHECK(c.maxmemory() == 5);
}

TEST_CASE("conf/stash.conf loads with no error and matches the defaults") {
  Config c;
  c.LoadFile(StashConfPath());
  Config defaults;
  for (std::string_view name :
       {"port", "bind", "protected-mode", "databases", "threads", "maxmemory", "maxmemory-policy",
        "loglevel", "logfile", "timeout", "tcp-keepalive", "proto-max-bulk-len", "maxclients",
        "save", "appendonly"}) {
    CAPTURE(name);
    CHECK(Get1(c, name) == Get1(defaults, name));
  }
}

TEST_CASE("a stock redis.conf loads once daemonize is off") {
  // Debian's /etc/redis/redis.conf (Redis 7.0) when present; it sets daemonize yes and
  // writes to system paths, which are overridden after the file like a command line would.
  const char* path = "/etc/redis/redis.conf";
  if (::access(path, R_OK) != 0) return;
  std::ifstream in(path);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  for (const char* key : {"daemonize yes", "dir /var/lib/redis"}) {
    size_t at = text.find(std::string("\n") + key);
    if (at != std::string::npos) text.replace(at + 1, std::strlen(key), "# removed");
  }
  Config c;
  CHECK(LoadErr(c, text, path) == "");
  CHECK(c.port() == 6379);
}

TEST_CASE("logging: Redis-style lines in the logfile, level follows CONFIG SET loglevel") {
  TempDir dir;
  std::string file = dir.path + "/stash.log";
  Config c;
  c.ApplyAtStartup("logfile", {file}, "command line");
  c.ApplyAtStartup("loglevel", {"notice"}, "command line");
  InitLogging(c);
  LogVerbose("hidden verbose");
  LogNotice("shown notice");
  LogWarning("shown warning");
  CHECK(SetErr(c, {{"loglevel", "debug"}}) == "");
  LogDebug("shown debug");
  CHECK(SetErr(c, {{"loglevel", "nothing"}}) == "");
  LogWarning("hidden warning");
  std::ifstream in(file);
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  REQUIRE(lines.size() == 3);
  // "<pid>:M 22 Nov 2026 20:35:22.052 * message", as Redis writes its log.
  std::string pid = std::to_string(::getpid()) + ":M ";
  CHECK(lines[0].rfind(pid, 0) == 0);
  CHECK(lines[0].size() == pid.size() + 24 + 2 + std::strlen("shown notice") + 1);
  auto ends_with = [](const std::string& s, const std::string& tail) {
    return s.size() >= tail.size() && s.compare(s.size() - tail.size(), tail.size(), tail) == 0;
  };
  CHECK(ends_with(lines[0], " * shown notice"));
  CHECK(ends_with(lines[1], " # shown warning"));
  CHECK(ends_with(lines[2], " . shown debug"));

  Config bad;
  bad.ApplyAtStartup("logfile", {dir.path + "/no/such/dir/x.log"}, "command line");
  CHECK_THROWS_AS(InitLogging(bad), ConfigError);
}

}  // namespace
}  // namespace stash::server
