// The command table: every command is described once — name, arity, flags, key positions,
// documentation and handler — and COMMAND, COMMAND INFO/DOCS/COUNT, the dispatcher's key locking
// and INFO commandstats are all generated from that one description.
#ifndef STASH_SERVER_COMMAND_TABLE_H_
#define STASH_SERVER_COMMAND_TABLE_H_

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace stash::server {

class CommandContext;
using CommandHandler = void (*)(CommandContext& ctx);

// Flags, named as Redis 7 reports them in COMMAND.
enum CommandFlag : uint32_t {
  kWrite = 1 << 0,
  kReadonly = 1 << 1,
  kDenyOom = 1 << 2,
  kAdmin = 1 << 3,
  kPubsub = 1 << 4,
  kNoscript = 1 << 5,
  kBlocking = 1 << 6,
  kLoading = 1 << 7,
  kStale = 1 << 8,
  kSkipMonitor = 1 << 9,
  kSkipSlowlog = 1 << 10,
  kFast = 1 << 11,
  kNoAuth = 1 << 12,
  kMayReplicate = 1 << 13,
  kNoMulti = 1 << 14,
  kAllowBusy = 1 << 15,
  kNoMandatoryKeys = 1 << 16,  // numkeys may be 0 (EVAL, FCALL)
  // Stash-only (not reported by COMMAND): how the dispatcher must lock.
  // Runs with every other command excluded (FLUSHALL, SWAPDB, MOVE, ...).
  kExclusive = 1 << 24,
  // Never touches the keyspace (PING, CONFIG, CLIENT): needs no lock at all.
  kNoKeyspace = 1 << 25,
  // Locks shards itself, one at a time (KEYS, SCAN, DBSIZE, RANDOMKEY).
  kShardWalk = 1 << 26,
};

struct CommandSpec {
  const char* name;        // lower case; subcommands as "config|get"
  int arity;               // Redis convention: N exact, -N at least N (name included)
  uint32_t flags;
  int first_key, last_key, key_step;  // last_key < 0 counts from the end
  CommandHandler handler;
  const char* group;       // "string", "generic", "connection", "server", "transactions"
  const char* summary;
  const char* since;
  const char* complexity;
  const char* acl_categories;  // space-separated, without '@'
  // Command tips as COMMAND INFO lists them, space-separated ("nondeterministic_output
  // request_policy:all_shards"); most commands have none.
  const char* tips = nullptr;
  // Key spec flags as COMMAND INFO and COMMAND GETKEYSANDFLAGS report them ("RW access update").
  // One group describes one range spec from first_key/last_key/key_step; several groups
  // separated by ';' describe one single-key spec each, at first_key, first_key + 1, ...
  // ("RW access delete;OW update" for RENAME). Unset: "RO access" for kReadonly commands,
  // "RW access update" for the others.
  const char* key_specs = nullptr;
  // Movable keys (COMMAND INFO flag "movablekeys"): the argument at this index is numkeys and
  // that many keys follow it (ZUNION, LMPOP, EVAL, ...). first_key..last_key then describe only
  // the fixed keys before it (ZUNIONSTORE's destination), or are 0 when there are none, and the
  // last key_specs group holds the flags of the numkeys keys. 0: not movable.
  int keynum_index = 0;
  // COMMAND INFO's "notes" of the key specs, when Redis has one (EVAL's "We cannot tell ...").
  const char* key_spec_notes = nullptr;
};

// For a movable-keys command, the number of keys its numkeys argument announces, or -1 when it
// is not a positive count of the arguments that follow (the handler rejects such a call before
// touching any key). Read the way Redis's getkeys procs read it (atoi: "2abc" is 2), which
// equals the handlers' strict parse whenever that parse succeeds.
inline int MovableKeyCount(const CommandSpec& spec, const std::vector<std::string_view>& args) {
  int argc = static_cast<int>(args.size());
  if (spec.keynum_index <= 0 || spec.keynum_index >= argc) return -1;
  long long numkeys = 0;
  std::string_view n = args[spec.keynum_index];
  size_t p = 0;
  while (p < n.size() && (n[p] == ' ' || (n[p] >= '\t' && n[p] <= '\r'))) ++p;
  bool negative = p < n.size() && n[p] == '-';
  if (p < n.size() && (n[p] == '-' || n[p] == '+')) ++p;
  for (; p < n.size() && n[p] >= '0' && n[p] <= '9' && numkeys <= argc; ++p) {
    numkeys = numkeys * 10 + (n[p] - '0');
  }
  int least = (spec.flags & kNoMandatoryKeys) ? 0 : 1;
  if (negative || numkeys < least || numkeys > argc - spec.keynum_index - 1) return -1;
  return static_cast<int>(numkeys);
}

// Calls visit(index) for every key argument of a command invocation whose arity was checked:
// the first_key..last_key range, then, for movable-keys commands, the numkeys keys, so that the
// dispatcher locks exactly the shards a handler may touch.
template <typename Visit>
void ForEachKeyIndex(const CommandSpec& spec, const std::vector<std::string_view>& args,
                     Visit&& visit) {
  int argc = static_cast<int>(args.size());
  if (spec.first_key > 0) {
    int last = spec.last_key < 0 ? argc + spec.last_key : spec.last_key;
    if (last >= argc) last = argc - 1;
    for (int i = spec.first_key; i <= last; i += spec.key_step) visit(i);
  }
  int numkeys = MovableKeyCount(spec, args);
  for (int i = 1; i <= numkeys; ++i) visit(spec.keynum_index + i);
}

// Command names are matched without regard to case, as Redis does. Hashing and comparing with an
// inline ASCII fold lets argv[0] be looked up as it arrived: no lower-cased copy, no allocation,
// no libc tolower call per byte (the lookup runs once per command).
struct CaseFoldHash {
  using is_transparent = void;
  size_t operator()(std::string_view s) const {
    uint64_t h = 1469598103934665603ull;  // FNV-1a over the folded bytes
    for (char c : s) h = (h ^ static_cast<uint8_t>(Fold(c))) * 1099511628211ull;
    return static_cast<size_t>(h);
  }
  static char Fold(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c | 0x20) : c; }
};
struct CaseFoldEqual {
  using is_transparent = void;
  bool operator()(std::string_view a, std::string_view b) const {
    if (a.size() != b.size()) return false;
    for (size_t i = 0; i < a.size(); ++i) {
      if (CaseFoldHash::Fold(a[i]) != CaseFoldHash::Fold(b[i])) return false;
    }
    return true;
  }
};
template <class V>
using CaseFoldMap = std::unordered_map<std::string, V, CaseFoldHash, CaseFoldEqual>;

