// SlabAllocator and chunk_pool: slots are reused, pages come from chunks that double in size,
// and an emptied allocator's chunks go back to the pool and, on Purge, to the system.
#include <doctest/doctest.h>

#include <sys/mman.h>
#include <unistd.h>

#include <cstdint>
#include <cstring>
#include <set>
#include <vector>

#include "storage/chunk_pool.h"
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

}  // namespace
}  // namespace stash::storage
