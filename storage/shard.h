// A shard: one lock, one table, one slab allocator, and the WATCH registrations of its keys.
// Every operation below REQUIRES the caller to hold mutex() (or otherwise exclude all other
// users of the keyspace, as an exclusive command does). The shard never locks anything itself,
// so a caller can hold several shards (in index order) for one atomic multi-key command.
#ifndef STASH_STORAGE_SHARD_H_
#define STASH_STORAGE_SHARD_H_

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

#include "storage/entry.h"
#include "storage/entry_table.h"
#include "storage/expiry_wheel.h"
#include "storage/hash.h"
#include "storage/slab_allocator.h"
#include "storage/value.h"

namespace stash::storage {

// Set when a watched key is modified; owned by the watching client (MULTI/EXEC's WATCH).
struct WatchState {
  std::atomic<bool> dirty{false};
};

// Hears about key changes, for a server's client tracking and keyspace notifications (storage
// itself knows nothing of either). Called with the shard's lock held, before the entry is freed
// (key may point into it); must not call back into the shard.
class KeyObserver {
 public:
  // key was created, changed or deleted (including the deletions below).
  virtual void KeyModified(std::string_view key) = 0;
  // key did not exist and was added (Redis's dbAdd). KeyModified follows.
  virtual void KeyCreated(std::string_view key) = 0;
  // An expired key was deleted by Find or Erase (lazy expiry). KeyModified follows.
  virtual void KeyExpired(std::string_view key) = 0;

 protected:
  ~KeyObserver() = default;
};

class Shard {
 public:
  explicit Shard(int shard_bits) : data_(shard_bits) {}
  Shard(const Shard&) = delete;
  Shard& operator=(const Shard&) = delete;
  ~Shard() { Clear(); }

  std::mutex& mutex() { return mu_; }

  // The live entry for key, or an empty Entry. An entry whose TTL has passed is deleted here
  // (lazy expiry) and counted in expired_keys().
  Entry Find(std::string_view key, uint64_t hash, int64_t now_ms);
  // Like Find but never deletes: an expired entry is reported as absent.
  Entry Peek(std::string_view key, uint64_t hash, int64_t now_ms) const;
  // The stored entry whether or not its TTL has passed.
  Entry FindRaw(std::string_view key, uint64_t hash) const {
    size_t slot = data_.table.Find(key, hash);
    return slot == EntryTable::kNotFound ? Entry() : data_.table.At(slot);
  }

  // Creates or replaces key with a value of the given type and bytes.
  Entry Put(std::string_view key, uint64_t hash, ValueType type, std::string_view value,
            int64_t expiry_ms);
  // Same, but leaves value_len bytes for the caller to fill through value_data().
  Entry PutUninitialized(std::string_view key, uint64_t hash, ValueType type, size_t value_len,
                         int64_t expiry_ms);
  // Gives e (found under key) a value of new_len bytes keeping the first min(old, new) bytes,
  // its type and expiry; relocates it when the size changes. Returns the entry to use from now.
  Entry ResizeValue(std::string_view key, uint64_t hash, Entry e, size_t new_len);
  // Sets or (with kNoExpiry) removes e's expiry. Returns the entry to use from now.
  Entry SetExpiry(std::string_view key, uint64_t hash, Entry e, int64_t expiry_ms);
  // Removes key if present (expired or not); returns whether a live key was removed.
  bool Erase(std::string_view key, uint64_t hash, int64_t now_ms);
  // Creates or replaces key with a collection value (hash, list, set, sorted set); the entry
  // takes ownership of the object.
  Entry PutObject(std::string_view key, uint64_t hash, ValueType type,
                  std::unique_ptr<CollectionValue> object, int64_t expiry_ms);
  // Removes key (which must exist) and hands its value over, object included (RENAME, MOVE).
  StoredValue Take(std::string_view key, uint64_t hash);
  // Creates or replaces key with a detached value (the other half of RENAME, MOVE, COPY).
  Entry PutValue(std::string_view key, uint64_t hash, StoredValue value);
  // A deep copy of e's value (COPY).
  static StoredValue CopyValue(Entry e);

