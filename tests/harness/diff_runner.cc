#include "diff_runner.h"

#include <poll.h>

#include <algorithm>
#include <cctype>
#include <fstream>
#include <sstream>

namespace stash::test {
namespace {

// @wait-expired polls this often, at most this many times (10 s): keys in scripts expire within
// milliseconds, the bound only stops a server that never expires keys from hanging the suite.
constexpr int kWaitExpiredPollMs = 5;
constexpr int kWaitExpiredPolls = 2000;
// Per-reply read timeout; a server that takes longer is considered hung.
constexpr std::chrono::milliseconds kReplyTimeout{5000};

bool IsHex(char c) { return std::isxdigit(static_cast<unsigned char>(c)) != 0; }

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  return std::tolower(static_cast<unsigned char>(c)) - 'a' + 10;
}

bool IsSpace(char c) {
  return c == ' ' || c == '\n' || c == '\r' || c == '\t' || c == '\v' || c == '\f';
}

void SortValue(RespValue* v) {
  for (RespValue& e : v->elems) SortValue(&e);
  if (v->is_null) return;
  if (v->type == '*' || v->type == '~') {
    std::sort(v->elems.begin(), v->elems.end(),
              [](const RespValue& a, const RespValue& b) { return a.Encode() < b.Encode(); });
  } else if (v->type == '%') {
    std::vector<std::pair<std::string, std::string>> pairs;
    for (size_t i = 0; i + 1 < v->elems.size(); i += 2) {
      pairs.emplace_back(v->elems[i].Encode(), v->elems[i + 1].Encode());
    }
    std::sort(pairs.begin(), pairs.end());
    // Re-parse the encodings so Encode() on the parent sees the sorted order.
    std::vector<RespValue> sorted;
    for (auto& [k, val] : pairs) {
      sorted.push_back(*ParseReply(k));
      sorted.push_back(*ParseReply(val));
    }
    v->elems = std::move(sorted);
  }
}

const char* ModeNote(CompareMode mode) {
  switch (mode) {
    case CompareMode::kExact:
      return "exact comparison";
    case CompareMode::kSorted:
      return "compared after sorting arrays (~)";
    case CompareMode::kTypeOnly:
      return "compared reply type only (?)";
    case CompareMode::kNone:
      return "not compared (!)";
  }
  return "";
}

// Sends argv and reads one reply. On a connection problem returns a "<client error: ...>" text
// and, if the server process died, says so (with its log) so the report explains the cause.
std::string Exchange(DiffPeer& peer, const std::vector<std::string>& argv, bool* broken) {
  std::string reply = peer.client.Call(argv);
  if (reply.rfind("<client error", 0) == 0) {
    *broken = true;
    if (!peer.server->IsRunning()) {
      reply += " [" + peer.server->name() + " " + peer.server->ExitDescription() + "; log tail:\n" +
               peer.server->LogTail(2048) + "]";
    }
  }
  return reply;
}

// Polls PTTL until -2. Returns an empty string on success, else the last reply seen.
std::string WaitExpired(DiffPeer& peer, const std::string& key) {
  std::string last;
  for (int i = 0; i < kWaitExpiredPolls; ++i) {
    last = peer.client.Call({"PTTL", key});
    if (last == ":-2\r\n") return "";
    if (last.rfind(":", 0) != 0) return last;  // Error or broken connection: no point waiting.
    ::poll(nullptr, 0, kWaitExpiredPollMs);
  }
  return last + " (still not expired after " + std::to_string(kWaitExpiredPolls) + " polls)";
}

// Reconnects after a lost connection so later lines are still checked. Returns false if the
// server is gone, in which case the rest of the script cannot run.
bool Recover(DiffPeer& peer) {
  if (!peer.server->IsRunning()) return false;
  peer.client.Close();
  peer.client.set_timeout(kReplyTimeout);
  return peer.client.Connect(peer.server->port());
}

}  // namespace

