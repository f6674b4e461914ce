#include "client/keys.h"

#include <xxhash.h>

#include <algorithm>
#include <cstdio>

namespace stash {
namespace {

void AppendLengthPrefixed(std::string* out, std::string_view s) {
  out->append(std::to_string(s.size()));
  out->push_back(':');
  out->append(s);
}

}  // namespace

std::string ParamsHash(KeyParams params) {
  std::sort(params.begin(), params.end());
  std::string buf;
  for (const auto& [name, value] : params) {
    AppendLengthPrefixed(&buf, name);
    AppendLengthPrefixed(&buf, value);
  }
  uint64_t h = XXH3_64bits(buf.data(), buf.size());
  char hex[9];
  std::snprintf(hex, sizeof(hex), "%08x", static_cast<unsigned>(h & 0xffffffffu));
  return std::string(hex, 8);
}

std::string BuildKey(std::string_view prefix, std::string_view ns, std::string_view identifier,
                     const KeyParams& params) {
  std::string key;
  key.reserve(prefix.size() + ns.size() + identifier.size() + 12);
  key.append(prefix).append(":").append(ns).append(":").append(identifier);
  if (!params.empty()) key.append(":").append(ParamsHash(params));
  return key;
}

std::string_view NamespaceOf(std::string_view prefix, std::string_view key) {
  if (key.size() <= prefix.size() + 1 || key.substr(0, prefix.size()) != prefix ||
      key[prefix.size()] != ':') {
    return {};
  }
  std::string_view rest = key.substr(prefix.size() + 1);
  size_t colon = rest.find(':');
  return colon == std::string_view::npos ? std::string_view() : rest.substr(0, colon);
}

std::string GlobEscape(std::string_view s) {
  std::string out;
  for (char c : s) {
    if (c == '*' || c == '?' || c == '[' || c == ']' || c == '\\') out.push_back('\\');
    out.push_back(c);
  }
  return out;
}

std::string NamespacePattern(std::string_view prefix, std::string_view ns) {
  return GlobEscape(prefix) + ":" + GlobEscape(ns) + ":*";
}

}  // namespace stash
