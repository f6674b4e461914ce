// Replaces the global operator new and delete (every form: plain, array, nothrow, sized,
// aligned) with malloc/free calls that add and subtract the block's usable size to the process
// memory counter (memory_counter.h), the way Redis's zmalloc counts every allocation.
//
// This file is its own CMake OBJECT library (stash_memory_hooks) linked into stash-server and
// the tests, not part of stash_storage: an application embedding the storage library through
// the client library keeps its own allocator hooks (or none).
#include <malloc.h>

#include <cstdlib>
#include <new>

#include "storage/memory_counter.h"

namespace {

using stash::storage::memory::Add;

void* CountedAlloc(std::size_t size) {
  void* p = malloc(size == 0 ? 1 : size);
  if (p != nullptr) Add(static_cast<int64_t>(malloc_usable_size(p)));
  return p;
}

void* CountedAlignedAlloc(std::size_t size, std::align_val_t align) {
  void* p = nullptr;
  size_t a = static_cast<size_t>(align);
  if (a < sizeof(void*)) a = sizeof(void*);
  if (posix_memalign(&p, a, size == 0 ? 1 : size) != 0) return nullptr;
  Add(static_cast<int64_t>(malloc_usable_size(p)));
  return p;
}

void CountedFree(void* p) noexcept {
  if (p == nullptr) return;
  Add(-static_cast<int64_t>(malloc_usable_size(p)));
  free(p);
}

// operator new must call the new-handler and retry, or throw bad_alloc.
void* AllocOrThrow(std::size_t size) {
  while (true) {
    void* p = CountedAlloc(size);
    if (p != nullptr) return p;
    std::new_handler handler = std::get_new_handler();
    if (handler == nullptr) throw std::bad_alloc();
    handler();
  }
}

void* AlignedAllocOrThrow(std::size_t size, std::align_val_t align) {
  while (true) {
    void* p = CountedAlignedAlloc(size, align);
    if (p != nullptr) return p;
    std::new_handler handler = std::get_new_handler();
    if (handler == nullptr) throw std::bad_alloc();
    handler();
  }
}

}  // namespace

namespace stash::storage::memory {
bool HooksInstalled() { return true; }
}  // namespace stash::storage::memory

void* operator new(std::size_t size) { return AllocOrThrow(size); }
void* operator new[](std::size_t size) { return AllocOrThrow(size); }
void* operator new(std::size_t size, const std::nothrow_t&) noexcept {
  return CountedAlloc(size);
}
void* operator new[](std::size_t size, const std::nothrow_t&) noexcept {
  return CountedAlloc(size);
}
void* operator new(std::size_t size, std::align_val_t align) {
  return AlignedAllocOrThrow(size, align);
}
void* operator new[](std::size_t size, std::align_val_t align) {
  return AlignedAllocOrThrow(size, align);
}
void* operator new(std::size_t size, std::align_val_t align, const std::nothrow_t&) noexcept {
  return CountedAlignedAlloc(size, align);
}
void* operator new[](std::size_t size, std::align_val_t align, const std::nothrow_t&) noexcept {
  return CountedAlignedAlloc(size, align);
}

void operator delete(void* p) noexcept { CountedFree(p); }
void operator delete[](void* p) noexcept { CountedFree(p); }
void operator delete(void* p, const std::nothrow_t&) noexcept { CountedFree(p); }
void operator delete[](void* p, const std::nothrow_t&) noexcept { CountedFree(p); }
void operator delete(void* p, std::size_t) noexcept { CountedFree(p); }
void operator delete[](void* p, std::size_t) noexcept { CountedFree(p); }
void operator delete(void* p, std::align_val_t) noexcept { CountedFree(p); }
void operator delete[](void* p, std::align_val_t) noexcept { CountedFree(p); }
void operator delete(void* p, std::align_val_t, const std::nothrow_t&) noexcept {
  CountedFree(p);
}
void operator delete[](void* p, std::align_val_t, const std::nothrow_t&) noexcept {
  CountedFree(p);
}
void operator delete(void* p, std::size_t, std::align_val_t) noexcept { CountedFree(p); }
void operator delete[](void* p, std::size_t, std::align_val_t) noexcept { CountedFree(p); }
