#include "server/active_expire.h"

#include <malloc.h>

#include <algorithm>
#include <atomic>
#include <mutex>
#include <thread>

#include "storage/chunk_pool.h"

namespace stash::server {
namespace {

// Trims asked for while one runs are folded into one more round of the running thread, so a
// worker finishing its share of a mass expiry after another worker's trim began still gets its
// memory returned.
std::atomic<int> trim_requests{0};
std::atomic<bool> trim_heap_requested{false};

// Returns the slab chunks of emptied shards (chunk_pool.h), then the free pages inside glibc's
// arenas (malloc_trim), to the system. Each returned range costs a system call and a TLB
// shootdown: on a large heap that takes tens of ms, so it runs on a thread of its own, never on
// a worker (clients of that worker would wait for it).
// With trim_heap false only the slab chunks go (a FLUSHDB's: cheap, a few calls).
void TrimInBackground(bool trim_heap) {
  if (trim_heap) trim_heap_requested.store(true);
  if (trim_requests.fetch_add(1) > 0) return;  // the running thread will go round again
  std::thread([]() {
    int served = 0;
    do {
      served = trim_requests.load();
      storage::chunk_pool::Purge();
      if (trim_heap_requested.exchange(false)) malloc_trim(0);
    } while (trim_requests.fetch_sub(served) != served);
  }).detach();
}

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace

ActiveExpire::ActiveExpire(ServerState& state, asio::io_context& io, int worker_id,
                           int worker_count)
    : state_(state), io_(io), timer_(io), worker_id_(worker_id) {
  // Pair i (databases times shards, in order) belongs to worker i mod worker_count: every pair
  // has exactly one owner, and the shares differ by at most one pair.
  storage::Keyspace& keyspace = state.keyspace;
  size_t index = 0;
  for (int d = 0; d < keyspace.database_count(); ++d) {
    storage::Database& db = keyspace.db(d);
    for (size_t i = 0; i < db.shard_count(); ++i, ++index) {
      if (index % static_cast<size_t>(worker_count) == static_cast<size_t>(worker_id)) {
        shards_.push_back(&db.shard(i));
      }
    }
  }
}

void ActiveExpire::Start() {
  if (!shards_.empty()) ScheduleTick(kTickMs);
}

void ActiveExpire::Stop() {
  stopped_ = true;
  timer_.cancel();
}

void ActiveExpire::ScheduleTick(std::chrono::milliseconds after) {
  timer_.expires_after(after);
  timer_.async_wait([this](std::error_code ec) {
    if (ec || stopped_) return;
    Step();
  });
}

void ActiveExpire::Step() {
  auto start = std::chrono::steady_clock::now();
  int64_t now_ms = NowMs();
  size_t budget = kStepBudget;
  bool more = false;
  bool any_wheel = false;
  size_t expired = 0;
  // An exclusive holder (FLUSHALL, a script that may run for seconds) has every slot: do not
  // block the worker behind it (its clients must still get BUSY, SCRIPT KILL must get through);
  // try again on the next tick.
  if (!state_.exec_lock.TryLockShared(worker_id_)) {
    ScheduleTick(kTickMs);
    return;
  }
  // Visit every owned shard once at most, starting where the last step stopped, so a shard
  // with a large backlog does not starve the others.
  for (size_t visited = 0; visited < shards_.size() && budget > 0; ++visited) {
    storage::Shard& shard = *shards_[next_];
    storage::Shard::ExpireResult r;
    // A shard that never had a TTL key has nothing to expire: skip it without locking. (The
    // hint is set under the shard mutex before its first TTL key can be due; a stale "no" is
    // seen again on the next tick.)
    if (shard.has_wheel_hint()) {
      any_wheel = true;
      std::lock_guard<std::mutex> lock(shard.mutex());
      r = shard.ExpireDue(now_ms, budget, [](std::string_view) {});
    }
    budget -= std::min(budget, r.work);
    expired += r.expired;
    if (!r.done) {
      more = true;  // stay on this shard: the next step resumes here
      break;
    }
    next_ = (next_ + 1) % shards_.size();
  }
  if (budget == 0) more = true;
  state_.exec_lock.UnlockShared(worker_id_);
  expired_since_trim_ += expired;
  quiet_steps_ = expired == 0 && !more ? std::min(quiet_steps_ + 1, 1000) : 0;
  // Slab chunks released by emptied shards (a mass expiry, FLUSHDB) are returned too.
  bool many_expired = expired_since_trim_ >= kTrimAfterKeys;
  if ((many_expired || storage::chunk_pool::PendingBytes() > 0) &&
      (quiet_steps_ >= kTrimQuietSteps || start - last_trim_ > std::chrono::seconds(10))) {
    // A mass expiry is over (or has gone on for a while): hand the freed memory back to the
    // system (glibc keeps free chunks inside its arenas otherwise).
    TrimInBackground(many_expired);
    expired_since_trim_ = 0;
    last_trim_ = start;
  }

  WorkerStats& stats = *state_.worker_stats[worker_id_];
  auto usec = std::chrono::duration_cast<std::chrono::microseconds>(
                  std::chrono::steady_clock::now() - start)
                  .count();
  WorkerStats::Bump(stats.expire_usec, static_cast<uint64_t>(usec));
  if (more) {
    WorkerStats::Bump(stats.expire_steps_capped);
    // Yield to the I/O and commands already queued on this worker, then go on.
    asio::post(io_, [this]() {
      if (!stopped_) Step();
    });
  } else {
    // Right after expiring keys, keep the fast beat even if the shards' wheels are gone (freed
    // with their last key): the quiet steps that trigger the trim come 10 ms apart, not 100.
    bool busy = any_wheel || quiet_steps_ <= kTrimQuietSteps;
    ScheduleTick(busy ? kTickMs : kIdleTickMs);
  }
}

}  // namespace stash::server
