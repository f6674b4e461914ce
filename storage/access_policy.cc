#include "storage/access_policy.h"

#include <time.h>

namespace stash::storage {

AccessSettings& Access() {
  static AccessSettings settings;
  return settings;
}

namespace {
std::atomic<int64_t> g_pinned_clock{-1};
}  // namespace

double AccessRandom() {
  // xorshift64*: fast, per thread, good enough for a coin flip.
  thread_local uint64_t state = 0;
  if (state == 0) {
    state = reinterpret_cast<uintptr_t>(&state) ^ 0x9e3779b97f4a7c15ULL;
    state ^= static_cast<uint64_t>(AccessClockMs()) << 20;
    if (state == 0) state = 1;
  }
  state ^= state >> 12;
  state ^= state << 25;
  state ^= state >> 27;
  uint64_t r = state * 0x2545f4914f6cdd1dULL;
  return static_cast<double>(r >> 11) / static_cast<double>(1ULL << 53);
}

int64_t AccessClockMs() {
  int64_t pinned = g_pinned_clock.load(std::memory_order_relaxed);
  if (pinned >= 0) return pinned;
  // The coarse clock is a memory read (vDSO), a few ms granular: finer than the LRU clock.
  timespec ts;
  clock_gettime(CLOCK_REALTIME_COARSE, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1000 + ts.tv_nsec / 1000000;
}

void SetAccessClockForTesting(int64_t ms) { g_pinned_clock.store(ms); }

}  // namespace stash::storage
