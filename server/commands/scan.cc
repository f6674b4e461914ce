// Commands that walk the keyspace, as Redis's db.c: KEYS, SCAN and RANDOMKEY. They are
// kShardWalk: the dispatcher locks nothing, and each handler holds one shard's lock at a time
// (ctx.LockShard, a no-op when the command runs exclusively inside EXEC). None of them is atomic
// across shards, which Redis does not promise for SCAN either; KEYS and RANDOMKEY see every
// shard at some instant during the call.
#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdint>
#include <cstdlib>
#include <random>
#include <string>
#include <vector>

#include "protocol/numbers.h"
#include "server/command_context.h"
#include "server/commands/keys.h"
#include "server/errors.h"
#include "storage/glob.h"

namespace stash::server {
namespace {

using storage::Entry;

void KeysCommand(CommandContext& ctx) {
  std::string_view pattern = ctx.args[1];
  // A lone "*" skips matching, which is also the only pattern that returns the empty key.
  const bool all = storage::GlobMatchesAll(pattern);
  storage::Database& db = ctx.db();
  size_t mark = ctx.reply.BeginDeferredArray();
  size_t count = 0;
  for (size_t i = 0; i < db.shard_count(); ++i) {
    storage::Shard& shard = db.shard(i);
    auto lock = ctx.LockShard(shard);
    // Expired keys are skipped but, as in Redis, not deleted.
    shard.ForEach([&](Entry e) {
      std::string_view key = e.key();
      if ((all || storage::GlobMatch(pattern, key)) && !e.ExpiredAt(ctx.now_ms)) {
        ctx.reply.Bulk(key);
        ++count;
      }
    });
  }
  ctx.reply.EndDeferredArray(mark, count);
}

// A key SCAN visited and kept after MATCH, to be checked for TYPE and expiry once the shard's
// table is no longer being walked (those checks may delete it).
struct Candidate {
  std::string key;
  bool expired;
  storage::ValueType type;
};

// SCAN cursor [MATCH pattern] [COUNT count] [TYPE type].
//
// The cursor is a position in hash space (Database::MakeCursor): its top bits name a shard and
// the rest a position inside that shard's hash-ordered table (EntryTable::Scan). Every key
// whose hash is below the returned cursor has been visited, whatever resizing happens between
// calls, so a key present for the whole iteration is returned at least once.
void ScanCommand(CommandContext& ctx) {
  const auto& args = ctx.args;
  uint64_t cursor;
  if (!keycmd::ParseScanCursor(args[1], &cursor)) return ctx.Error("ERR invalid cursor");
  int64_t count = 10;
  std::string_view pattern;
  bool use_pattern = false;
  bool use_type = false;
  std::string_view type_name;
  for (size_t i = 2; i < args.size(); i += 2) {
    bool has_value = args.size() - i >= 2;
    if (IsOption(args[i], "count") && has_value) {
      if (!protocol::StringToInt64(args[i + 1], &count)) return ctx.Error(errors::kNotInteger);
      if (count < 1) return ctx.Error(errors::kSyntax);
    } else if (IsOption(args[i], "match") && has_value) {
      pattern = args[i + 1];
      use_pattern = !storage::GlobMatchesAll(pattern);
    } else if (IsOption(args[i], "type") && has_value) {
      // Compared with strcasecmp, so an unknown type is no error: it just matches nothing.
      type_name = CStr(args[i + 1]);
      use_type = true;
    } else {
      return ctx.Error(errors::kSyntax);
    }
  }
  // EntryTable::Scan multiplies the count by 10 to bound the slots it walks.
  const size_t want = static_cast<size_t>(std::min<int64_t>(count, INT64_MAX / 16));

  storage::Database& db = ctx.db();
  std::vector<std::string> keys;
  std::vector<Candidate> candidates;
  size_t visited = 0;
  size_t shard_index = db.CursorShard(cursor);
  uint64_t local = db.CursorLocal(cursor);
  uint64_t next_cursor = 0;
  while (shard_index < db.shard_count()) {
    storage::Shard& shard = db.shard(shard_index);
    auto lock = ctx.LockShard(shard);
    candidates.clear();
    uint64_t next_local = 0;
    bool shard_done = shard.Scan(local, want - visited, &next_local, [&](Entry e) {
      ++visited;
      std::string_view key = e.key();
      if (use_pattern && !storage::GlobMatch(pattern, key)) return;
      candidates.push_back({std::string(key), e.ExpiredAt(ctx.now_ms), e.type()});
    });
    // Redis filters in this order: MATCH, then TYPE (a lookup that counts a hit or a miss and
    // deletes an expired key, whose type is then "none"), then expiry (deleting the key).
    // So an expired key that passes TYPE none is still returned.
    for (Candidate& c : candidates) {
      if (c.expired) shard.Find(c.key, storage::HashKey(c.key), ctx.now_ms);  // lazy delete
      if (use_type) {
        if (c.expired) {
          ctx.Miss(c.key);
        } else {
          ctx.Hit();
        }
        const char* type = c.expired ? "none" : keycmd::TypeName(c.type);
        if (!EqualsNoCase(type_name, type)) continue;
      } else if (c.expired) {
        continue;
      }
      keys.push_back(std::move(c.key));
    }
    if (!shard_done) {
      next_cursor = db.MakeCursor(shard_index, next_local);
      break;
    }
    ++shard_index;
    local = 0;
    if (visited >= want) {
      if (shard_index < db.shard_count()) next_cursor = db.MakeCursor(shard_index, 0);
      break;
    }
  }

  ctx.reply.ArrayHeader(2);
  ctx.reply.Bulk(std::to_string(next_cursor));
  ctx.reply.ArrayHeader(keys.size());
  for (const std::string& key : keys) ctx.reply.Bulk(key);
}

// RANDOMKEY: a shard chosen with probability proportional to its size, then an entry near a
// random slot of it. Expired keys met on the way are deleted and another draw is made, as
// Redis's dbRandomKey does.
void RandomkeyCommand(CommandContext& ctx) {
  thread_local std::mt19937_64 rng{std::random_device{}()};
  storage::Database& db = ctx.db();
  std::vector<size_t> sizes(db.shard_count());
  size_t total = 0;
  bool stale = true;  // sizes must be (re)read
  while (true) {
    if (stale) {
      total = 0;
      for (size_t i = 0; i < db.shard_count(); ++i) {
        auto lock = ctx.LockShard(db.shard(i));
        sizes[i] = db.shard(i).size();
        total += sizes[i];
      }
      stale = false;
    }
    if (total == 0) {
      ctx.reply.Null();
      return;
    }
    uint64_t r = rng() % total;
    size_t i = 0;
    while (r >= sizes[i]) r -= sizes[i++];
    storage::Shard& shard = db.shard(i);
    auto lock = ctx.LockShard(shard);
    if (shard.size() == 0) {
      stale = true;  // emptied by another client since the sizes were read
      continue;
    }
    Entry e = shard.EntryNear(rng());
    if (!e.ExpiredAt(ctx.now_ms)) {
      ctx.reply.Bulk(e.key());
      return;
    }
    std::string key(e.key());
    shard.Erase(key, storage::HashKey(key), ctx.now_ms);
    if (sizes[i] > 0) {
      --sizes[i];
      --total;
    }
  }
}

}  // namespace

void RegisterScanCommands(CommandTable& table) {
  table.Add({"keys", 2, kReadonly | kShardWalk, 0, 0, 0, KeysCommand, "generic",
             "Find all keys matching the given pattern", "1.0.0",
             "O(N) with N being the number of keys in the database, under the assumption that "
             "the key names in the database and the given pattern have limited length.",
             "keyspace read slow dangerous",
             "request_policy:all_shards nondeterministic_output_order"});
  table.Add({"scan", -2, kReadonly | kShardWalk, 0, 0, 0, ScanCommand, "generic",
             "Incrementally iterate the keys space", "2.8.0",
             "O(1) for every call. O(N) for a complete iteration, including enough command calls "
             "for the cursor to return back to 0. N is the number of elements inside the "
             "collection.",
             "keyspace read slow", "nondeterministic_output request_policy:special"});
  table.Add({"randomkey", 1, kReadonly | kShardWalk, 0, 0, 0, RandomkeyCommand, "generic",
             "Return a random key from the keyspace", "1.0.0", "O(1)", "keyspace read slow",
             "request_policy:all_shards nondeterministic_output"});
}

}  // namespace stash::server
