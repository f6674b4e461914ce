// What an access to a key records in its entry's 24 meta bits, by eviction policy family:
//
//  - LRU policies (and every non-LFU policy, as in Redis): the LRU clock (entry.h, LruClock).
//  - LFU policies: Redis's layout, 16 bits of "last decrement time" in minutes (high) and an
//    8-bit logarithmic access counter (low). A new key starts at kLfuInitVal so it is not evicted
//    before it had a chance to be used again; each access first decays the counter by one per
//    lfu-decay-time minutes elapsed, then increments it with probability
//    1 / ((counter - kLfuInitVal) * lfu-log-factor + 1).
//
// Every place that "touches" a key the way Redis's lookupKey does (without LOOKUP_NOTOUCH) calls
// StampAccess; new entries get InitialMeta when the shard creates them (Redis stamps in
// createObject). The settings are process-wide, as Redis's server.maxmemory_policy is: the
// server's configuration pushes them here.
#ifndef STASH_STORAGE_ACCESS_POLICY_H_
#define STASH_STORAGE_ACCESS_POLICY_H_

#include <atomic>
#include <cstdint>

#include "storage/entry.h"

namespace stash::storage {

inline constexpr uint32_t kLfuInitVal = 5;

struct AccessSettings {
  std::atomic<bool> lfu{false};
  std::atomic<int> lfu_log_factor{10};
  std::atomic<int> lfu_decay_time{1};
};
AccessSettings& Access();

// --- Redis's LFU arithmetic (evict.c), pure functions of their inputs. ---
// Minutes of unix time, modulo 2^16 (LFUGetTimeInMinutes).
inline uint32_t LfuTimeInMinutes(int64_t now_ms) {
  return static_cast<uint32_t>(now_ms / 1000 / 60) & 0xffff;
}
// Minutes since `ldt`, across one wrap of the 16-bit clock (LFUTimeElapsed).
inline uint32_t LfuTimeElapsed(uint32_t ldt, int64_t now_ms) {
  uint32_t now = LfuTimeInMinutes(now_ms);
  return now >= ldt ? now - ldt : 65535 - ldt + now;
}
// The counter after decay, without storing it (LFUDecrAndReturn).
inline uint32_t LfuDecrAndReturn(uint32_t meta, int64_t now_ms, int decay_time) {
  uint32_t ldt = meta >> 8;
  uint32_t counter = meta & 0xff;
  uint32_t periods = decay_time > 0 ? LfuTimeElapsed(ldt, now_ms) / decay_time : 0;
  if (periods > 0) counter = periods > counter ? 0 : counter - periods;
  return counter;
}
// One logarithmic increment (LFULogIncr); r is uniform in [0, 1].
inline uint32_t LfuLogIncr(uint32_t counter, int log_factor, double r) {
  if (counter >= 255) return 255;
  double base = static_cast<double>(counter) - kLfuInitVal;
  if (base < 0) base = 0;
  double p = 1.0 / (base * log_factor + 1);
  return r < p ? counter + 1 : counter;
}
// The meta24 value of an access at now_ms to an entry whose meta was `meta` (updateLFU).
inline uint32_t LfuTouch(uint32_t meta, int64_t now_ms, int log_factor, int decay_time,
                         double r) {
  uint32_t counter = LfuDecrAndReturn(meta, now_ms, decay_time);
  counter = LfuLogIncr(counter, log_factor, r);
  return (LfuTimeInMinutes(now_ms) << 8) | counter;
}
inline uint32_t LfuInitialMeta(int64_t now_ms) {
  return (LfuTimeInMinutes(now_ms) << 8) | kLfuInitVal;
}

// A uniform number in [0, 1] from a per-thread generator (the LFU increment's coin).
double AccessRandom();

// Records an access to e at now_ms under the current policy family.
inline void StampAccess(Entry e, int64_t now_ms) {
  AccessSettings& s = Access();
  if (s.lfu.load(std::memory_order_relaxed)) {
    e.set_meta24(LfuTouch(e.meta24(), now_ms, s.lfu_log_factor.load(std::memory_order_relaxed),
                          s.lfu_decay_time.load(std::memory_order_relaxed), AccessRandom()));
  } else {
    e.set_meta24(LruClock(now_ms));
  }
}
// meta24 of an entry created at now_ms.
inline uint32_t InitialMeta(int64_t now_ms) {
  return Access().lfu.load(std::memory_order_relaxed) ? LfuInitialMeta(now_ms)
                                                      : LruClock(now_ms);
}

// Wall-clock milliseconds for stamps made inside the storage engine (new entries), where no
// command's now_ms is at hand. Tests may pin it with SetAccessClockForTesting (-1 unpins).
int64_t AccessClockMs();
void SetAccessClockForTesting(int64_t ms);

}  // namespace stash::storage

#endif  // STASH_STORAGE_ACCESS_POLICY_H_
