// Pieces shared by the generic key command files: keys.cc (DEL, RENAME, COPY, OBJECT, ...),
// expire.cc (EXPIRE, TTL, PERSIST, ...) and scan.cc (KEYS, SCAN, RANDOMKEY); also SELECT's
// database index and the cursor and options of the collections' HSCAN, SSCAN and ZSCAN.
#ifndef STASH_SERVER_COMMANDS_KEYS_H_
#define STASH_SERVER_COMMANDS_KEYS_H_

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "protocol/numbers.h"
#include "server/command_context.h"
#include "server/commands/option.h"
#include "server/command_table.h"
#include "server/errors.h"
#include "storage/glob.h"
#include "storage/entry.h"

namespace stash::server {

// Called by RegisterKeyCommands, so the command table needs to know only one generic family.
void RegisterExpireCommands(CommandTable& table);
void RegisterScanCommands(CommandTable& table);

namespace keycmd {

// Redis's getObjectTypeName: what TYPE replies and what SCAN ... TYPE compares with.
inline const char* TypeName(storage::ValueType type) {
  switch (type) {
    case storage::ValueType::kString:
      return "string";
    case storage::ValueType::kList:
      return "list";
    case storage::ValueType::kSet:
      return "set";
    case storage::ValueType::kZSet:
      return "zset";
    case storage::ValueType::kHash:
      return "hash";
  }
  return "unknown";
}

// A database index as SELECT, MOVE and COPY ... DB parse it (getIntFromObjectOrReply, then
// selectDb's range check): replies the error and returns false on bad input.
inline bool ParseDbIndex(CommandContext& ctx, std::string_view arg, int* db) {
  int64_t v;
  if (!protocol::StringToInt64(arg, &v)) {
    ctx.Error(errors::kNotInteger);
    return false;
  }
  if (v < INT32_MIN || v > INT32_MAX) {
    ctx.Error(errors::kOutOfIntRange);
    return false;
  }
  if (v < 0 || v >= ctx.server.keyspace.database_count()) {
    ctx.Error(errors::kDbIndexOutOfRange);
    return false;
  }
  *db = static_cast<int>(v);
  return true;
}

// Redis's parseScanCursorOrReply, for SCAN, HSCAN, SSCAN and ZSCAN: strtoul in base 10 over
// the whole argument (up to a NUL byte, like any C string function), so "+5", "-1" (which
// wraps) and "" (zero) are accepted, but not a leading space, trailing garbage or overflow.
inline bool ParseScanCursor(std::string_view arg, uint64_t* cursor) {
  std::string text(CStr(arg));
  if (!text.empty() && isspace(static_cast<unsigned char>(text[0]))) return false;
  errno = 0;
  char* end;
  unsigned long long v = strtoull(text.c_str(), &end, 10);
  if (*end != '\0' || errno == ERANGE) return false;
  *cursor = v;
  return true;
}

// HSCAN/SSCAN/ZSCAN's [MATCH pattern] [COUNT count], from args[first] on, as Redis's
// scanGenericCommand parses them. Replies the error and returns false on bad input.
struct ScanOptions {
  int64_t count = 10;
  std::string_view pattern;
  bool use_pattern = false;  // false for a missing or match-everything pattern

  // COUNT as the number of elements a collection scan aims at, capped so that the ten times
  // as many slots it may visit (see CompactTable::Scan) cannot overflow.
  size_t Want() const { return static_cast<size_t>(std::min<int64_t>(count, INT64_MAX / 16)); }
};
inline bool ParseScanOptions(CommandContext& ctx, size_t first, ScanOptions* out) {
  const auto& args = ctx.args;
  for (size_t i = first; i < args.size(); i += 2) {
    bool has_value = i + 1 < args.size();
    if (IsOption(args[i], "count") && has_value) {
      if (!protocol::StringToInt64(args[i + 1], &out->count)) {
        ctx.Error(errors::kNotInteger);
        return false;
      }
      if (out->count < 1) {
        ctx.Error(errors::kSyntax);
        return false;
      }
    } else if (IsOption(args[i], "match") && has_value) {
      out->pattern = args[i + 1];
      out->use_pattern = !storage::GlobMatchesAll(out->pattern);
    } else {
      ctx.Error(errors::kSyntax);
      return false;
    }
  }
  return true;
}

}  // namespace keycmd
}  // namespace stash::server

#endif  // STASH_SERVER_COMMANDS_KEYS_H_
