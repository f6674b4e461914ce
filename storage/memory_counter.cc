#include "storage/memory_counter.h"

#include <malloc.h>

#include <cstdlib>

namespace stash::storage::memory {

// Constant-initialized, so allocations made during static initialization (before main) and
// after static destruction have a counter to add to.
CounterSlot g_slots[kSlots];
std::atomic<int64_t> g_folded{0};
thread_local int t_slot = -1;

namespace {
std::atomic<int> g_next_slot{0};
}  // namespace

int AssignSlot() {
  t_slot = g_next_slot.fetch_add(1, std::memory_order_relaxed) % kSlots;
  return t_slot;
}

int64_t UsedApproxError() {
  int threads = g_next_slot.load(std::memory_order_relaxed);
  return static_cast<int64_t>(threads < kSlots ? threads : kSlots) * kFoldBytes;
}

int64_t Used() {
  int64_t sum = g_folded.load(std::memory_order_relaxed);
  for (const CounterSlot& s : g_slots) sum += s.bytes.load(std::memory_order_relaxed);
  return sum < 0 ? 0 : sum;
}

size_t UsableSize(void* p) { return p == nullptr ? 0 : malloc_usable_size(p); }

void* Malloc(size_t size) {
  void* p = malloc(size);
  Add(static_cast<int64_t>(UsableSize(p)));
  return p;
}

void* Calloc(size_t count, size_t size) {
  void* p = calloc(count, size);
  Add(static_cast<int64_t>(UsableSize(p)));
  return p;
}

void* Realloc(void* p, size_t size) {
  size_t before = UsableSize(p);
  void* q = realloc(p, size);
  if (q != nullptr || size == 0) {
    Add(static_cast<int64_t>(UsableSize(q)) - static_cast<int64_t>(before));
  }
  return q;
}

void Free(void* p) {
  Sub(static_cast<int64_t>(UsableSize(p)));
  free(p);
}

// Overridden (strongly) by memory_hooks.cc when it is linked in.
__attribute__((weak)) bool HooksInstalled() { return false; }

}  // namespace stash::storage::memory
