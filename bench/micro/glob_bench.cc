// GlobMatch on the patterns KEYS/SCAN MATCH typically get, over realistic key names.
#include <benchmark/benchmark.h>

#include <string>
#include <vector>

#include "storage/glob.h"

namespace stash::storage {
namespace {

const std::vector<std::string>& Keys() {
  static const std::vector<std::string>* keys = [] {
    auto* v = new std::vector<std::string>;
    for (int i = 0; i < 1000; ++i) {
      switch (i % 4) {
        case 0: v->push_back("user:" + std::to_string(i * 7919) + ":profile"); break;
        case 1: v->push_back("session:" + std::to_string(i) + ":a8f3e2c1d9b7"); break;
        case 2: v->push_back("cache:page:/articles/" + std::to_string(i) + "/comments"); break;
        default: v->push_back("queue:jobs:" + std::to_string(i % 10)); break;
      }
    }
    return v;
  }();
  return *keys;
}

const char* const kPatterns[] = {
    "user:*",                  // prefix
    "*:profile",               // suffix
    "*:page:*comments",        // two stars
    "session:1?3:*",           // '?'
    "user:[0-4]*",             // class
    "queue:jobs:[^13579]",     // negated class
    "*a*b*c*d*e*",             // star-heavy, forces backtracking
    "no-such-prefix:*",        // fails on the first byte
};

void BM_Glob(benchmark::State& state) {
  const std::string pattern = kPatterns[state.range(0)];
  state.SetLabel(pattern);
  const auto& keys = Keys();
  size_t matches = 0;
  for (auto _ : state) {
    for (const std::string& key : keys) matches += GlobMatch(pattern, key);
  }
  benchmark::DoNotOptimize(matches);
  state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(keys.size()));
}
BENCHMARK(BM_Glob)->DenseRange(0, sizeof(kPatterns) / sizeof(kPatterns[0]) - 1);

void BM_GlobNocase(benchmark::State& state) {
  // CONFIG GET matches case-insensitively against parameter names.
  const std::vector<std::string> names = {"maxmemory", "maxmemory-policy", "appendonly",
                                          "save", "hz", "timeout", "databases", "port"};
  size_t matches = 0;
  for (auto _ : state) {
    for (const std::string& name : names) matches += GlobMatch("MAX*", name, true);
  }
  benchmark::DoNotOptimize(matches);
  state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(names.size()));
}
BENCHMARK(BM_GlobNocase);

}  // namespace
}  // namespace stash::storage
