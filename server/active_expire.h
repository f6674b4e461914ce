// Active expiry: each worker deletes the expired keys of a fixed share of the (database, shard)
// pairs, found through the shards' expiry wheels (storage/expiry_wheel.h), so keys nobody
// reads again still leave memory on time.
//
// Every kTickMs a step runs on the worker's own thread. It takes the worker's shared ExecLock
// slot (so exclusive commands such as FLUSHALL exclude it, as they exclude commands) and one
// shard mutex at a time, and does at most kStepBudget units of work (one per key deleted or
// wheel record moved) before releasing them. If work remains, the next step is posted to the
// worker's io_context instead of waiting for the timer, so client I/O and commands queued on
// that worker run between steps: a million keys expiring at once are reclaimed in ~50 µs
// slices, never in one long stall.
#ifndef STASH_SERVER_ACTIVE_EXPIRE_H_
#define STASH_SERVER_ACTIVE_EXPIRE_H_

#include <asio.hpp>
#include <chrono>
#include <cstddef>
#include <vector>

#include "server/server_state.h"
#include "storage/shard.h"

namespace stash::server {

class ActiveExpire {
 public:
  // Not tied to `hz` (default 10, i.e. every 100 ms, as Redis's active expire cycle): a wheel
  // tick is 16 ms, and reclaiming within a fraction of a second of expiry needs a finer beat.
  // An idle step costs one uncontended lock per owned shard.
  static constexpr std::chrono::milliseconds kTickMs{10};
  // While none of the worker's shards has a TTL key (a wheel), a slower beat saves idle wakeups.
  static constexpr std::chrono::milliseconds kIdleTickMs{100};
  // Work units per step: at ~100-200 ns per deleted key, a step holds a shard for tens of µs.
  static constexpr size_t kStepBudget = 256;
  // After reclaiming this many keys, once kTrimQuietSteps steps in a row found nothing to expire
  // (the mass expiry is over; a single empty step happens between 16 ms wheel ticks), or 10 s
  // later, return free memory to the system.
  static constexpr size_t kTrimAfterKeys = 100000;
  static constexpr int kTrimQuietSteps = 3;

  ActiveExpire(ServerState& state, asio::io_context& io, int worker_id, int worker_count);

  void Start();
  // Stops scheduling; call on the worker's thread (or once it has stopped).
  void Stop();

 private:
  void ScheduleTick(std::chrono::milliseconds after);
  void Step();

  ServerState& state_;
  asio::io_context& io_;
  asio::steady_timer timer_;
  int worker_id_;
  std::vector<storage::Shard*> shards_;  // this worker's share
  size_t next_ = 0;                      // where the next step resumes (round robin)
  size_t expired_since_trim_ = 0;
  int quiet_steps_ = 0;
  std::chrono::steady_clock::time_point last_trim_ = std::chrono::steady_clock::now();
  bool stopped_ = false;
};

}  // namespace stash::server

#endif  // STASH_SERVER_ACTIVE_EXPIRE_H_