bool SplitArgs(std::string_view line, std::vector<std::string>* out, std::string* error) {
  out->clear();
  size_t i = 0;
  const size_t n = line.size();
  auto at = [&](size_t k) { return k < n ? line[k] : '\0'; };
  for (;;) {
    while (i < n && IsSpace(line[i])) ++i;
    if (i >= n) return true;
    bool inq = false;   // Inside "double quotes".
    bool insq = false;  // Inside 'single quotes'.
    bool done = false;
    std::string current;
    while (!done) {
      if (inq) {
        if (i >= n) {
          *error = "unbalanced double quotes";
          return false;
        }
        if (line[i] == '\\' && at(i + 1) == 'x' && IsHex(at(i + 2)) && IsHex(at(i + 3))) {
          current += static_cast<char>(HexValue(line[i + 2]) * 16 + HexValue(line[i + 3]));
          i += 3;
        } else if (line[i] == '\\' && i + 1 < n) {
          ++i;
          switch (line[i]) {
            case 'n':
              current += '\n';
              break;
            case 'r':
              current += '\r';
              break;
            case 't':
              current += '\t';
              break;
            case 'b':
              current += '\b';
              break;
            case 'a':
              current += '\a';
              break;
            default:
              current += line[i];
              break;
          }
        } else if (line[i] == '"') {
          // Like redis-cli: a closing quote must end the argument.
          if (i + 1 < n && !IsSpace(line[i + 1])) {
            *error = "closing quote must be followed by a space";
            return false;
          }
          done = true;
        } else {
          current += line[i];
        }
      } else if (insq) {
        if (i >= n) {
          *error = "unbalanced single quotes";
          return false;
        }
        if (line[i] == '\\' && at(i + 1) == '\'') {
          current += '\'';
          ++i;
        } else if (line[i] == '\'') {
          if (i + 1 < n && !IsSpace(line[i + 1])) {
            *error = "closing quote must be followed by a space";
            return false;
          }
          done = true;
        } else {
          current += line[i];
        }
      } else {
        if (i >= n || IsSpace(line[i])) {
          done = true;
        } else if (line[i] == '"') {
          inq = true;
        } else if (line[i] == '\'') {
          insq = true;
        } else {
          current += line[i];
        }
      }
      if (i < n) ++i;
    }
    out->push_back(std::move(current));
  }
}

bool ParseScript(std::string_view content, std::vector<ScriptStep>* steps, std::string* error) {
  steps->clear();
  int line_no = 0;
  size_t pos = 0;
  while (pos <= content.size()) {
    size_t end = content.find('\n', pos);
    if (end == std::string_view::npos) end = content.size();
    std::string_view line = content.substr(pos, end - pos);
    pos = end + 1;
    ++line_no;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    size_t first = 0;
    while (first < line.size() && IsSpace(line[first])) ++first;
    line.remove_prefix(first);
    if (line.empty() || line[0] == '#') continue;

    ScriptStep step;
    step.line = line_no;
    step.text = std::string(line);
    auto fail = [&](const std::string& why) {
      *error = "line " + std::to_string(line_no) + ": " + why + ": " + std::string(line);
      return false;
    };

    if (line[0] == '@') {
      std::vector<std::string> words;
      std::string why;
      if (!SplitArgs(line, &words, &why)) return fail(why);
      if (words[0] == "@resp3" || words[0] == "@resp2") {
        if (words.size() != 1) return fail("takes no arguments");
        step.kind = ScriptStep::Kind::kHello;
        step.argv = {"HELLO", words[0] == "@resp3" ? "3" : "2"};
      } else if (words[0] == "@wait-expired") {
        if (words.size() != 2) return fail("expects exactly one key");
        step.kind = ScriptStep::Kind::kWaitExpired;
        step.argv = {words[1]};
      } else if (words[0] == "@more") {
        if (words.size() != 2 || words[1].empty() ||
            words[1].find_first_not_of("0123456789") != std::string::npos) {
          return fail("expects a number of replies");
        }
        step.kind = ScriptStep::Kind::kMore;
        step.argv = {words[1]};
      } else if (words[0] == "@sleep-ms") {
        return fail("sleeping is not allowed; use @wait-expired KEY to wait for a condition");
      } else {
        return fail("unknown directive");
      }
      steps->push_back(std::move(step));
      continue;
    }

    if (line.size() >= 2 && line[1] == ' ' &&
        (line[0] == '~' || line[0] == '?' || line[0] == '!')) {
      step.mode = line[0] == '~'   ? CompareMode::kSorted
                  : line[0] == '?' ? CompareMode::kTypeOnly
                                   : CompareMode::kNone;
      line.remove_prefix(2);
    }
    std::string why;
    if (!SplitArgs(line, &step.argv, &why)) return fail(why);
    if (step.argv.empty()) return fail("marker without a command");
    steps->push_back(std::move(step));
  }
  return true;
}

std::string SortedReply(std::string_view raw) {
  std::optional<RespValue> v = ParseReply(raw);
  if (!v) return std::string(raw);
  SortValue(&*v);
  return v->Encode();
}

std::string MaskHelloReply(std::string_view raw) {
  std::optional<RespValue> v = ParseReply(raw);
  if (!v || (v->type != '*' && v->type != '%')) return std::string(raw);
  for (size_t i = 0; i + 1 < v->elems.size(); i += 2) {
    const std::string& key = v->elems[i].str;
    if (key == "server" || key == "version" || key == "id") {
      v->elems[i + 1] = *ParseReply("+<masked>\r\n");
    }
  }
  return v->Encode();
}

std::string Mismatch::ToString() const {
  std::string out = location + ": " + command + "\n";
  out += "    redis: \"" + Escape(redis) + "\"\n";
  out += "    stash: \"" + Escape(stash) + "\"\n";
  if (!note.empty()) out += "    (" + note + ")\n";
  return out;
}

