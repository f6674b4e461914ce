// Pieces shared by the sorted set command files: zsets.cc (ZADD, ZREM, ZSCORE, ZPOP*, ZSCAN,
// ...), zsets_range.cc (ZRANGE and its variants, ZREMRANGEBY*, ZCOUNT, ZLEXCOUNT) and
// zsets_setops.cc (ZUNION, ZINTER, ZDIFF and their STORE forms, ZINTERCARD). The blocking pops
// (zsets_blocking.cc) can use PopAndReply.
#ifndef STASH_SERVER_COMMANDS_ZSETS_H_
#define STASH_SERVER_COMMANDS_ZSETS_H_

#include <memory>
#include <string_view>

#include "server/command_context.h"
#include "storage/types/zset_value.h"

namespace stash::server {

void RegisterZSetRangeCommands(CommandTable& table);  // zsets_range.cc
void RegisterZSetSetOpCommands(CommandTable& table);  // zsets_setops.cc

namespace zsetcmd {

using storage::ZSetValue;

// The encoding thresholds from the configuration (zset-max-listpack-entries / -value).
storage::ZSetLimits Limits(CommandContext& ctx);

// lookupKeyRead (read: counts a hit or a miss) or lookupKeyWrite, both refreshing the LRU
// clock, then checkType: false after replying WRONGTYPE. *z is null for a missing key.
bool Lookup(CommandContext& ctx, const KeyRef& k, bool read, ZSetValue** z);

// Stores z under k (replacing any value and TTL, as setKey does) and wakes clients blocked on
// the key.
void Store(CommandContext& ctx, const KeyRef& k, std::unique_ptr<ZSetValue> z);

// zslParseRange: "(" makes a bound exclusive; the rest goes through strtod, which (unlike
// ZADD's score parsing) takes leading spaces and an empty string (0). false for NaN or trailing
// characters.
bool ParseScoreRange(std::string_view min, std::string_view max, storage::ZScoreRange* range);
// zslParseLexRange: "-", "+", "(member" or "[member".
bool ParseLexRange(std::string_view min, std::string_view max, storage::ZLexRange* range);

// genericZpopCommand's popping part, for ZPOPMIN/ZPOPMAX/ZMPOP and the blocking BZPOPMIN,
// BZPOPMAX and BZMPOP: pops up to `count` elements (-1: one) from the lowest or highest end of
// the non-empty z stored at key in shard, deletes the key when it becomes empty (or signals the
// change), and replies in one of Redis's four shapes: [member, score, ...] (flat), [[member,
// score], ...] (nested), [key, member, score, ...] (emit_key: BZPOPMIN) or [key, [[member,
// score], ...]] (emit_key and nested: ZMPOP, BZMPOP).
void PopAndReply(storage::Shard* shard, std::string_view key, uint64_t hash, ZSetValue* z,
                 bool max, int64_t count, bool emit_key, bool nested,
                 protocol::ReplyBuilder& reply, int64_t now_ms);

inline constexpr std::string_view kNotFloatRange = "ERR min or max is not a float";
inline constexpr std::string_view kNotLexRange = "ERR min or max not valid string range item";

// Replies a list of elements, optionally with scores: flat (member, score, ...) in RESP2,
// [member, score] pairs in RESP3 (Redis avoids a map there because the order matters).
class ElementReply {
 public:
  ElementReply(CommandContext& ctx, bool withscores) : ctx_(ctx), withscores_(withscores) {}
  void Begin(size_t n);  // header for n elements
  void Add(std::string_view member, double score);

 private:
  CommandContext& ctx_;
  bool withscores_;
};

}  // namespace zsetcmd
}  // namespace stash::server

#endif  // STASH_SERVER_COMMANDS_ZSETS_H_