  // Records that key was modified in place (WATCH, and the observer's KeyModified).
  void Touch(std::string_view key) {
    if (!watchers_.empty()) TouchSlow(key);
    if (observer_ != nullptr) observer_->KeyModified(key);
  }
  void set_observer(KeyObserver* observer) { observer_ = observer; }

  // Frees every entry. Watched keys that existed are marked modified, as FLUSHDB does.
  void Clear();
  // Exchanges contents (not watchers) with another shard of the same index in another
  // database, as SWAPDB does. Watched keys existing in either are marked modified.
  void SwapContents(Shard& other);

  // Active expiry: deletes keys whose TTL has passed at now_ms, found through the expiry wheel
  // (no scan), spending at most `budget` units of work (one per key deleted, record moved or
  // wheel slot skipped). on_expired(key) runs before each key is freed (it must not change the
  // shard). Counts expired_keys and marks WATCHed keys, as lazy expiry does.
  struct ExpireResult {
    size_t expired = 0;
    size_t work = 0;   // budget units spent
    bool done = true;  // false: the budget ran out, more may be due
  };
  template <typename Visit>
  ExpireResult ExpireDue(int64_t now_ms, size_t budget, Visit&& on_expired);

  size_t size() const { return data_.table.size(); }
  size_t expires() const { return data_.expires; }
  // Sum of the expiry times (unix ms) of the keys with a TTL: their exact average TTL is
  // expiry_sum() / expires() - now.
  __int128 expiry_sum() const { return data_.expiry_sum; }
  // Keys already due but not yet deleted (see ExpiryWheel::Backlog).
  size_t expiry_backlog(int64_t now_ms) const {
    return data_.wheel ? data_.wheel->Backlog(now_ms) : 0;
  }
  // Bytes held for entries, the table and the expiry wheel's records (whose arrays are all the
  // slab's: ExpiryWheel::bytes() and the table's slots are part of it).
  size_t bytes_used() const { return data_.slab.bytes_used(); }
  size_t slab_bytes_used() const { return data_.slab.bytes_used(); }
  uint64_t expired_keys() const { return expired_keys_; }
  // The expiry wheel, if the shard ever had a key with a (narrow) TTL; for tests and stats.
  const ExpiryWheel* wheel() const { return data_.wheel.get(); }
  // Whether the shard has an expiry wheel, readable WITHOUT the mutex (a hint, exact once the
  // mutex is taken): lets an active-expiry pass skip shards that never had a TTL key without
  // locking them.
  bool has_wheel_hint() const { return has_wheel_.load(std::memory_order_relaxed); }

  // Hash-ordered cursor iteration; see EntryTable::Scan.
  template <typename Visit>
  bool Scan(uint64_t local_cursor, size_t count, uint64_t* next, Visit&& visit) const {
    return data_.table.Scan(local_cursor, count, next, std::forward<Visit>(visit));
  }
  template <typename Visit>
  void ForEach(Visit&& visit) const {
    data_.table.ForEach(std::forward<Visit>(visit));
  }
  // Some entry (possibly expired), chosen from r; shard must be non-empty.
  Entry EntryNear(uint64_t r) const { return data_.table.At(data_.table.SlotNear(r)); }

  void AddWatch(std::string_view key, std::shared_ptr<WatchState> state);
  void RemoveWatch(std::string_view key, const WatchState* state);

  // --- Eviction support (storage/eviction.h) ---
  // Visits up to max_slots consecutive table slots from a position chosen by r, calling
  // visit(Entry) for each entry (possibly expired). Redis's dictGetSomeKeys also samples a run
  // of buckets: keys are in hash order, so a run of slots is a random sample of keys.
  template <typename Visit>
  void VisitSlotsFrom(uint64_t r, size_t max_slots, Visit&& visit) const {
    data_.table.VisitFrom(r, max_slots, std::forward<Visit>(visit));
  }
  size_t table_capacity() const { return data_.table.capacity(); }