std::string DiffResult::Report() const {
  std::string out;
  if (!fatal.empty()) out += "FATAL: " + fatal + "\n";
  out += std::to_string(mismatches.size()) + " mismatching line(s) in " + std::to_string(steps) +
         " step(s)\n";
  for (const Mismatch& m : mismatches) out += m.ToString();
  return out;
}

DiffResult RunSteps(const std::string& label, const std::vector<ScriptStep>& steps, DiffPeer& redis,
                    DiffPeer& stash) {
  DiffResult result;
  for (const ScriptStep& step : steps) {
    ++result.steps;
    Mismatch m;
    m.location = label + ":" + std::to_string(step.line);
    m.command = step.text;

    if (step.kind == ScriptStep::Kind::kWaitExpired) {
      std::string r = WaitExpired(redis, step.argv[0]);
      std::string s = WaitExpired(stash, step.argv[0]);
      if (!r.empty() || !s.empty()) {
        m.redis = r.empty() ? ":-2\r\n" : r;
        m.stash = s.empty() ? ":-2\r\n" : s;
        m.note = "waiting for PTTL to return -2";
        result.mismatches.push_back(std::move(m));
      }
      continue;
    }

    if (step.kind == ScriptStep::Kind::kMore) {
      int n = std::stoi(step.argv[0]);
      for (int i = 0; i < n; ++i) {
        std::optional<std::string> r = redis.client.ReadReply();
        std::optional<std::string> s = stash.client.ReadReply();
        m.redis = r ? *r : "<client error: " + redis.client.last_error() + ">";
        m.stash = s ? *s : "<client error: " + stash.client.last_error() + ">";
        if (!r || !s || *r != *s) {
          m.note = "extra reply " + std::to_string(i + 1) + " of " + step.argv[0];
          result.mismatches.push_back(m);
          break;
        }
      }
      continue;
    }

    bool redis_broken = false;
    bool stash_broken = false;
    m.redis = Exchange(redis, step.argv, &redis_broken);
    m.stash = Exchange(stash, step.argv, &stash_broken);

    bool same = true;
    CompareMode mode = step.mode;
    if (redis_broken || stash_broken) {
      same = false;
    } else if (step.kind == ScriptStep::Kind::kHello) {
      same = MaskHelloReply(m.redis) == MaskHelloReply(m.stash);
      m.note = "HELLO compared with server/version/id masked";
    } else {
      switch (mode) {
        case CompareMode::kExact:
          same = m.redis == m.stash;
          break;
        case CompareMode::kSorted:
          same = SortedReply(m.redis) == SortedReply(m.stash);
          break;
        case CompareMode::kTypeOnly:
          same = !m.redis.empty() && !m.stash.empty() && m.redis[0] == m.stash[0];
          break;
        case CompareMode::kNone:
          break;
      }
      if (!same) m.note = ModeNote(mode);
    }
    if (!same) {
      if (redis_broken || stash_broken) m.note = "connection problem";
      result.mismatches.push_back(m);
    }
    if (redis_broken && !Recover(redis)) {
      result.fatal = std::string("redis-server is gone after ") + m.location + ": " + m.redis;
      return result;
    }
    if (stash_broken && !Recover(stash)) {
      result.fatal = std::string("stash-server is gone after ") + m.location + ": " + m.stash;
      return result;
    }
  }
  return result;
}

DiffResult RunScriptFile(const std::string& path, const std::string& label) {
  DiffResult result;
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    result.fatal = "cannot read script " + path;
    return result;
  }
  std::stringstream content;
  content << in.rdbuf();
  std::vector<ScriptStep> steps;
  std::string error;
  if (!ParseScript(content.str(), &steps, &error)) {
    result.fatal = label + ": " + error;
    return result;
  }

  ServerProcess redis_server(ServerKind::kRedis);
  ServerProcess stash_server(ServerKind::kStash);
  if (!redis_server.Start(&error) || !stash_server.Start(&error)) {
    result.fatal = error;
    return result;
  }
  DiffPeer redis{&redis_server, RespClient()};
  DiffPeer stash{&stash_server, RespClient()};
  for (DiffPeer* p : {&redis, &stash}) {
    p->client.set_timeout(kReplyTimeout);
    if (!p->client.Connect(p->server->port())) {
      result.fatal = p->server->name() + ": " + p->client.last_error();
      return result;
    }
    // The servers are fresh, but FLUSHALL makes the starting state explicit and checks the
    // command works before anything depends on it.
    std::string reply = p->client.Call({"FLUSHALL"});
    if (reply != "+OK\r\n") {
      result.fatal = p->server->name() + " FLUSHALL replied \"" + Escape(reply) + "\"";
      return result;
    }
  }
  result = RunSteps(label, steps, redis, stash);
  redis_server.Terminate();
  stash_server.Terminate();
  return result;
}

}  // namespace stash::test
