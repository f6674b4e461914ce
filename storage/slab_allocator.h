// Size-class slab allocator for keyspace entries, one per shard (so it needs no lock of its own:
// the shard's mutex covers it).
//
// Why not malloc: glibc puts an 8-byte header in front of every chunk and rounds to 16 bytes, so
// a 46-byte entry costs 64. Here a 46-byte entry costs 48 (8-byte classes, no header), which is
// most of the gap between Redis's ~123 bytes per small key and our target of half that.
// Allocations above kMaxSlabSize go to malloc. Freed slots go on a per-class free list and are
// reused; pages are returned only when the whole shard is emptied (FLUSHDB, or active expiry
// deleting its last key), as memcached does.
//
// Pages are carved from chunks (chunk_pool.h), not from malloc: chunk sizes double from 64 KiB
// to 2 MiB, so a shard holds a few chunks, and an emptied shard releases them to the pool,
// which returns the pages of adjacent chunks to the system together. Through malloc, a million
// keys' pages would be thousands of free blocks scattered through glibc's arenas among tables
// and wheel buckets, which malloc_trim returns one madvise (and TLB shootdown) at a time, and
// not all of them. Pages of a chunk that were never handed out are never touched: no RSS.
// What it hands out (rounded sizes, usable sizes of malloc'ed blocks) is added to the process
// memory counter (memory_counter.h), so a freed entry lowers used_memory at once even though
// its page stays: like Redis with jemalloc, used_memory counts live bytes, RSS counts pages.
#ifndef STASH_STORAGE_SLAB_ALLOCATOR_H_
#define STASH_STORAGE_SLAB_ALLOCATOR_H_

#include <array>
#include <cstddef>
#include <memory>
#include <vector>

namespace stash::storage {

class SlabAllocator {
 public:
  static constexpr size_t kGranularity = 8;
  static constexpr size_t kMaxSlabSize = 512;
  static constexpr size_t kPageSize = 32 * 1024;

  SlabAllocator() = default;
  SlabAllocator(const SlabAllocator&) = delete;
  SlabAllocator& operator=(const SlabAllocator&) = delete;
  ~SlabAllocator() { ReleaseAll(); }

  void* Allocate(size_t size);
  // size must be the size passed to Allocate for p.
  void Deallocate(void* p, size_t size);
  // Frees every page at once. Large (malloc'ed) blocks must have been freed by the caller.
  void ReleaseAll();
  void Swap(SlabAllocator& other);

  // Bytes handed out (rounded to their class) plus malloc'ed blocks' usable sizes.
  size_t bytes_used() const { return bytes_used_; }
  // Bytes taken from the system: slab pages handed to size classes plus malloc'ed blocks.
  size_t bytes_reserved() const { return page_count_ * kPageSize + large_bytes_; }
  // Bytes mapped for chunks (including pages not handed out yet, which hold no RSS).
  size_t bytes_mapped() const { return mapped_bytes_; }

  static constexpr size_t kFirstChunkSize = 64 * 1024;  // chunk_pool's sizes
  static constexpr size_t kMaxChunkSize = 2 * 1024 * 1024;

  // Arrays (the table's slots, the expiry wheel's buckets): AllocateArray takes *size bytes
  // and sets *size to the usable size, which DeallocateArray must be given back. Up to 4 KiB
  // they come from array classes ~1.25x apart, with free lists of their own, carved one after
  // another from shared slab pages (an array grows through many classes: a page per class
  // would touch a page per class in every shard); above, from the chunk pool (chunk_pool.h;
  // larger still, their own mmap), returned at once (kept in the slab, the blocks of a table
  // that outgrew them would stay stranded on free lists until the shard empties). So no array is ever on the malloc heap, where a few freed blocks
  // left in glibc's per-thread caches would pin pages after a mass expiry. Usable sizes are
  // counted as for Allocate; chunk-backed arrays count their size rounded to 4 KiB (the rest
  // of the chunk is never touched: no RSS). Like large blocks, chunk-backed arrays must be
  // freed before ReleaseAll.
  void* AllocateArray(size_t* size);
  void DeallocateArray(void* p, size_t size);
  // The usable size AllocateArray would give for size bytes.
  static size_t ArraySize(size_t size);
  static constexpr size_t kMaxArrayClass = 4096;

  static size_t RoundedSize(size_t size) {
    return size <= kMaxSlabSize ? (size + kGranularity - 1) & ~(kGranularity - 1) : size;
  }

 private:
  struct SizeClass {
    void* free_list = nullptr;
    char* bump = nullptr;
    char* bump_end = nullptr;
  };
  static constexpr int kArrayClasses = 28;
  // The free lists, made on the shard's first allocation: 64 entry classes and 28 array
  // classes in each of the 16 x 64 shards would be 1.7 MB of start-up memory, most of all of
  // it, for databases and shards that mostly never hold a key.
  struct FreeLists {
    std::array<SizeClass, kMaxSlabSize / kGranularity> classes{};
    std::array<void*, kArrayClasses> arrays{};
  };
  FreeLists& lists() {
    if (!lists_) lists_.reset(new FreeLists{});
    return *lists_;
  }
  SizeClass& ClassOf(size_t rounded) { return lists().classes[rounded / kGranularity - 1]; }
  std::unique_ptr<FreeLists> lists_;
  struct Chunk {
    void* base;
    size_t size;
  };
  char* NewPage();
  static int ArrayClassOf(size_t size);  // the smallest array class holding size
  void* AllocateArrayBlock(int c);
  // The shared page that arrays are carved from.
  char* array_bump_ = nullptr;
  char* array_bump_end_ = nullptr;

  std::vector<Chunk> chunks_;
  char* chunk_next_ = nullptr;  // the next page of the newest chunk to hand out
  char* chunk_end_ = nullptr;
  size_t page_count_ = 0;
  size_t mapped_bytes_ = 0;
  size_t bytes_used_ = 0;
  size_t large_bytes_ = 0;
};

}  // namespace stash::storage

#endif  // STASH_STORAGE_SLAB_ALLOCATOR_H_
