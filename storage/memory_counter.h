// The process-wide count of bytes held, as Redis's zmalloc counter: every allocation the server
// makes adds its usable size here and every free subtracts it. It is what INFO's used_memory
// reports and what maxmemory is compared with.
//
// Who counts: the slab allocator (the rounded sizes it hands out, and the usable size of entries
// it mallocs), entry tables (their slot arrays), the replacement of global operator new/delete in
// memory_hooks.cc (collections, strings, buffers, everything the C++ runtime allocates), and the
// few other direct mallocs of the server (connection read buffers).
//
// Why sharded: one atomic counter written by every allocation on every thread would bounce its
// cache line between cores on the hot path. Each thread adds to its own cache-line slot instead
// (threads beyond kSlots share slots, which stays correct because the adds are atomic); a read
// sums all slots. A slot may go negative (memory allocated on one thread and freed on another);
// only the sum means anything. A slot whose balance passes +-kFoldBytes moves it into one shared
// total (rarely: once per 64 KiB of net allocation), so UsedApprox() can answer with one load,
// off by at most UsedApproxError(): the per-command maxmemory check reads that and sums the
// slots only when near the limit.
#ifndef STASH_STORAGE_MEMORY_COUNTER_H_
#define STASH_STORAGE_MEMORY_COUNTER_H_

#include <atomic>
#include <cstddef>
#include <cstdint>

namespace stash::storage::memory {

inline constexpr int kSlots = 64;
inline constexpr int64_t kFoldBytes = 64 * 1024;

struct alignas(64) CounterSlot {
  std::atomic<int64_t> bytes{0};
};

extern CounterSlot g_slots[kSlots];
extern std::atomic<int64_t> g_folded;
extern thread_local int t_slot;
int AssignSlot();

inline void Add(int64_t bytes) {
  int slot = t_slot;
  if (slot < 0) slot = AssignSlot();
  int64_t now = g_slots[slot].bytes.fetch_add(bytes, std::memory_order_relaxed) + bytes;
  if (now > kFoldBytes || now < -kFoldBytes) {
    // Shared total first, then the slot: a concurrent reader may count `now` twice for a
    // moment (an over-estimate, the safe side for maxmemory), never miss it.
    g_folded.fetch_add(now, std::memory_order_relaxed);
    g_slots[slot].bytes.fetch_sub(now, std::memory_order_relaxed);
  }
}
inline void Sub(int64_t bytes) { Add(-bytes); }

// Bytes held now (the shared total plus all slots; never negative).
int64_t Used();
// The shared total alone: one load, within UsedApproxError() of Used().
inline int64_t UsedApprox() { return g_folded.load(std::memory_order_relaxed); }
int64_t UsedApproxError();

// malloc_usable_size of p (0 for nullptr): what a block really holds.
size_t UsableSize(void* p);

// Whether the global operator new/delete replacement (memory_hooks.cc) is linked into this
// process: without it, used_memory counts only the keyspace's own allocations.
bool HooksInstalled();

// Counted malloc, calloc, realloc and free, for the storage code that manages raw blocks itself
// (collection encodings, tables). Same contracts as the C functions.
void* Malloc(size_t size);
void* Calloc(size_t count, size_t size);
void* Realloc(void* p, size_t size);
void Free(void* p);

}  // namespace stash::storage::memory

#endif  // STASH_STORAGE_MEMORY_COUNTER_H_
