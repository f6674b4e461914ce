#include "storage/slab_allocator.h"

#include "storage/memory_counter.h"

#include <malloc.h>

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
  SizeClass& cls = classes_[rounded / kGranularity - 1];
  bytes_used_ += rounded;
  memory::Add(static_cast<int64_t>(rounded));
  if (cls.free_list != nullptr) {
    void* p = cls.free_list;
    cls.free_list = *static_cast<void**>(p);
    return p;
  }
  if (cls.bump == nullptr || cls.bump + rounded > cls.bump_end) {
    char* page = static_cast<char*>(malloc(kPageSize));
    if (page == nullptr) throw std::bad_alloc();
    pages_.push_back(page);
    cls.bump = page;
    cls.bump_end = page + kPageSize;
  }
  void* p = cls.bump;
  cls.bump += rounded;
  return p;
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
  SizeClass& cls = classes_[rounded / kGranularity - 1];
  // Every class is at least 8 bytes, so a freed slot can hold the free-list link.
  *static_cast<void**>(p) = cls.free_list;
  cls.free_list = p;
  bytes_used_ -= rounded;
  memory::Sub(static_cast<int64_t>(rounded));
}

void SlabAllocator::ReleaseAll() {
  for (void* page : pages_) free(page);
  pages_.clear();
  classes_ = {};
  memory::Sub(static_cast<int64_t>(bytes_used_));
  bytes_used_ = 0;
  large_bytes_ = 0;
}

void SlabAllocator::Swap(SlabAllocator& other) {
  std::swap(classes_, other.classes_);
  pages_.swap(other.pages_);
  std::swap(bytes_used_, other.bytes_used_);
  std::swap(large_bytes_, other.large_bytes_);
}

}  // namespace stash::storage
