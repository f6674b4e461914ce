// Start-up loading: redis.conf-style files (with `include`) and `--directive value` flags from
// the command line, applied one directive at a time, failing with the file, line and reason.
#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "protocol/resp_parser.h"
#include "server/config.h"
#include "server/config_directives.h"

namespace stash::server {
namespace {

using config_detail::Directive;
using config_detail::Find;
using config_detail::FormatLocked;
using config_detail::kMultiArg;
using config_detail::Lower;
using config_detail::Parsed;
using config_detail::ParseValue;
using config_detail::StoreLocked;

// Splits a configuration line into words as Redis's sdssplitargs does (quotes, escapes).
// False on unbalanced quotes.
bool SplitLine(std::string_view line, std::vector<std::string>* words) {
  std::string storage;
  std::vector<std::pair<size_t, size_t>> spans;
  if (!protocol::SplitInlineArgs(line, &storage, &spans)) return false;
  words->clear();
  for (auto [off, len] : spans) words->emplace_back(storage.substr(off, len));
  return true;
}

// Rebuilds a directive line for error messages, quoting values the way the file would.
std::string LineText(std::string_view name, const std::vector<std::string>& values) {
  std::string line(name);
  for (const std::string& v : values) {
    line += ' ';
    bool plain = !v.empty() && v.find_first_of(" \t\r\n\"'\\") == std::string::npos;
    if (plain) {
      line += v;
    } else {
      line += '"';
      for (char c : v) {
        if (c == '"' || c == '\\') line += '\\';
        line += c;
      }
      line += '"';
    }
  }
  return line;
}

[[noreturn]] void Fail(const std::string& where, const std::string& line, const std::string& why) {
  throw ConfigError(where + ": '" + line + "': " + why);
}

constexpr int kMaxIncludeDepth = 16;

// Applies one directive at start-up; `line` is the text quoted in errors.
void ApplyLine(Config& c, const std::string& name, const std::vector<std::string>& values,
               const std::string& where, const std::string& line) {
  if (name == "include") {
    if (values.size() != 1) Fail(where, line, "Bad directive or wrong number of arguments");
    if (c.include_depth_ >= kMaxIncludeDepth) {
      Fail(where, line, "include nesting too deep (does a file include itself?)");
    }
    std::ifstream probe(values[0]);
    if (!probe) {
      Fail(where, line, "can't open config file '" + values[0] + "': " + std::strerror(errno));
    }
    ++c.include_depth_;
    try {
      c.LoadFile(values[0]);
    } catch (...) {
      --c.include_depth_;
      throw;
    }
    --c.include_depth_;
    return;
  }

  const Directive* d = Find(name);
  if (d == nullptr) Fail(where, line, "Bad directive or wrong number of arguments");

  std::vector<std::string> args = values;
  if (d->flags & kMultiArg) {
    // One non-empty value holding several ("--bind '127.0.0.1 ::1'") is split as a config line
    // would be; an empty one ("save ''") stays a single empty value.
    if (values.size() == 1 && !values[0].empty() && !SplitLine(values[0], &args)) {
      Fail(where, line, "Unbalanced quotes in configuration line");
    }
  } else if (values.size() != 1) {
    Fail(where, line, "wrong number of arguments");
  }

  std::string current;
  {
    std::lock_guard<std::mutex> lock(c.strings_mu_);
    current = FormatLocked(c, *d);
  }
  Parsed v;
  std::string err;
  if (!ParseValue(*d, args, current, &v, &err)) Fail(where, line, err);

  if (std::strcmp(d->key(), "save") == 0) {
    // In files and on the command line save points accumulate: the first `save` replaces the
    // defaults, later ones append, and `save ""` clears what came before.
    if (c.save_loaded_ && !v.text.empty() && !current.empty()) v.text = current + " " + v.text;
    c.save_loaded_ = true;
  }
  std::lock_guard<std::mutex> lock(c.strings_mu_);
  StoreLocked(c, *d, v);
}

}  // namespace

void Config::LoadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    throw ConfigError("can't open config file '" + path + "': " + std::strerror(errno));
  }
  std::ostringstream text;
  text << in.rdbuf();
  LoadText(text.str(), path);
}

void Config::LoadText(std::string_view text, const std::string& origin) {
  int lineno = 0;
  size_t pos = 0;
  while (pos <= text.size()) {
    size_t nl = text.find('\n', pos);
    if (nl == std::string_view::npos) nl = text.size();
    std::string_view line = text.substr(pos, nl - pos);
    pos = nl + 1;
    ++lineno;
    // Redis trims " \t\r\n" and skips blank lines and lines starting with '#'.
    size_t b = line.find_first_not_of(" \t\r\n");
    if (b == std::string_view::npos) continue;
    size_t e = line.find_last_not_of(" \t\r\n");
    line = line.substr(b, e - b + 1);
    if (line[0] == '#') continue;

    std::string where = origin + ":" + std::to_string(lineno);
    std::vector<std::string> words;
    if (!SplitLine(line, &words)) {
      Fail(where, std::string(line), "Unbalanced quotes in configuration line");
    }
    if (words.empty()) continue;
    std::string name = Lower(words[0]);
    words.erase(words.begin());
    ApplyLine(*this, name, words, where, std::string(line));
  }
}

void Config::ApplyAtStartup(std::string_view name, const std::vector<std::string>& values,
                            const std::string& where) {
  ApplyLine(*this, Lower(name), values, where, LineText(Lower(name), values));
}

}  // namespace stash::server
