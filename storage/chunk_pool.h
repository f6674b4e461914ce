// The process-wide source of the slab allocators' chunks (slab_allocator.h), built so that
// memory freed by a mass expiry goes back to the system in a few calls instead of hundreds.
//
// Why: returning a range of pages to the kernel (munmap, madvise) costs a TLB shootdown, an
// interrupt to every other CPU running the process, and on virtual machines each one costs
// hundreds of microseconds. A million keys live in ~250 chunks over 64 shards; unmapping them
// one by one cost more CPU than deleting the keys. Here chunks are carved, in order, from one
// large reservation of address space (MAP_NORESERVE: pages cost nothing until touched), so
// chunks filled during one load are mostly adjacent. A released chunk waits on a pending list,
// still resident (and reusable at once), until Purge sorts the pending chunks, merges adjacent
// ones and returns each run with one madvise(MADV_DONTNEED); purged chunks are reused later
// (their pages come back zeroed, on first touch).
//
// Should the reservation be exhausted or refused (strict overcommit), chunks are mapped and
// unmapped one by one instead. Thread-safe (one mutex; chunks are acquired and released
// rarely: one per 64 KiB to 2 MiB of entries).
#ifndef STASH_STORAGE_CHUNK_POOL_H_
#define STASH_STORAGE_CHUNK_POOL_H_

#include <cstddef>

namespace stash::storage::chunk_pool {

// Chunk sizes are powers of two from kMinChunk to kMaxChunk.
inline constexpr size_t kMinChunk = 64 * 1024;
inline constexpr size_t kMaxChunk = 2 * 1024 * 1024;

// A chunk of `size` bytes (page-aligned); throws std::bad_alloc when none can be had.
void* Acquire(size_t size);
// Gives a chunk back (size as acquired). Its pages stay resident until Purge.
void Release(void* chunk, size_t size);
// Returns the pages of every released chunk to the system; returns how many bytes. Meant for
// a background thread: it makes a system call per run of adjacent chunks, outside the lock.
size_t Purge();
// Bytes released and not yet purged.
size_t PendingBytes();

}  // namespace stash::storage::chunk_pool

#endif  // STASH_STORAGE_CHUNK_POOL_H_
