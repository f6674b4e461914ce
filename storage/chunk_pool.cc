#include "storage/chunk_pool.h"

#include <sys/mman.h>

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <cstdlib>
#include <mutex>
#include <new>
#include <vector>

namespace stash::storage::chunk_pool {
namespace {

// Address space only: 64 GiB of entries before chunks are mapped one by one.
constexpr size_t kReservation = size_t{64} << 30;
constexpr int kClasses = 6;  // 64 KiB .. 2 MiB
static_assert(kMinChunk << (kClasses - 1) == kMaxChunk);

struct Chunk {
  char* base;
  size_t size;
};

// The pool's bookkeeping (16 bytes per chunk) goes straight to malloc, outside used_memory:
// it belongs to no shard, and a shard's lifetime must leave the counter where it found it.
template <typename T>
struct Uncounted {
  using value_type = T;
  Uncounted() = default;
  template <typename U>
  Uncounted(const Uncounted<U>&) {}
  T* allocate(size_t n) {
    void* p = malloc(n * sizeof(T));
    if (p == nullptr) throw std::bad_alloc();
    return static_cast<T*>(p);
  }
  void deallocate(T* p, size_t) { free(p); }
  template <typename U>
  bool operator==(const Uncounted<U>&) const { return true; }
};
template <typename T>
using Vector = std::vector<T, Uncounted<T>>;

int ClassOf(size_t size) {
  int c = 0;
  while ((kMinChunk << c) < size) ++c;
  return c;
}

class Pool {
 public:
  void* Acquire(size_t size) {
    int c = ClassOf(size);
    size = kMinChunk << c;
    {
      std::lock_guard<std::mutex> lock(mu_);
      Reserve();
      // A pending chunk is still mapped and resident: reusing it saves a purge and a fault
      // per page.
      for (size_t i = pending_.size(); i-- > 0;) {
        if (pending_[i].size == size) {
          char* p = pending_[i].base;
          pending_[i] = pending_.back();
          pending_.pop_back();
          pending_bytes_.fetch_sub(size, std::memory_order_relaxed);
          return p;
        }
      }
      if (!free_[c].empty()) {
        char* p = free_[c].back();
        free_[c].pop_back();
        return p;
      }
      if (base_ != nullptr) {
        // Unaligned (page-aligned only): chunks acquired in a row stay adjacent, so their
        // pages go back to the system in one call.
        if (used_ + size <= kReservation) {
          used_ += size;
          return base_ + used_ - size;
        }
      }
    }
    void* p = mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) throw std::bad_alloc();
    return p;
  }

  void Release(void* chunk, size_t size) {
    char* p = static_cast<char*>(chunk);
    size = kMinChunk << ClassOf(size);
    if (!InRegion(p)) {
      munmap(p, size);
      return;
    }
    std::lock_guard<std::mutex> lock(mu_);
    pending_.push_back({p, size});
    pending_bytes_.fetch_add(size, std::memory_order_relaxed);
  }

  size_t Purge() {
    Vector<Chunk> chunks;
    {
      std::lock_guard<std::mutex> lock(mu_);
      chunks.swap(pending_);
      pending_bytes_.store(0, std::memory_order_relaxed);
    }
    if (chunks.empty()) return 0;
    std::sort(chunks.begin(), chunks.end(),
              [](const Chunk& a, const Chunk& b) { return a.base < b.base; });
    size_t bytes = 0;
    for (size_t i = 0; i < chunks.size();) {
      char* start = chunks[i].base;
      char* end = start + chunks[i].size;
      size_t j = i + 1;
      while (j < chunks.size() && chunks[j].base == end) end += chunks[j++].size;
      madvise(start, static_cast<size_t>(end - start), MADV_DONTNEED);
      bytes += static_cast<size_t>(end - start);
      i = j;
    }
    std::lock_guard<std::mutex> lock(mu_);
    for (const Chunk& c : chunks) free_[ClassOf(c.size)].push_back(c.base);
    return bytes;
  }

  size_t PendingBytes() const { return pending_bytes_.load(std::memory_order_relaxed); }

 private:
  void Reserve() {
    if (reserved_) return;
    reserved_ = true;
    void* p = mmap(nullptr, kReservation, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (p != MAP_FAILED) base_ = static_cast<char*>(p);
  }
  bool InRegion(const char* p) const {
    // base_ is set once (under the lock, before any chunk of the region exists).
    return base_ != nullptr && p >= base_ && p < base_ + kReservation;
  }

  std::mutex mu_;
  bool reserved_ = false;
  char* base_ = nullptr;
  size_t used_ = 0;
  Vector<char*> free_[kClasses];
  Vector<Chunk> pending_;
  std::atomic<size_t> pending_bytes_{0};
};

Pool& pool() {
  // Never destroyed (slab allocators of static objects may outlive it), and not on the heap
  // (see Uncounted).
  alignas(Pool) static unsigned char storage[sizeof(Pool)];
  static Pool* p = new (storage) Pool();
  return *p;
}

}  // namespace

void* Acquire(size_t size) { return pool().Acquire(size); }
void Release(void* chunk, size_t size) { pool().Release(chunk, size); }
size_t Purge() { return pool().Purge(); }
size_t PendingBytes() { return pool().PendingBytes(); }

}  // namespace stash::storage::chunk_pool
