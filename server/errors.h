// Error replies shared by several command families, worded exactly as redis-server 7 words them.
#ifndef STASH_SERVER_ERRORS_H_
#define STASH_SERVER_ERRORS_H_

#include <string>
#include <string_view>

namespace stash::server::errors {

inline constexpr std::string_view kSyntax = "ERR syntax error";
inline constexpr std::string_view kWrongType =
    "WRONGTYPE Operation against a key holding the wrong kind of value";
inline constexpr std::string_view kNotInteger = "ERR value is not an integer or out of range";
inline constexpr std::string_view kNotFloat = "ERR value is not a valid float";
inline constexpr std::string_view kNoSuchKey = "ERR no such key";
inline constexpr std::string_view kDbIndexOutOfRange = "ERR DB index is out of range";
inline constexpr std::string_view kNoAuth = "NOAUTH Authentication required.";
// Redis's shared.oomerr: a denyoom command while used memory stays above maxmemory.
inline constexpr std::string_view kOom = "OOM command not allowed when used memory > 'maxmemory'.";
inline constexpr std::string_view kOverflow = "ERR increment or decrement would overflow";
// getRangeLongFromObjectOrReply's words for a count that must not be LONG_MIN (SPOP,
// SRANDMEMBER, HRANDFIELD, ZRANDMEMBER), and for an int (SELECT, MOVE, COPY ... DB).
inline constexpr std::string_view kOutOfLongRange =
    "ERR value is out of range, value must between -9223372036854775807 and "
    "9223372036854775807";
inline constexpr std::string_view kOutOfIntRange =
    "ERR value is out of range, value must between -2147483648 and 2147483647";
inline constexpr std::string_view kStringTooLong =
    "ERR string exceeds maximum allowed size (proto-max-bulk-len)";

inline std::string WrongArity(std::string_view full_name) {
  return "ERR wrong number of arguments for '" + std::string(full_name) + "' command";
}

inline std::string InvalidExpireTime(std::string_view command) {
  return "ERR invalid expire time in '" + std::string(command) + "' command";
}

}  // namespace stash::server::errors

#endif  // STASH_SERVER_ERRORS_H_
