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
};

struct Command {
  CommandSpec spec;
  std::string upper_name;  // for error messages that print it in capitals
  std::vector<std::unique_ptr<Command>> subcommands;
  std::unordered_map<std::string, Command*> subcommand_index;
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
  std::unordered_map<std::string, std::unique_ptr<Command>> commands_;
  std::vector<Command*> all_;
  std::vector<Command*> by_id_;
};

// Each family file defines one of these; CommandTable's constructor calls them all.
void RegisterConnectionCommands(CommandTable& table);
void RegisterServerCommands(CommandTable& table);
void RegisterStringCommands(CommandTable& table);
void RegisterKeyCommands(CommandTable& table);
void RegisterTransactionCommands(CommandTable& table);
void RegisterHashCommands(CommandTable& table);
void RegisterListCommands(CommandTable& table);
void RegisterBlockingListCommands(CommandTable& table);
void RegisterSetCommands(CommandTable& table);
void RegisterZSetCommands(CommandTable& table);
void RegisterBlockingZSetCommands(CommandTable& table);
void RegisterPubsubCommands(CommandTable& table);

}  // namespace stash::server

#endif  // STASH_SERVER_COMMAND_TABLE_H_