 private:
  void CarryAccess(Entry old, Entry fresh);
  struct Data {
    explicit Data(int shard_bits) : table(shard_bits) { table.set_allocator(&slab); }
    // The allocator first: the table's and the wheel's arrays are its, so it goes last.
    SlabAllocator slab;
    EntryTable table;
    // The keys with a narrow expiry (entry.h), created with the shard's first one.
    std::unique_ptr<ExpiryWheel> wheel;
    size_t expires = 0;
    __int128 expiry_sum = 0;
  };

  // Puts fresh (a new entry for key) in the table: at `slot`, freeing the entry there, or as a
  // new key when slot is kNotFound.
  void Install(std::string_view key, uint64_t hash, size_t slot, Entry fresh);
  // With place_in_wheel false the caller gives the new entry a wheel record (Relocate).
  Entry Allocate(ValueType type, std::string_view key, uint64_t hash, size_t value_len,
                 int64_t expiry_ms, bool place_in_wheel = true);
  // Counts e's expiry and files it in the wheel (hash: its key's), or the reverse.
  void AddExpiry(Entry e, uint64_t hash, bool place_in_wheel = true);
  void DropExpiry(Entry e, bool in_wheel = true);
  // Deletes an entry the wheel found expired; hint is its record's (EntryTable::HomeHint).
  void DeleteExpired(Entry e, uint32_t hint);
  // Frees e's memory and, unless the object moved to another entry, its collection object.
  void Free(Entry e, bool destroy_object = true, bool in_wheel = true);
  void TouchSlow(std::string_view key);
  void TouchExisting(const Data& also);

  void SyncWheelHint() { has_wheel_.store(data_.wheel != nullptr, std::memory_order_relaxed); }

  std::mutex mu_;
  Data data_;
  std::atomic<bool> has_wheel_{false};
  uint64_t expired_keys_ = 0;
  KeyObserver* observer_ = nullptr;
  std::unordered_multimap<std::string, std::shared_ptr<WatchState>> watchers_;
};

template <typename Visit>
Shard::ExpireResult Shard::ExpireDue(int64_t now_ms, size_t budget, Visit&& on_expired) {
  ExpireResult result;
  if (!data_.wheel) return result;
  const size_t initial = budget;
  // Victims come in batches so that their entries and their table slots are fetched from
  // memory in parallel rather than one miss after another: a mass expiry is bound by cache
  // misses. Each victim's record carries its home hint, so its slot is requested along with its
  // entry, without waiting for the entry to hash its key. (The deletion reads no other entry:
  // the table keeps each slot's displacement from its home.)
  constexpr size_t kBatch = 256;  // a whole step (kStepBudget): the pipeline fills once per step
  Entry batch[kBatch];
  uint32_t hints[kBatch];
  // One shrink check at the end of the step, not one per deletion.
  data_.table.DeferShrink(true);
  while (budget > 0) {
    size_t n = data_.wheel->NextDueBatch(now_ms, &budget, batch, hints, std::min(kBatch, budget));
    if (n == 0) break;
    for (size_t i = 0; i < n; ++i) {
      __builtin_prefetch(batch[i].raw());
      data_.table.PrefetchHint(hints[i]);
    }
    for (size_t i = 0; i < n; ++i) {
      on_expired(batch[i].key());
      DeleteExpired(batch[i], hints[i]);
    }
    budget -= n;
    result.expired += n;
  }
  data_.table.DeferShrink(false);
  if (result.expired > 0 && data_.wheel->size() == 0) {
    // The shard's TTL keys are all gone: the wheel's slots (7 KiB) go too, until the next one.
    data_.wheel.reset();
    SyncWheelHint();
  }
  // A shard emptied by expiry (a mass expiry) gives its slab pages back; with keys left, freed
  // slots stay on the slab's free lists for reuse.
  if (result.expired > 0 && data_.table.size() == 0) data_.slab.ReleaseAll();
  result.done = budget > 0;
  result.work = initial - budget;
  return result;
}

}  // namespace stash::storage

#endif  // STASH_STORAGE_SHARD_H_
