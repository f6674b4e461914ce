// SlabAllocator and chunk_pool: slots are reused, pages come from chunks that double in size,
// and an emptied allocator's chunks go back to the pool and, on Purge, to the system.
#include <doctest/doctest.h>

#include <sys/mman.h>
#include <unistd.h>

#include <cstdint>
#include <cstring>
#include <set>
#include <utility>
#include <vector>

#include "storage/chunk_pool.h"
#include "storage/memory_counter.h"
#include "storage/slab_allocator.h"

namespace stash::storage {
namespace {

// How many of the pages of [p, p + size) are resident (mincore).
size_t ResidentPages(void* p, size_t size) {
  size_t page = static_cast<size_t>(sysconf(_SC_PAGESIZE));
  std::vector<unsigned char> vec((size + page - 1) / page);
  REQUIRE(mincore(p, size, vec.data()) == 0);
  size_t n = 0;
  for (unsigned char v : vec) n += v & 1;
  return n;
}

TEST_CASE("freed slots are reused and sizes are counted rounded to 8 bytes") {
  SlabAllocator slab;
  void* a = slab.Allocate(41);
  CHECK(slab.bytes_used() == 48);
  slab.Deallocate(a, 41);
  CHECK(slab.bytes_used() == 0);
  void* b = slab.Allocate(48);  // same class: the freed slot
  CHECK(b == a);
  slab.Deallocate(b, 48);
}

TEST_CASE("pages come from chunks that double from 64 KiB to 2 MiB") {
  SlabAllocator slab;
  std::vector<void*> blocks;
  std::set<uintptr_t> seen;
  // 4 MiB of 64-byte entries: chunks of 64 KiB, 128, 256, 512 KiB, 1 MiB, then 2 MiB ones.
  for (size_t i = 0; i < (4u << 20) / 64; ++i) {
    void* p = slab.Allocate(64);
    CHECK((reinterpret_cast<uintptr_t>(p) & 7) == 0);
    memset(p, 0xab, 64);
    blocks.push_back(p);
  }
  CHECK(slab.bytes_used() == (4u << 20));
  CHECK(slab.bytes_reserved() >= (4u << 20));
  CHECK(slab.bytes_mapped() == (64u + 128 + 256 + 512 + 1024 + 2048 + 2048) * 1024);
  for (void* p : blocks) CHECK(seen.insert(reinterpret_cast<uintptr_t>(p)).second);
  for (void* p : blocks) slab.Deallocate(p, 64);
  CHECK(slab.bytes_used() == 0);
  slab.ReleaseAll();
  CHECK(slab.bytes_mapped() == 0);
  CHECK(slab.bytes_reserved() == 0);
}

TEST_CASE("an emptied allocator's chunks stay resident until Purge returns their pages") {
  chunk_pool::Purge();  // start from an empty pending list
  SlabAllocator slab;
  std::vector<void*> blocks;
  for (int i = 0; i < 4000; ++i) {
    void* p = slab.Allocate(200);
    memset(p, 1, 200);  // touch the pages
    blocks.push_back(p);
  }
  size_t mapped = slab.bytes_mapped();
  REQUIRE(mapped >= 4000 * 200);
  // The pages the entries touched: resident now.
  void* first = blocks.front();
  CHECK(ResidentPages(first, 4096) == 1);
  slab.ReleaseAll();
  CHECK(chunk_pool::PendingBytes() == mapped);
  CHECK(ResidentPages(first, 4096) == 1);  // released, not yet purged
  CHECK(chunk_pool::Purge() == mapped);
  CHECK(chunk_pool::PendingBytes() == 0);
  CHECK(ResidentPages(first, 4096) == 0);  // returned to the system
  // The purged chunks are used again, and their pages read as zero (fresh from the kernel).
  SlabAllocator again;
  void* p = again.Allocate(200);
  std::vector<unsigned char> zero(200, 0);
  CHECK(memcmp(p, zero.data(), 200) == 0);
  again.Deallocate(p, 200);
}

TEST_CASE("a released chunk is handed out again before a new one is carved") {
  chunk_pool::Purge();
  void* a = chunk_pool::Acquire(chunk_pool::kMinChunk);
  memset(a, 7, chunk_pool::kMinChunk);
  chunk_pool::Release(a, chunk_pool::kMinChunk);
  void* b = chunk_pool::Acquire(chunk_pool::kMinChunk);
  CHECK(b == a);
  CHECK(static_cast<unsigned char*>(b)[100] == 7);  // still resident: not purged
  chunk_pool::Release(b, chunk_pool::kMinChunk);
  chunk_pool::Purge();
}

TEST_CASE("Swap exchanges allocators, chunks included") {
  SlabAllocator a, b;
  void* p = a.Allocate(16);
  size_t mapped = a.bytes_mapped();
  a.Swap(b);
  CHECK(a.bytes_used() == 0);
  CHECK(a.bytes_mapped() == 0);
  CHECK(b.bytes_used() == 16);
  CHECK(b.bytes_mapped() == mapped);
  b.Deallocate(p, 16);
}

TEST_CASE("arrays: size classes, page fractions, chunks and mmap, counted exactly") {
  SlabAllocator slab;
  const size_t sizes[] = {8,    41,    100,   249,   512,    513,    1000,
                          3000, 5000,  8192,  20000, 32768, 32769, 100000, 3 << 20};
  // The second pass finds every class's page carved already: no chunk is added, so the slab's
  // own bookkeeping (its chunk list) does not grow, and the counter moves by the arrays alone.
  for (int pass = 0; pass < 2; ++pass) {
    for (size_t size : sizes) {
      CAPTURE(size);
      size_t usable = size;
      int64_t before = memory::Used();
      void* p = slab.AllocateArray(&usable);
      if (pass == 1) CHECK(memory::Used() - before == static_cast<int64_t>(usable));
      CHECK(usable >= size);
      CHECK(usable == SlabAllocator::ArraySize(size));
      CHECK(usable % 8 == 0);
      // Not much more than asked: classes ~1.25x apart up to 8 KiB, 4 KiB steps above a page.
      if (size >= 40 && size <= 4096) CHECK(usable * 100 <= size * 126);
      if (size > SlabAllocator::kMaxArrayClass) CHECK(usable - size < 4096);
      CHECK(slab.bytes_used() == usable);
      std::memset(p, 0xab, usable);  // all of it is ours
      slab.DeallocateArray(p, usable);
      if (pass == 1) CHECK(memory::Used() == before);
      CHECK(slab.bytes_used() == 0);
    }
  }
}

TEST_CASE("arrays up to 4 KiB share the slab's pages and are reused") {
  SlabAllocator slab;
  size_t a = 1000, b = 100;
  void* pa = slab.AllocateArray(&a);
  void* pb = slab.AllocateArray(&b);
  CHECK(a == 1192);
  CHECK(b == 120);
  // Both from one 32 KiB page of the slab's first chunk (not from malloc), one after the
  // other although their classes differ: an array growing through many classes touches few
  // pages.
  CHECK(slab.bytes_reserved() == SlabAllocator::kPageSize);
  CHECK(static_cast<char*>(pb) - static_cast<char*>(pa) == 1192);
  // A shared page's tail too small for the next block goes onto the free lists: a page
  // filled with ~2.9 KiB blocks leaves ~2.3 KiB that serve the next request of that size.
  std::vector<std::pair<void*, size_t>> blocks;
  for (int i = 0; i < 12; ++i) {
    size_t s = 2900;
    blocks.emplace_back(slab.AllocateArray(&s), s);
  }
  CHECK(slab.bytes_reserved() == 2 * SlabAllocator::kPageSize);
  size_t small = 2300;
  void* tail = slab.AllocateArray(&small);
  char* page0 = static_cast<char*>(pa);
  CHECK(static_cast<char*>(tail) >= page0);
  CHECK(static_cast<char*>(tail) < page0 + SlabAllocator::kPageSize);
  slab.DeallocateArray(tail, small);
  for (auto [p, s] : blocks) slab.DeallocateArray(p, s);
  slab.DeallocateArray(pa, a);
  size_t c = 1100;
  CHECK(slab.AllocateArray(&c) == pa);  // the freed block, same class
  slab.DeallocateArray(pb, b);
  slab.DeallocateArray(pa, c);
  // Emptied, the allocator gives its chunk back: the arrays' memory goes with the entries'.
  slab.ReleaseAll();
  CHECK(slab.bytes_mapped() == 0);
}

TEST_CASE("chunk-backed arrays go back to the pool when freed") {
  SlabAllocator slab;
  size_t size = 40000;
  void* p = slab.AllocateArray(&size);
  CHECK(size == 40960);
  CHECK(slab.bytes_reserved() == size);  // no slab page: a chunk of its own
  size_t pending = chunk_pool::PendingBytes();
  slab.DeallocateArray(p, size);
  CHECK(chunk_pool::PendingBytes() == pending + chunk_pool::kMinChunk);
  CHECK(slab.bytes_reserved() == 0);
  chunk_pool::Purge();
}

}  // namespace
}  // namespace stash::storage
