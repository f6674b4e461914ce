#include "server/monitor.h"

#include <algorithm>
#include <cctype>
#include <chrono>

#include "server/commands/option.h"
#include "server/pubsub.h"

namespace stash::server {
namespace {

// Redis's sdscatrepr: a double-quoted string with C-like escapes.
void AppendRepr(std::string* out, std::string_view s) {
  static const char kHex[] = "0123456789abcdef";
  out->push_back('"');
  for (char c : s) {
    switch (c) {
      case '\\': out->append("\\\\"); break;
      case '"': out->append("\\\""); break;
      case '\n': out->append("\\n"); break;
      case '\r': out->append("\\r"); break;
      case '\t': out->append("\\t"); break;
      case '\a': out->append("\\a"); break;
      case '\b': out->append("\\b"); break;
      default:
        if (std::isprint(static_cast<unsigned char>(c))) {
          out->push_back(c);
        } else {
          unsigned char u = static_cast<unsigned char>(c);
          out->append("\\x");
          out->push_back(kHex[u >> 4]);
          out->push_back(kHex[u & 15]);
        }
    }
  }
  out->push_back('"');
}

// Whether argument i of args is a secret that Redis redacts from MONITOR (its commands call
// redactClientCommandArgument once they have parsed their arguments).
bool Redacted(const std::vector<std::string_view>& args, size_t i) {
  if (EqualsNoCase(args[0], "auth")) return args.size() <= 3 && i >= 1;  // else a syntax error
  if (!EqualsNoCase(args[0], "hello")) return false;
  // HELLO [protover [AUTH username password] [SETNAME clientname]]: a bad protover is refused
  // before the options are read, and their parsing stops at the first one it does not know.
  if (args.size() < 2 || (args[1] != "2" && args[1] != "3")) return false;
  for (size_t j = 2; j < args.size(); ++j) {
    if (EqualsNoCase(args[j], "auth") && j + 2 < args.size()) {
      if (i == j + 1 || i == j + 2) return true;
      j += 2;
    } else if (EqualsNoCase(args[j], "setname") && j + 1 < args.size()) {
      ++j;
    } else {
      break;
    }
  }
  return false;
}

}  // namespace

std::string MonitorLine(int64_t unix_us, int db, std::string_view origin,
                        const std::vector<std::string_view>& args) {
  std::string line = "+";
  std::string usec = std::to_string(unix_us % 1000000);
  line += std::to_string(unix_us / 1000000);
  line += '.';
  line.append(6 - usec.size(), '0');
  line += usec;
  line += " [";
  line += std::to_string(db);
  line += ' ';
  line += origin;
  line += ']';
  for (size_t i = 0; i < args.size(); ++i) {
    line += ' ';
    AppendRepr(&line, Redacted(args, i) ? std::string_view("(redacted)") : args[i]);
  }
  line += "\r\n";
  return line;
}

void Monitors::Add(const std::shared_ptr<ClientInfo>& client) {
  std::lock_guard<std::mutex> lock(mu_);
  clients_.push_back(client);
  count_.store(static_cast<int>(clients_.size()), std::memory_order_relaxed);
}

void Monitors::Remove(uint64_t client_id) {
  std::lock_guard<std::mutex> lock(mu_);
  clients_.erase(std::remove_if(clients_.begin(), clients_.end(),
                                [&](const std::shared_ptr<ClientInfo>& c) {
                                  return c->id == client_id;
                                }),
                 clients_.end());
  count_.store(static_cast<int>(clients_.size()), std::memory_order_relaxed);
}

void Monitors::Feed(int db, std::string_view origin, const std::vector<std::string_view>& args) {
  if (args.empty()) return;
  int64_t now_us = std::chrono::duration_cast<std::chrono::microseconds>(
                       std::chrono::system_clock::now().time_since_epoch())
                       .count();
  auto line = std::make_shared<const std::string>(MonitorLine(now_us, db, origin, args));
  std::lock_guard<std::mutex> lock(mu_);
  // A monitor's own command: its line follows its reply, as in Redis. Others get theirs with
  // the round's other pushes (one post per client per round).
  for (const auto& c : clients_) PushToClientAfterReply(*c, line);
}

}  // namespace stash::server
