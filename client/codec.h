// Typed values: the cache stores bytes; Codec<T> turns a T into bytes and back. Strings and
// arithmetic types are built in; an application supplies others by specialising Codec:
//
//   template <> struct stash::Codec<User> {
//     static std::string Encode(const User& u);
//     static std::optional<User> Decode(std::string_view bytes);  // nullopt: unreadable
//   };
//
// A value that does not decode is treated as a miss (and counted as an error), never thrown.
#ifndef STASH_CLIENT_CODEC_H_
#define STASH_CLIENT_CODEC_H_

#include <charconv>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>

namespace stash {

template <typename T, typename Enable = void>
struct Codec;

template <>
struct Codec<std::string> {
  static std::string Encode(const std::string& v) { return v; }
  static std::optional<std::string> Decode(std::string_view b) { return std::string(b); }
};

template <>
struct Codec<bool> {
  static std::string Encode(bool v) { return v ? "1" : "0"; }
  static std::optional<bool> Decode(std::string_view b) {
    if (b == "1") return true;
    if (b == "0") return false;
    return std::nullopt;
  }
};

// Integers and floating point numbers as decimal text (what INCRBY and other clients expect);
// floating point in the shortest form that reads back exactly.
template <typename T>
struct Codec<T, std::enable_if_t<std::is_arithmetic_v<T> && !std::is_same_v<T, bool>>> {
  static std::string Encode(T v) {
    char buf[64];
    auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), v);
    return std::string(buf, end);
  }
  static std::optional<T> Decode(std::string_view b) {
    T v{};
    auto [ptr, ec] = std::from_chars(b.data(), b.data() + b.size(), v);
    if (b.empty() || ec != std::errc() || ptr != b.data() + b.size()) return std::nullopt;
    return v;
  }
};

// Codecs for function arguments turned into key parameters (Cache::Cached).
template <typename T>
std::string EncodeKeyPart(const T& v) {
  if constexpr (std::is_convertible_v<const T&, std::string_view>) {
    return std::string(std::string_view(v));
  } else {
    return Codec<std::decay_t<T>>::Encode(v);
  }
}

}  // namespace stash

#endif  // STASH_CLIENT_CODEC_H_
