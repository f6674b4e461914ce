// RequestParser throughput on pipelines of GET/SET commands, as a busy connection sees them.
#include <benchmark/benchmark.h>

#include <string>
#include <vector>

#include "protocol/resp_parser.h"

namespace stash::protocol {
namespace {

std::string Multibulk(const std::vector<std::string>& args) {
  std::string s = "*" + std::to_string(args.size()) + "\r\n";
  for (const std::string& a : args) s += "$" + std::to_string(a.size()) + "\r\n" + a + "\r\n";
  return s;
}

// A pipeline of `commands` requests alternating GET and SET with values of value_size bytes.
std::string GetSetPipeline(int commands, size_t value_size, bool inline_framing) {
  std::string input;
  const std::string value(value_size, 'v');
  for (int i = 0; i < commands; ++i) {
    std::string key = "key:" + std::to_string(i % 10000);
    if (inline_framing) {
      input += i % 2 ? "SET " + key + " " + value + "\r\n" : "GET " + key + "\r\n";
    } else {
      input += i % 2 ? Multibulk({"SET", key, value}) : Multibulk({"GET", key});
    }
  }
  return input;
}

// Parses the whole buffer, one command after the other, as the connection loop does.
void ParseAll(RequestParser& parser, const std::string& input, benchmark::State& state) {
  size_t offset = 0;
  while (offset < input.size()) {
    ParseStatus status = parser.Parse(input.data() + offset, input.size() - offset);
    if (status != ParseStatus::kCommand) {
      state.SkipWithError("unexpected parse status");
      return;
    }
    benchmark::DoNotOptimize(parser.args().data());
    offset += parser.consumed();
  }
}

void BM_ParseMultibulkPipeline(benchmark::State& state) {
  const int kCommands = 1000;
  std::string input = GetSetPipeline(kCommands, static_cast<size_t>(state.range(0)), false);
  RequestParser parser;
  for (auto _ : state) ParseAll(parser, input, state);
  state.SetItemsProcessed(state.iterations() * kCommands);
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(input.size()));
}
BENCHMARK(BM_ParseMultibulkPipeline)->Arg(16)->Arg(512)->Arg(16 * 1024);

void BM_ParseInlinePipeline(benchmark::State& state) {
  const int kCommands = 1000;
  std::string input = GetSetPipeline(kCommands, static_cast<size_t>(state.range(0)), true);
  RequestParser parser;
  for (auto _ : state) ParseAll(parser, input, state);
  state.SetItemsProcessed(state.iterations() * kCommands);
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(input.size()));
}
BENCHMARK(BM_ParseInlinePipeline)->Arg(16)->Arg(512);

// The same pipeline arriving in reads of state.range(0) bytes: commands cut by read boundaries
// are resumed, with the caller keeping the unconsumed tail at the front of its buffer.
void BM_ParseMultibulkInReads(benchmark::State& state) {
  const int kCommands = 1000;
  const size_t read_size = static_cast<size_t>(state.range(0));
  std::string input = GetSetPipeline(kCommands, 64, false);
  RequestParser parser;
  std::string buffer;
  buffer.reserve(input.size());
  for (auto _ : state) {
    buffer.clear();
    size_t fed = 0, start = 0;
    while (fed < input.size()) {
      size_t n = std::min(read_size, input.size() - fed);
      buffer.append(input, fed, n);
      fed += n;
      while (true) {
        ParseStatus status = parser.Parse(buffer.data() + start, buffer.size() - start);
        if (status != ParseStatus::kCommand) break;
        benchmark::DoNotOptimize(parser.args().data());
        start += parser.consumed();
      }
    }
  }
  state.SetItemsProcessed(state.iterations() * kCommands);
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(input.size()));
}
BENCHMARK(BM_ParseMultibulkInReads)->Arg(64)->Arg(1460)->Arg(16 * 1024);

}  // namespace
}  // namespace stash::protocol
