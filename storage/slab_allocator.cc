#include "storage/slab_allocator.h"

#include "storage/chunk_pool.h"
#include "storage/memory_counter.h"

#include <malloc.h>
#include <sys/mman.h>

#include <algorithm>
#include <cstdlib>
#include <new>
#include <utility>

namespace stash::storage {

void* SlabAllocator::Allocate(size_t size) {
  if (size > kMaxSlabSize) {
    void* p = malloc(size);
    if (p == nullptr) throw std::bad_alloc();
    size_t usable = malloc_usable_size(p);
    large_bytes_ += usable;
    bytes_used_ += usable;
    memory::Add(static_cast<int64_t>(usable));
    return p;
  }
  size_t rounded = RoundedSize(size == 0 ? 1 : size);
  SizeClass& cls = ClassOf(rounded);
  bytes_used_ += rounded;
  memory::Add(static_cast<int64_t>(rounded));
  if (cls.free_list != nullptr) {
    void* p = cls.free_list;
    cls.free_list = *static_cast<void**>(p);
    return p;
  }
  if (cls.bump == nullptr || cls.bump + rounded > cls.bump_end) {
    char* page = NewPage();
    cls.bump = page;
    cls.bump_end = page + kPageSize;
  }
  void* p = cls.bump;
  cls.bump += rounded;
  return p;
}

namespace {

// Array classes about 1.25x apart from 40 bytes up (so an array's spare stays within the
// wheel's budget), carved from shared pages.
constexpr size_t kArrayClassSize[] = {
    8,    16,   24,   32,   40,   48,   56,   64,   80,   96,   120,  144,   160,   200,   248,
    312,  392,  488,  608,  760,  952,  1192, 1488, 1864, 2328, 2912, 3640, 4096};
constexpr size_t kArrayPageRound = 4096;
constexpr size_t kPoolLimit = SlabAllocator::kMaxChunkSize;

}  // namespace

int SlabAllocator::ArrayClassOf(size_t size) {
  static_assert(sizeof(kArrayClassSize) / sizeof(size_t) == kArrayClasses);
  static_assert(kArrayClassSize[kArrayClasses - 1] == kMaxArrayClass);
  int c = 0;
  while (kArrayClassSize[c] < size) ++c;
  return c;
}

void* SlabAllocator::AllocateArrayBlock(int c) {
  size_t size = kArrayClassSize[c];
  bytes_used_ += size;
  memory::Add(static_cast<int64_t>(size));
  std::array<void*, kArrayClasses>& free_arrays = lists().arrays;
  if (free_arrays[c] != nullptr) {
    void* p = free_arrays[c];
    free_arrays[c] = *static_cast<void**>(p);
    return p;
  }
  if (array_bump_ == nullptr || array_bump_ + size > array_bump_end_) {
    // The rest of the page goes onto the free lists, largest classes first.
    size_t left = static_cast<size_t>(array_bump_end_ - array_bump_);
    for (int k = kArrayClasses - 1; k >= 0 && left > 0; --k) {
      while (left >= kArrayClassSize[k]) {
        *reinterpret_cast<void**>(array_bump_) = free_arrays[k];
        free_arrays[k] = array_bump_;
        array_bump_ += kArrayClassSize[k];
        left -= kArrayClassSize[k];
      }
    }
    char* page = NewPage();
    array_bump_ = page;
    array_bump_end_ = page + kPageSize;
  }
  void* p = array_bump_;
  array_bump_ += size;
  return p;
}

size_t SlabAllocator::ArraySize(size_t size) {
  if (size <= kMaxArrayClass) return kArrayClassSize[ArrayClassOf(size)];
  return (size + kArrayPageRound - 1) & ~(kArrayPageRound - 1);
}

void* SlabAllocator::AllocateArray(size_t* size) {
  if (*size <= kMaxArrayClass) {
    int c = ArrayClassOf(*size);
    *size = kArrayClassSize[c];
    return AllocateArrayBlock(c);
  }
  size_t usable = (*size + kArrayPageRound - 1) & ~(kArrayPageRound - 1);
  void* p;
  if (usable <= kPoolLimit) {
    p = chunk_pool::Acquire(usable);
  } else {
    p = mmap(nullptr, usable, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) throw std::bad_alloc();
  }
  *size = usable;
  large_bytes_ += usable;
  bytes_used_ += usable;
  memory::Add(static_cast<int64_t>(usable));
  return p;
}

void SlabAllocator::DeallocateArray(void* p, size_t size) {
  if (size <= kMaxArrayClass) {
    int c = ArrayClassOf(size);
    void*& head = lists_->arrays[c];  // made by the allocation of p
    *static_cast<void**>(p) = head;
    head = p;
  } else {
    large_bytes_ -= size;
    if (size <= kPoolLimit) {
      chunk_pool::Release(p, size);
    } else {
      munmap(p, size);
    }
  }
  bytes_used_ -= size;
  memory::Sub(static_cast<int64_t>(size));
}

char* SlabAllocator::NewPage() {
  if (chunk_next_ == chunk_end_) {
    size_t size = chunks_.empty() ? kFirstChunkSize
                                  : std::min(kMaxChunkSize, chunks_.back().size * 2);
    chunks_.reserve(chunks_.size() + 1);  // so that push_back cannot throw after Acquire
    void* base = chunk_pool::Acquire(size);
    chunks_.push_back({base, size});
    mapped_bytes_ += size;
    chunk_next_ = static_cast<char*>(base);
    chunk_end_ = chunk_next_ + size;
  }
  char* page = chunk_next_;
  chunk_next_ += kPageSize;
  ++page_count_;
  return page;
}

void SlabAllocator::Deallocate(void* p, size_t size) {
  if (size > kMaxSlabSize) {
    size_t usable = malloc_usable_size(p);
    large_bytes_ -= usable;
    bytes_used_ -= usable;
    memory::Sub(static_cast<int64_t>(usable));
    free(p);
    return;
  }
  size_t rounded = RoundedSize(size == 0 ? 1 : size);
  SizeClass& cls = lists_->classes[rounded / kGranularity - 1];  // made by the Allocate of p
  // Every class is at least 8 bytes, so a freed slot can hold the free-list link.
  *static_cast<void**>(p) = cls.free_list;
  cls.free_list = p;
  bytes_used_ -= rounded;
  memory::Sub(static_cast<int64_t>(rounded));
}

void SlabAllocator::ReleaseAll() {
  for (const Chunk& c : chunks_) chunk_pool::Release(c.base, c.size);
  chunks_.clear();
  chunks_.shrink_to_fit();
  chunk_next_ = chunk_end_ = nullptr;
  page_count_ = 0;
  mapped_bytes_ = 0;
  lists_.reset();
  array_bump_ = array_bump_end_ = nullptr;
  memory::Sub(static_cast<int64_t>(bytes_used_));
  bytes_used_ = 0;
  large_bytes_ = 0;
}

void SlabAllocator::Swap(SlabAllocator& other) {
  std::swap(lists_, other.lists_);
  std::swap(array_bump_, other.array_bump_);
  std::swap(array_bump_end_, other.array_bump_end_);
  chunks_.swap(other.chunks_);
  std::swap(chunk_next_, other.chunk_next_);
  std::swap(chunk_end_, other.chunk_end_);
  std::swap(page_count_, other.page_count_);
  std::swap(mapped_bytes_, other.mapped_bytes_);
  std::swap(bytes_used_, other.bytes_used_);
  std::swap(large_bytes_, other.large_bytes_);
}

}  // namespace stash::storage
