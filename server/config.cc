// Config itself: defaults from the directive table, the typed accessors, and CONFIG GET/SET at
// run time (all-or-nothing SET with apply hooks). The table is in config_directives.cc, value
// parsing in config_values.cc, start-up loading in config_load.cc.
#include "server/config.h"

#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "server/config_directives.h"
#include "storage/glob.h"

namespace stash::server {

using config_detail::Directive;
using config_detail::Find;
using config_detail::FormatLocked;
using config_detail::kImmutable;
using config_detail::kProtected;
using config_detail::Parsed;
using config_detail::ParseValue;
using config_detail::StoreLocked;
using config_detail::Table;
using config_detail::ValueArgs;

Config::Config() {
  // The table's defaults are the source of truth; running them through the parser also checks
  // the table itself.
  std::lock_guard<std::mutex> lock(strings_mu_);
  for (const Directive& d : Table()) {
    if (d.primary != nullptr || d.store != nullptr) continue;
    Parsed v;
    std::string err;
    if (!ParseValue(d, ValueArgs(d, d.def), "", &v, &err)) {
      throw std::logic_error(std::string("bad default for ") + d.name + ": " + err);
    }
    StoreLocked(*this, d, v);
  }
}

namespace {

// A copy of a string directive's value, taken under the lock that CONFIG SET writes it under.
template <typename T>
T ReadLocked(const Config& c, T Config::*member) {
  std::lock_guard<std::mutex> lock(c.strings_mu_);
  return c.*member;
}

}  // namespace

std::vector<std::string> Config::bind() const { return ReadLocked(*this, &Config::bind_); }
std::string Config::requirepass() const { return ReadLocked(*this, &Config::requirepass_); }
std::string Config::loglevel() const { return ReadLocked(*this, &Config::loglevel_); }
std::string Config::logfile() const { return ReadLocked(*this, &Config::logfile_); }
std::string Config::maxmemory_policy() const {
  return ReadLocked(*this, &Config::maxmemory_policy_);
}

void Config::AddApplyHook(ApplyHook hook) { apply_hooks_.push_back(std::move(hook)); }

std::string Config::Set(const std::vector<std::pair<std::string_view, std::string_view>>& pairs) {
  std::lock_guard<std::mutex> set_lock(set_mu_);

  // Pass 1, as Redis: the first unknown, immutable, protected or repeated name wins, and an
  // unknown name is reported in preference to the others.
  std::vector<const Directive*> found(pairs.size(), nullptr);
  std::string unknown;
  std::string error_name, error_text;
  bool invalid = false;
  std::string protected_configs;
  {
    std::lock_guard<std::mutex> lock(strings_mu_);
    const Directive* epc = Find("enable-protected-configs");
    protected_configs = FormatLocked(*this, *epc);
  }
  for (size_t i = 0; i < pairs.size(); ++i) {
    const Directive* d = Find(pairs[i].first);
    if (d == nullptr) {
      if (!invalid) {
        unknown = std::string(pairs[i].first);
        invalid = true;
      }
      continue;
    }
    if (invalid) continue;
    // "local" would allow it from loopback connections only; the caller's address is not known
    // here, so only "yes" does.
    if ((d->flags & kImmutable) || ((d->flags & kProtected) && protected_configs != "yes")) {
      error_name = std::string(pairs[i].first);
      error_text =
          (d->flags & kImmutable) ? "can't set immutable config" : "can't set protected config";
      invalid = true;
      continue;
    }
    for (size_t j = 0; j < i; ++j) {
      if (found[j] == d) {
        error_name = std::string(pairs[i].first);
        error_text = "duplicate parameter";
        invalid = true;
        break;
      }
    }
    found[i] = d;
  }
  if (!unknown.empty()) {
    return "ERR Unknown option or number of arguments for CONFIG SET - '" + unknown + "'";
  }
  auto failed = [](const std::string& name, const std::string& why) {
    return "ERR CONFIG SET failed (possibly related to argument '" + name + "') - " + why;
  };
  if (invalid) return failed(error_name, error_text);

  // Pass 2: parse every value before storing any, so a bad one changes nothing. Aliases of one
  // directive may both appear (Redis allows it too); the later one wins.
  std::vector<std::string> old_values(pairs.size());
  {
    std::lock_guard<std::mutex> lock(strings_mu_);
    for (size_t i = 0; i < pairs.size(); ++i) old_values[i] = FormatLocked(*this, *found[i]);
  }
  std::vector<Parsed> parsed(pairs.size());
  for (size_t i = 0; i < pairs.size(); ++i) {
    const Directive& d = *found[i];
    std::string err;
    if (!ParseValue(d, ValueArgs(d, pairs[i].second), old_values[i], &parsed[i], &err)) {
      return failed(d.name, err);
    }
  }

  // Pass 3: store, then let the server act on what changed.
  std::vector<size_t> changed;
  {
    std::lock_guard<std::mutex> lock(strings_mu_);
    for (size_t i = 0; i < pairs.size(); ++i) {
      if (parsed[i].text != old_values[i]) changed.push_back(i);
      StoreLocked(*this, *found[i], parsed[i]);
    }
  }
  for (size_t i : changed) {
    for (const ApplyHook& hook : apply_hooks_) {
      std::string err = hook(found[i]->key());
      if (err.empty()) continue;
      // Put everything back and give the hooks a chance to undo what they did.
      {
        std::lock_guard<std::mutex> lock(strings_mu_);
        for (size_t k = pairs.size(); k-- > 0;) {
          Parsed old;
          std::string ignored;
          if (ParseValue(*found[k], ValueArgs(*found[k], old_values[k]), old_values[k], &old,
                         &ignored)) {
            StoreLocked(*this, *found[k], old);
          }
        }
      }
      for (size_t k : changed) {
        for (const ApplyHook& h : apply_hooks_) h(found[k]->key());
      }
      return failed(found[i]->name, err);
    }
  }
  return "";
}

std::vector<std::pair<std::string, std::string>> Config::Get(
    const std::vector<std::string_view>& patterns) const {
  std::vector<std::pair<std::string, std::string>> out;
  auto seen = [&out](std::string_view name) {
    for (const auto& [n, v] : out) {
      if (EqualsNoCase(n, name)) return true;
    }
    return false;
  };
  std::lock_guard<std::mutex> lock(strings_mu_);
  for (std::string_view pattern : patterns) {
    if (pattern.find_first_of("[*?") == std::string_view::npos) {
      // A plain name: Redis replies with the name as it was typed.
      if (seen(pattern)) continue;
      if (const Directive* d = Find(pattern)) {
        out.emplace_back(std::string(pattern), FormatLocked(*this, *d));
      }
      continue;
    }
    for (const Directive& d : Table()) {
      if (seen(d.name)) continue;
      if (storage::GlobMatch(pattern, d.name, /*nocase=*/true)) {
        out.emplace_back(d.name, FormatLocked(*this, d));
      }
    }
  }
  return out;
}

std::optional<std::string> Config::GetOne(std::string_view name) const {
  const Directive* d = Find(name);
  if (d == nullptr) return std::nullopt;
  std::lock_guard<std::mutex> lock(strings_mu_);
  return FormatLocked(*this, *d);
}

}  // namespace stash::server