struct Command {
  CommandSpec spec;
  std::string upper_name;  // for error messages that print it in capitals
  std::vector<std::unique_ptr<Command>> subcommands;
  CaseFoldMap<Command*> subcommand_index;
  int id = 0;  // dense index for per-command statistics
  Command* parent = nullptr;

  bool is_container() const { return !subcommands.empty(); }
  const Command* FindSubcommand(std::string_view name) const;
  // "get" or "config|get", as Redis 7 names commands in errors and statistics.
  std::string full_name() const;
};

class CommandTable {
 public:
  static CommandTable& Get();

  void Add(const CommandSpec& spec);
  // Adds "parent|sub" under an existing container command.
  void AddSubcommand(const char* parent, const CommandSpec& spec);

  // Case-insensitive lookup of argv[0] (no subcommand resolution).
  const Command* Find(std::string_view name) const;
  const std::vector<Command*>& all() const { return all_; }
  // Every command and subcommand, indexed by Command::id.
  const std::vector<Command*>& by_id() const { return by_id_; }

 private:
  CommandTable();
  CaseFoldMap<std::unique_ptr<Command>> commands_;
  std::vector<Command*> all_;
  std::vector<Command*> by_id_;
};

// Each family file defines one of these; CommandTable's constructor calls them all.
void RegisterConnectionCommands(CommandTable& table);
void RegisterServerCommands(CommandTable& table);
void RegisterMemoryCommands(CommandTable& table);
void RegisterStringCommands(CommandTable& table);
void RegisterKeyCommands(CommandTable& table);
void RegisterTransactionCommands(CommandTable& table);
void RegisterHashCommands(CommandTable& table);
void RegisterListCommands(CommandTable& table);
void RegisterBlockingListCommands(CommandTable& table);
void RegisterSetCommands(CommandTable& table);
void RegisterZSetCommands(CommandTable& table);
void RegisterBlockingZSetCommands(CommandTable& table);
void RegisterScriptingCommands(CommandTable& table);
void RegisterPubsubCommands(CommandTable& table);

}  // namespace stash::server

#endif  // STASH_SERVER_COMMAND_TABLE_H_
