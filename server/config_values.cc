// How one directive's value is parsed by its type, stored in Config, and formatted back for
// CONFIG GET; and the number parsers that copy Redis's, so edge cases reply the same.
#include <cctype>
#include <climits>
#include <cstdint>
#include <cstdlib>
#include <mutex>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "protocol/numbers.h"
#include "server/config.h"
#include "server/config_directives.h"

namespace stash::server::config_detail {
namespace {

// Redis's sdssplitlen(value, " "): how CONFIG SET splits a multi-value directive. Unlike the
// config-file splitting, quotes mean nothing and "a  b" has an empty middle value.
std::vector<std::string> SplitOnSpaces(std::string_view value) {
  std::vector<std::string> out;
  if (value.empty()) return out;
  size_t start = 0;
  while (true) {
    size_t sp = value.find(' ', start);
    if (sp == std::string_view::npos) {
      out.emplace_back(value.substr(start));
      return out;
    }
    out.emplace_back(value.substr(start, sp - start));
    start = sp + 1;
  }
}

std::string RangeError(int64_t min, int64_t max) {
  return "argument must be between " + std::to_string(min) + " and " + std::to_string(max) +
         " inclusive";
}

}  // namespace

bool MemToUll(const std::string& s, uint64_t* out) {
  if (!s.empty() && s[0] == '-') return false;
  size_t digits = 0;
  while (digits < s.size() && s[digits] >= '0' && s[digits] <= '9') ++digits;
  std::string unit = s.substr(digits);
  for (char& c : unit) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  uint64_t mul;
  if (unit.empty() || unit == "b") {
    mul = 1;
  } else if (unit == "k") {
    mul = 1000;
  } else if (unit == "kb") {
    mul = 1024;
  } else if (unit == "m") {
    mul = 1000 * 1000;
  } else if (unit == "mb") {
    mul = 1024 * 1024;
  } else if (unit == "g") {
    mul = 1000ULL * 1000 * 1000;
  } else if (unit == "gb") {
    mul = 1024ULL * 1024 * 1024;
  } else {
    return false;
  }
  if (digits >= 128) return false;
  uint64_t val = 0;
  for (size_t i = 0; i < digits; ++i) {
    unsigned d = static_cast<unsigned>(s[i] - '0');
    if (val > (UINT64_MAX - d) / 10) {
      val = UINT64_MAX;  // strtoull's ERANGE result, which Redis accepts
      break;
    }
    val = val * 10 + d;
  }
  *out = val * mul;
  return true;
}

bool StrToLl(const std::string& s, long long* out) {
  char* end = nullptr;
  *out = std::strtoll(s.c_str(), &end, 10);
  return *end == '\0';
}

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string Join(const std::vector<std::string>& parts) {
  std::string out;
  for (size_t i = 0; i < parts.size(); ++i) {
    if (i) out += ' ';
    out += parts[i];
  }
  return out;
}

std::vector<std::string> ValueArgs(const Directive& d, std::string_view value) {
  if (d.flags & kMultiArg) return SplitOnSpaces(value);
  return {std::string(value)};
}

bool ParseValue(const Directive& d, const std::vector<std::string>& args,
                const std::string& current, Parsed* out, std::string* err) {
  switch (d.type) {
    case Type::kBool:
      if (EqualsNoCase(args[0], "yes")) {
        out->num = 1;
      } else if (EqualsNoCase(args[0], "no")) {
        out->num = 0;
      } else {
        *err = "argument must be 'yes' or 'no'";
        return false;
      }
      out->text = out->num ? "yes" : "no";
      break;
    case Type::kInt:
      if (!protocol::StringToInt64(args[0], &out->num)) {
        *err = "argument couldn't be parsed into an integer";
        return false;
      }
      if (out->num < d.min || out->num > d.max) {
        *err = RangeError(d.min, d.max);
        return false;
      }
      out->text = std::to_string(out->num);
      break;
    case Type::kMemory: {
      uint64_t u;
      if (!MemToUll(args[0], &u)) {
        *err = "argument must be a memory value";
        return false;
      }
      if (d.flags & kAnyUnsigned) {
        // Stored as int64_t: anything beyond that is "no limit" in practice.
        out->num = u > static_cast<uint64_t>(INT64_MAX) ? INT64_MAX : static_cast<int64_t>(u);
      } else {
        // Redis checks the value as a signed number, so a wrapped huge value fails the lower
        // bound with the same message.
        out->num = static_cast<int64_t>(u);
        if (out->num < d.min || out->num > d.max) {
          *err = RangeError(d.min, d.max);
          return false;
        }
      }
      out->text = std::to_string(out->num);
      break;
    }
    case Type::kString:
      out->text = args[0];
      break;
    case Type::kEnum: {
      bool found = false;
      for (const char* v : d.enum_values) {
        if (EqualsNoCase(args[0], v)) {
          out->text = v;
          found = true;
          break;
        }
      }
      if (!found) {
        // Stash-only values (allkeys-tinylfu) are accepted but not listed, so the error
        // reads exactly as Redis's.
        std::string msg = "argument(s) must be one of the following: ";
        bool first = true;
        for (const char* v : d.enum_values) {
          if (std::string_view(v) == "allkeys-tinylfu") continue;
          if (!first) msg += ", ";
          msg += v;
          first = false;
        }
        *err = msg;
        return false;
      }
      break;
    }
    case Type::kSpecial:
      if (!d.special(args, current, out, err)) return false;
      break;
  }
  return d.check == nullptr || d.check(out, err);
}

std::string FormatLocked(const Config& c, const Directive& d) {
  if (d.format) return d.format();
  struct Visitor {
    const Config& c;
    const Directive& d;
    std::string operator()(std::monostate) const {
      for (const auto& [name, value] : c.passive_) {
        if (name == d.key()) return value;
      }
      return std::string();
    }
    std::string operator()(std::atomic<bool> Config::*m) const {
      return (c.*m).load() ? "yes" : "no";
    }
    std::string operator()(std::atomic<int> Config::*m) const {
      return std::to_string((c.*m).load());
    }
    std::string operator()(std::atomic<int64_t> Config::*m) const {
      return std::to_string((c.*m).load());
    }
    std::string operator()(std::string Config::*m) const { return c.*m; }
    std::string operator()(std::vector<std::string> Config::*m) const { return Join(c.*m); }
  };
  return std::visit(Visitor{c, d}, d.slot);
}

void StoreLocked(Config& c, const Directive& d, const Parsed& v) {
  if (d.store) {
    d.store(v);
    return;
  }
  struct Visitor {
    Config& c;
    const Directive& d;
    const Parsed& v;
    void operator()(std::monostate) const {
      for (auto& [name, value] : c.passive_) {
        if (name == d.key()) {
          value = v.text;
          return;
        }
      }
      c.passive_.emplace_back(d.key(), v.text);
    }
    void operator()(std::atomic<bool> Config::*m) const { (c.*m).store(v.num != 0); }
    void operator()(std::atomic<int> Config::*m) const { (c.*m).store(static_cast<int>(v.num)); }
    void operator()(std::atomic<int64_t> Config::*m) const { (c.*m).store(v.num); }
    void operator()(std::string Config::*m) const { c.*m = v.text; }
    void operator()(std::vector<std::string> Config::*m) const { c.*m = v.list; }
  };
  std::visit(Visitor{c, d, v}, d.slot);
}

}  // namespace stash::server::config_detail
