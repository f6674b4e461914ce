// COMMAND and its subcommands (COUNT, LIST, INFO, DOCS, GETKEYS, GETKEYSANDFLAGS, HELP), as
// Redis 7.0's server.c, all generated from the command table: whatever a family registers is
// what COMMAND reports.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "server/command_context.h"
#include "server/commands/server_common.h"
#include "server/errors.h"
#include "storage/glob.h"

namespace stash::server {
namespace {

// Redis's ACL categories in the order COMMAND lists them (ACLCommandCategories in acl.c).
constexpr std::string_view kCategories[] = {
    "keyspace", "read",   "write",     "set",   "sortedset", "list",       "hash",
    "string",   "bitmap", "hyperloglog", "geo", "stream",    "pubsub",     "admin",
    "fast",     "slow",   "blocking",  "dangerous", "connection", "transaction", "scripting"};

constexpr uint64_t CategoryBit(std::string_view name) {
  for (size_t i = 0; i < std::size(kCategories); ++i) {
    if (kCategories[i] == name) return uint64_t{1} << i;
  }
  return 0;
}

// The words of a separator-separated list; a null list has none.
std::vector<std::string_view> Words(std::string_view s, char sep = ' ') {
  std::vector<std::string_view> out;
  size_t pos = 0;
  while (pos < s.size()) {
    size_t end = s.find(sep, pos);
    if (end == std::string_view::npos) end = s.size();
    if (end > pos) out.push_back(s.substr(pos, end - pos));
    pos = end + 1;
  }
  return out;
}

std::string_view OrEmpty(const char* s) { return s == nullptr ? std::string_view() : s; }

// The table's categories plus those Redis implies from the flags (setImplicitACLCategories).
uint64_t Categories(const Command& cmd) {
  uint64_t cats = 0;
  for (std::string_view w : Words(OrEmpty(cmd.spec.acl_categories))) cats |= CategoryBit(w);
  uint32_t f = cmd.spec.flags;
  if (f & kWrite) cats |= CategoryBit("write");
  if ((f & kReadonly) && !(cats & CategoryBit("scripting"))) cats |= CategoryBit("read");
  if (f & kAdmin) cats |= CategoryBit("admin") | CategoryBit("dangerous");
  if (f & kPubsub) cats |= CategoryBit("pubsub");
  if (f & kFast) cats |= CategoryBit("fast");
  if (f & kBlocking) cats |= CategoryBit("blocking");
  if (!(cats & CategoryBit("fast"))) cats |= CategoryBit("slow");
  return cats;
}

// Flags in the order Redis 7.0 prints them; may_replicate is hidden there too.
constexpr std::pair<CommandFlag, std::string_view> kFlagNames[] = {
    {kWrite, "write"},         {kReadonly, "readonly"},  {kDenyOom, "denyoom"},
    {kAdmin, "admin"},         {kPubsub, "pubsub"},      {kNoscript, "noscript"},
    {kBlocking, "blocking"},   {kLoading, "loading"},    {kStale, "stale"},
    {kSkipMonitor, "skip_monitor"}, {kSkipSlowlog, "skip_slowlog"}, {kFast, "fast"},
    {kNoAuth, "no_auth"},      {kNoMandatoryKeys, "no_mandatory_keys"}, {kNoMulti, "no_multi"},   {kAllowBusy, "allow_busy"}};

// One key spec: where the keys are and what the command does with them.
struct KeySpec {
  std::vector<std::string_view> flags;
  int index;     // begin_search index
  int last_key;  // find_keys range: relative to index when >= 0, to the end when < 0
  int step;
  bool keynum = false;  // find_keys type keynum (numkeys at index, keys after it)
};

std::vector<KeySpec> KeySpecs(const Command& cmd) {
  const CommandSpec& s = cmd.spec;
  std::vector<KeySpec> specs;
  std::vector<std::string_view> groups = Words(OrEmpty(s.key_specs), ';');
  if (s.keynum_index > 0) {
    std::string_view flags = groups.empty() ? (s.flags & kReadonly) ? "RO access" : "RW access update"
                                            : groups.back();
    if (!groups.empty()) groups.pop_back();
    if (s.first_key > 0) specs.push_back({Words(groups.empty() ? "RW access update" : groups[0]),
                                          s.first_key, s.last_key - s.first_key, s.key_step});
    specs.push_back({Words(flags), s.keynum_index, 0, 1, true});
    return specs;
  }
  if (s.first_key <= 0) return specs;
  if (groups.empty()) groups.push_back((s.flags & kReadonly) ? "RO access" : "RW access update");
  if (groups.size() == 1) {
    int last = s.last_key >= 0 ? s.last_key - s.first_key : s.last_key;
    specs.push_back({Words(groups[0]), s.first_key, last, s.key_step});
    return specs;
  }
  for (size_t i = 0; i < groups.size(); ++i) {
    specs.push_back({Words(groups[i]), s.first_key + static_cast<int>(i), 0, 1});
  }
  return specs;
}

// Redis's lookupCommandBySds: "name" or "container|sub", case-insensitively.
const Command* LookupByFullName(std::string_view name) {
  size_t bar = name.find('|');
  const Command* cmd = CommandTable::Get().Find(name.substr(0, bar));
  if (cmd == nullptr || bar == std::string_view::npos) return cmd;
  std::string_view sub = name.substr(bar + 1);
  if (sub.find('|') != std::string_view::npos || !cmd->is_container()) return nullptr;
  return cmd->FindSubcommand(sub);
}

void ReplyCommandInfo(CommandContext& ctx, const Command& cmd) {
  protocol::ReplyBuilder& r = ctx.reply;
  const CommandSpec& s = cmd.spec;
  r.ArrayHeader(10);
  r.Bulk(cmd.full_name());
  r.Integer(s.arity);
  size_t nflags = 0;
  for (const auto& [flag, name] : kFlagNames) nflags += (s.flags & flag) ? 1 : 0;
  r.SetHeader(nflags + (s.keynum_index > 0 ? 1 : 0));
  for (const auto& [flag, name] : kFlagNames) {
    if (s.flags & flag) r.SimpleString(name);
  }
  if (s.keynum_index > 0) r.SimpleString("movablekeys");  // Redis prints it last
  r.Integer(s.first_key);
  r.Integer(s.last_key);
  r.Integer(s.key_step);
  uint64_t cats = Categories(cmd);
  r.SetHeader(static_cast<size_t>(__builtin_popcountll(cats)));
  for (size_t i = 0; i < std::size(kCategories); ++i) {
    if (cats & (uint64_t{1} << i)) r.SimpleString("@" + std::string(kCategories[i]));
  }
  std::vector<std::string_view> tips = Words(OrEmpty(s.tips));
  r.SetHeader(tips.size());
  for (std::string_view t : tips) r.Bulk(t);
  std::vector<KeySpec> specs = KeySpecs(cmd);
  r.SetHeader(specs.size());
  for (const KeySpec& k : specs) {
    r.MapHeader(s.key_spec_notes != nullptr ? 4 : 3);
    if (s.key_spec_notes != nullptr) {
      r.Bulk("notes");
      r.Bulk(s.key_spec_notes);
    }
    r.Bulk("flags");
    r.SetHeader(k.flags.size());
    for (std::string_view f : k.flags) r.SimpleString(f);
    r.Bulk("begin_search");
    r.MapHeader(2);
    r.Bulk("type");
    r.Bulk("index");
    r.Bulk("spec");
    r.MapHeader(1);
    r.Bulk("index");
    r.Integer(k.index);
    r.Bulk("find_keys");
    r.MapHeader(2);
    r.Bulk("type");
    if (k.keynum) {
      r.Bulk("keynum");
      r.Bulk("spec");
      r.MapHeader(3);
      r.Bulk("keynumidx");
      r.Integer(0);
      r.Bulk("firstkey");
      r.Integer(1);
      r.Bulk("keystep");
      r.Integer(1);
      continue;
    }
    r.Bulk("range");
    r.Bulk("spec");
    r.MapHeader(3);
    r.Bulk("lastkey");
    r.Integer(k.last_key);
    r.Bulk("keystep");
    r.Integer(k.step);
    r.Bulk("limit");
    r.Integer(0);
  }
  // An empty set when there are none, an array otherwise, as Redis 7.0 replies.
  if (!cmd.is_container()) {
    r.SetHeader(0);
    return;
  }
  r.ArrayHeader(cmd.subcommands.size());
  for (const auto& sub : cmd.subcommands) ReplyCommandInfo(ctx, *sub);
}

void ReplyCommandDocs(CommandContext& ctx, const Command& cmd) {
  protocol::ReplyBuilder& r = ctx.reply;
  const CommandSpec& s = cmd.spec;
  // Redis leaves out a complexity its docs do not give (MONITOR's).
  const bool has_complexity = s.complexity != nullptr && s.complexity[0] != '\0';
  r.MapHeader(3 + (has_complexity ? 1 : 0) + (cmd.is_container() ? 1 : 0));
  r.Bulk("summary");
  r.Bulk(s.summary);
  r.Bulk("since");
  r.Bulk(s.since);
  r.Bulk("group");
  r.Bulk(s.group);
  if (has_complexity) {
    r.Bulk("complexity");
    r.Bulk(s.complexity);
  }
  if (cmd.is_container()) {
    r.Bulk("subcommands");
    r.MapHeader(cmd.subcommands.size());
    for (const auto& sub : cmd.subcommands) {
      r.Bulk(sub->full_name());
      ReplyCommandDocs(ctx, *sub);
    }
  }
}

// COMMAND: every command's details.
void CommandCommand(CommandContext& ctx) {
  const auto& all = CommandTable::Get().all();
  ctx.reply.ArrayHeader(all.size());
  for (const Command* cmd : all) ReplyCommandInfo(ctx, *cmd);
}

void CommandCountCommand(CommandContext& ctx) {
  ctx.reply.Integer(static_cast<int64_t>(CommandTable::Get().all().size()));
}

// COMMAND INFO [name ...]: null for unknown names; every command when none is given.
void CommandInfoCommand(CommandContext& ctx) {
  if (ctx.args.size() == 2) return CommandCommand(ctx);
  ctx.reply.ArrayHeader(ctx.args.size() - 2);
  for (size_t i = 2; i < ctx.args.size(); ++i) {
    const Command* cmd = LookupByFullName(ctx.args[i]);
    if (cmd == nullptr) {
      ctx.reply.Null();
    } else {
      ReplyCommandInfo(ctx, *cmd);
    }
  }
}

// COMMAND DOCS [name ...]: a map from name to documentation; unknown names are left out.
// redis-cli reads this at start-up for its help and hints.
void CommandDocsCommand(CommandContext& ctx) {
  if (ctx.args.size() == 2) {
    const auto& all = CommandTable::Get().all();
    ctx.reply.MapHeader(all.size());
    for (const Command* cmd : all) {
      ctx.reply.Bulk(cmd->full_name());
      ReplyCommandDocs(ctx, *cmd);
    }
    return;
  }
  std::vector<const Command*> found;
  for (size_t i = 2; i < ctx.args.size(); ++i) {
    if (const Command* cmd = LookupByFullName(ctx.args[i])) found.push_back(cmd);
  }
  ctx.reply.MapHeader(found.size());
  for (const Command* cmd : found) {
    ctx.reply.Bulk(cmd->full_name());
    ReplyCommandDocs(ctx, *cmd);
  }
}

// COMMAND LIST [FILTERBY MODULE name | ACLCAT category | PATTERN pattern]
void CommandListCommand(CommandContext& ctx) {
  enum class Filter { kNone, kModule, kAclcat, kPattern } filter = Filter::kNone;
  std::string_view arg;
  for (size_t i = 2; i < ctx.args.size(); ++i) {
    size_t more = ctx.args.size() - 1 - i;
    if (!IsOption(ctx.args[i], "filterby") || more != 2) return ctx.Error(errors::kSyntax);
    std::string_view type = ctx.args[i + 1];
    if (IsOption(type, "module")) {
      filter = Filter::kModule;
    } else if (IsOption(type, "aclcat")) {
      filter = Filter::kAclcat;
    } else if (IsOption(type, "pattern")) {
      filter = Filter::kPattern;
    } else {
      return ctx.Error(errors::kSyntax);
    }
    arg = ctx.args[i + 2];
    i += 2;
  }
  // Categories are named as C strings (strcasecmp); patterns match their whole length.
  uint64_t category = filter == Filter::kAclcat ? CategoryBit(Lowercase(CStr(arg))) : 0;
  auto matches = [&](const Command& cmd) {
    switch (filter) {
      case Filter::kNone: return true;
      case Filter::kModule: return false;  // Stash has no modules
      case Filter::kAclcat: return category != 0 && (Categories(cmd) & category) != 0;
      case Filter::kPattern: return storage::GlobMatch(arg, cmd.full_name(), /*nocase=*/true);
    }
    return false;
  };
  std::vector<std::string> names;
  for (const Command* cmd : CommandTable::Get().all()) {
    if (matches(*cmd)) names.push_back(cmd->full_name());
    for (const auto& sub : cmd->subcommands) {
      if (matches(*sub)) names.push_back(sub->full_name());
    }
  }
  ctx.reply.ArrayHeader(names.size());
  for (const std::string& n : names) ctx.reply.Bulk(n);
}

// COMMAND GETKEYS / GETKEYSANDFLAGS full-command...
void GetKeys(CommandContext& ctx, bool with_flags) {
  static const KeySpec kNoFlags{};
  std::vector<std::string_view> argv(ctx.args.begin() + 2, ctx.args.end());
  const Command* cmd = CommandTable::Get().Find(argv[0]);
  if (cmd != nullptr && cmd->is_container() && argv.size() >= 2) {
    cmd = cmd->FindSubcommand(argv[1]);
  }
  if (cmd == nullptr) return ctx.Error("ERR Invalid command specified");
  std::vector<KeySpec> specs = KeySpecs(*cmd);
  if (specs.empty()) return ctx.Error("ERR The command has no key arguments");
  int argc = static_cast<int>(argv.size());
  int arity = cmd->spec.arity;
  if ((arity > 0 && arity != argc) || argc < -arity) {
    return ctx.Error("ERR Invalid number of arguments specified for command");
  }
  std::vector<std::pair<int, const KeySpec*>> keys;
  for (const KeySpec& k : specs) {
    if (k.keynum) {
      int numkeys = MovableKeyCount(cmd->spec, argv);
      if (numkeys < 0) {
        // Commands whose keys are optional answer an empty list instead (Redis's
        // CMD_NO_MANDATORY_KEYS).
        if (cmd->spec.flags & kNoMandatoryKeys) return ctx.reply.ArrayHeader(0);
        return ctx.Error("ERR Invalid arguments specified for command");
      }
      // Redis reads a numkeys that is not a canonical integer ("2abc") through the command's
      // getkeys proc, which knows no flags.
      std::string_view n = argv[k.index];
      bool canonical = !n.empty() && n.find_first_not_of("0123456789") == std::string_view::npos &&
                       (n[0] != '0' || n.size() == 1);
      for (int i = 1; i <= numkeys; ++i) keys.emplace_back(k.index + i, canonical ? &k : &kNoFlags);
      continue;
    }
    int first = k.index;
    int last = k.last_key >= 0 ? first + k.last_key : argc + k.last_key;
    if (last >= argc || last < first || first >= argc) {
      return ctx.Error("ERR Invalid arguments specified for command");
    }
    for (int i = first; i <= last; i += k.step) keys.emplace_back(i, &k);
  }
  ctx.reply.ArrayHeader(keys.size());
  for (const auto& [pos, spec] : keys) {
    if (!with_flags) {
      ctx.reply.Bulk(argv[pos]);
      continue;
    }
    ctx.reply.ArrayHeader(2);
    ctx.reply.Bulk(argv[pos]);
    ctx.reply.SetHeader(spec->flags.size());
    for (std::string_view f : spec->flags) ctx.reply.SimpleString(f);
  }
}

void CommandGetkeysCommand(CommandContext& ctx) { GetKeys(ctx, false); }
void CommandGetkeysandflagsCommand(CommandContext& ctx) { GetKeys(ctx, true); }

void CommandHelpCommand(CommandContext& ctx) {
  ReplyHelp(ctx, {
      "(no subcommand)",
      "    Return details about all Redis commands.",
      "COUNT",
      "    Return the total number of commands in this Redis server.",
      "LIST",
      "    Return a list of all commands in this Redis server.",
      "INFO [<command-name> ...]",
      "    Return details about multiple Redis commands.",
      "    If no command names are given, documentation details for all",
      "    commands are returned.",
      "DOCS [<command-name> ...]",
      "    Return documentation details about multiple Redis commands.",
      "    If no command names are given, documentation details for all",
      "    commands are returned.",
      "GETKEYS <full-command>",
      "    Return the keys from a full Redis command.",
      "GETKEYSANDFLAGS <full-command>",
      "    Return the keys and the access flags from a full Redis command.",
  });
}

}  // namespace

void RegisterCommandDocsCommands(CommandTable& table) {
  constexpr uint32_t kFlags = kLoading | kStale | kNoKeyspace;
  table.Add({"command", -1, kFlags, 0, 0, 0, CommandCommand, "server",
             "Get array of Redis command details", "2.8.13",
             "O(N) where N is the total number of Redis commands", "slow connection",
             "nondeterministic_output_order"});
  auto sub = [&table](const CommandSpec& spec) { table.AddSubcommand("command", spec); };
  sub({"command|count", 2, kFlags, 0, 0, 0, CommandCountCommand, "server",
       "Get total number of Redis commands", "2.8.13", "O(1)", "slow connection"});
  sub({"command|docs", -2, kFlags, 0, 0, 0, CommandDocsCommand, "server",
       "Get array of specific Redis command documentation", "7.0.0",
       "O(N) where N is the number of commands to look up", "slow connection",
       "nondeterministic_output_order"});
  sub({"command|getkeys", -4, kFlags, 0, 0, 0, CommandGetkeysCommand, "server",
       "Extract keys given a full Redis command", "2.8.13",
       "O(N) where N is the number of arguments to the command", "slow connection"});
  sub({"command|getkeysandflags", -4, kFlags, 0, 0, 0, CommandGetkeysandflagsCommand, "server",
       "Extract keys and access flags given a full Redis command", "7.0.0",
       "O(N) where N is the number of arguments to the command", "slow connection"});
  sub({"command|help", 2, kFlags, 0, 0, 0, CommandHelpCommand, "server",
       "Show helpful text about the different subcommands", "5.0.0", "O(1)",
       "slow connection"});
  sub({"command|info", -2, kFlags, 0, 0, 0, CommandInfoCommand, "server",
       "Get array of specific Redis command details, or all when no argument is given.",
       "2.8.13", "O(N) where N is the number of commands to look up", "slow connection",
       "nondeterministic_output_order"});
  sub({"command|list", -2, kFlags, 0, 0, 0, CommandListCommand, "server",
       "Get an array of Redis command names", "7.0.0",
       "O(N) where N is the total number of Redis commands", "slow connection",
       "nondeterministic_output_order"});
}

}  // namespace stash::server
