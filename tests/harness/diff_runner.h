// Differential runner: replays a command script against redis-server and stash-server and
// reports every line whose replies differ.
//
// Script format (tests/diff/*.txt), one step per line:
//   - Commands are tokenized like redis-cli: "double quotes" with \n \r \t \b \a \\ \" \xHH
//     escapes, 'single quotes' with only \' as escape, whitespace between arguments.
//   - Blank lines and lines whose first non-blank character is '#' are ignored.
//   - Prefix markers change how the two replies are compared:
//       "~ CMD"  compare after sorting the elements of every array/set (recursively; map entries
//                are sorted by key), for commands whose order is unspecified (KEYS, SMEMBERS).
//       "? CMD"  only the reply type byte must match (values depend on time, ids, versions).
//       "! CMD"  send to both, do not compare (setup, or cursor-dependent replies like SCAN).
//   - Directives:
//       "@resp3" / "@resp2"    HELLO 3 / HELLO 2 on both. Compared, except the values of the
//                              server, version and id fields, which legitimately differ.
//       "@wait-expired KEY"    polls PTTL KEY on each server (5 ms apart, bounded) until it
//                              returns -2. This replaces sleeping: scripts wait for a condition.
//       "@more N"              reads N more replies on each connection, each compared exactly:
//                              what one command sends beyond its first reply (SUBSCRIBE a b
//                              confirms each channel; RESP3 push messages, invalidations).
//     There is deliberately no sleep directive.

#ifndef STASH_TESTS_HARNESS_DIFF_RUNNER_H_
#define STASH_TESTS_HARNESS_DIFF_RUNNER_H_

#include <string>
#include <string_view>
#include <vector>

#include "resp_client.h"
#include "server_process.h"

namespace stash::test {

enum class CompareMode { kExact, kSorted, kTypeOnly, kNone };

struct ScriptStep {
  enum class Kind { kCommand, kHello, kWaitExpired, kMore };
  Kind kind = Kind::kCommand;
  CompareMode mode = CompareMode::kExact;
  int line = 0;
  std::string text;               // The line as written, for reports.
  std::vector<std::string> argv;  // Command (kCommand, kHello), {KEY} (kWaitExpired), {N} (kMore).
};

// Splits a line into arguments exactly like redis-cli (sdssplitargs). Returns false with *error
// on unbalanced quotes or a closing quote not followed by a space.
bool SplitArgs(std::string_view line, std::vector<std::string>* out, std::string* error);

// Parses a whole script. On failure *error names the offending line.
bool ParseScript(std::string_view content, std::vector<ScriptStep>* steps, std::string* error);

// Canonical form of a reply for "~" comparisons: arrays and sets sorted recursively, maps sorted
// by key. Returns the input unchanged if it is not a single well-formed reply.
std::string SortedReply(std::string_view raw);

// HELLO reply with the server, version and id values replaced by a placeholder.
std::string MaskHelloReply(std::string_view raw);

struct Mismatch {
  std::string location;  // "tests/diff/strings.txt:12"
  std::string command;   // The script line.
  std::string redis;     // Raw reply (or a <client error: ...> description).
  std::string stash;
  std::string note;  // How it was compared / what went wrong.

  std::string ToString() const;
};

struct DiffResult {
  std::string fatal;  // Set when the script could not run to the end (server died, bad script).
  int steps = 0;      // Steps executed.
  std::vector<Mismatch> mismatches;

  bool ok() const { return fatal.empty() && mismatches.empty(); }
  std::string Report() const;  // Human-readable list of all problems.
};

// One side of the comparison: a running server and a connection to it.
struct DiffPeer {
  ServerProcess* server;
  RespClient client;
};

// Runs already-parsed steps. `label` prefixes locations (usually the script path).
DiffResult RunSteps(const std::string& label, const std::vector<ScriptStep>& steps, DiffPeer& redis,
                    DiffPeer& stash);

// Starts a fresh redis-server and stash-server, sends FLUSHALL to both and runs the script file.
// `label` is used in locations instead of the absolute path.
DiffResult RunScriptFile(const std::string& path, const std::string& label);

}  // namespace stash::test

#endif  // STASH_TESTS_HARNESS_DIFF_RUNNER_H_
