#include "storage/types/zset_value.h"

#include <malloc.h>

#include <algorithm>
#include <climits>
#include <cmath>
#include <cstdlib>
#include <new>

#include "storage/memory_counter.h"

namespace stash::storage {

using zset::CompareMembers;
using zset::RecordMember;
using zset::RecordScore;

namespace {

// Redis's LISTPACK_MAX_SAFETY_SIZE: a listpack never grows past 1 GiB (lpSafeToAdd).
constexpr uint64_t kListpackMaxSafetySize = uint64_t{1} << 30;

uint64_t ZigZag(int64_t v) {
  return (static_cast<uint64_t>(v) << 1) ^ static_cast<uint64_t>(v >> 63);
}
int64_t UnZigZag(uint64_t u) { return static_cast<int64_t>((u >> 1) ^ (~(u & 1) + 1)); }

size_t ScoreSize(double score) {
  int64_t v;
  if (ZSetValue::ScoreIsListpackInteger(score, &v)) {
    return entry_layout::VarintSize(ZigZag(v) + 1);
  }
  return 1 + sizeof(double);
}

uint8_t* PutScore(uint8_t* p, double score) {
  int64_t v;
  if (ZSetValue::ScoreIsListpackInteger(score, &v)) {
    return entry_layout::PutVarint(p, ZigZag(v) + 1);
  }
  *p++ = 0;
  memcpy(p, &score, sizeof(score));
  return p + sizeof(score);
}

size_t ElementSize(std::string_view member, double score) {
  return entry_layout::VarintSize(member.size()) + member.size() + ScoreSize(score);
}

uint8_t* PutElement(uint8_t* p, std::string_view member, double score) {
  p = entry_layout::PutVarint(p, member.size());
  if (!member.empty()) memcpy(p, member.data(), member.size());
  return PutScore(p + member.size(), score);
}

// Order of (score, member) pairs.
bool ElementLess(const ZSetValue::Element& a, const ZSetValue::Element& b) {
  if (a.score != b.score) return a.score < b.score;
  return CompareMembers(a.member, b.member) < 0;
}

}  // namespace

// ---- Ranges --------------------------------------------------------------------------------

namespace {
// sdscmplex: "-" sorts before and "+" after every member.
int CompareLex(std::string_view v, const ZLexRange::Bound& b) {
  if (b.kind == ZLexRange::Kind::kMinusInf) return 1;
  if (b.kind == ZLexRange::Kind::kPlusInf) return -1;
  return CompareMembers(v, b.value);
}
}  // namespace

bool ZLexRange::GteMin(std::string_view v) const {
  int c = CompareLex(v, min);
  return min.ex ? c > 0 : c >= 0;
}

bool ZLexRange::LteMax(std::string_view v) const {
  int c = CompareLex(v, max);
  return max.ex ? c < 0 : c <= 0;
}

bool ZLexRange::Empty() const {
  // sdscmplex(min, max), where the shared "-" and "+" strings compare equal to themselves.
  int c;
  if (min.kind == max.kind && min.kind != Kind::kValue) {
    c = 0;
  } else if (min.kind == Kind::kMinusInf || max.kind == Kind::kPlusInf) {
    c = -1;
  } else if (min.kind == Kind::kPlusInf || max.kind == Kind::kMinusInf) {
    c = 1;
  } else {
    c = CompareMembers(min.value, max.value);
  }
  return c > 0 || (c == 0 && (min.ex || max.ex));
}

// ---- Construction --------------------------------------------------------------------------

bool ZSetValue::ScoreIsListpackInteger(double score, int64_t* out) {
  // Redis's double2ll, with its bounds of +-(LLONG_MAX / 2) converted to double (2^62).
  if (score < static_cast<double>(-LLONG_MAX / 2) || score > static_cast<double>(LLONG_MAX / 2)) {
    return false;
  }
  long long ll = static_cast<long long>(score);
  if (static_cast<double>(ll) != score) return false;
  *out = ll;
  return true;
}

std::unique_ptr<ZSetValue> ZSetValue::Create(size_t size_hint, const ZSetLimits& limits) {
  auto z = std::make_unique<ZSetValue>();
  if (size_hint > limits.max_listpack_entries) {
    z->big_ = std::make_unique<zset::ZSetBig>();
    z->big_->Reserve(size_hint);
  }
  return z;
}

std::unique_ptr<ZSetValue> ZSetValue::Build(std::vector<Element> elements,
                                            const ZSetLimits& limits) {
  std::sort(elements.begin(), elements.end(), ElementLess);
  size_t max_len = 0;
  uint64_t total = 0;
  for (const Element& e : elements) {
    max_len = std::max(max_len, e.member.size());
    total += e.member.size();
  }
  auto z = std::make_unique<ZSetValue>();
  if (elements.size() <= limits.max_listpack_entries && max_len <= limits.max_listpack_value &&
      total <= kListpackMaxSafetySize) {
    size_t bytes = 0;
    for (const Element& e : elements) bytes += ElementSize(e.member, e.score);
    if (bytes > 0) {
      z->lp_ = static_cast<uint8_t*>(memory::Malloc(bytes));
      if (z->lp_ == nullptr) throw std::bad_alloc();
      uint8_t* p = z->lp_;
      for (const Element& e : elements) p = PutElement(p, e.member, e.score);
    }
    z->lp_bytes_ = static_cast<uint32_t>(bytes);
    z->lp_count_ = static_cast<uint32_t>(elements.size());
    return z;
  }
  z->big_ = std::make_unique<zset::ZSetBig>();
  z->big_->Reserve(elements.size());
  for (const Element& e : elements) z->big_->Insert(e.member, e.score);
  return z;
}

ZSetValue::~ZSetValue() { memory::Free(lp_); }

std::unique_ptr<CollectionValue> ZSetValue::Clone() const {
  auto z = std::make_unique<ZSetValue>();
  if (big_) {
    // Same encoding as the original, as Redis's zsetDup.
    z->big_ = std::make_unique<zset::ZSetBig>();
    z->big_->Reserve(big_->size());
    for (zset::OrderTree::Pos p = big_->tree().At(0); p.valid(); p.Next()) {
      z->big_->Insert(RecordMember(p.get()), RecordScore(p.get()));
    }
    return z;
  }
  if (lp_bytes_ > 0) {
    z->lp_ = static_cast<uint8_t*>(memory::Malloc(lp_bytes_));
    if (z->lp_ == nullptr) throw std::bad_alloc();
    memcpy(z->lp_, lp_, lp_bytes_);
  }
  z->lp_bytes_ = lp_bytes_;
  z->lp_count_ = lp_count_;
  return z;
}

size_t ZSetValue::BytesUsed() const {
  size_t n = sizeof(*this);
  if (lp_ != nullptr) n += malloc_usable_size(lp_);
  if (big_) n += big_->bytes_used();
  return n;
}

// ---- Listpack ------------------------------------------------------------------------------

const uint8_t* ZSetValue::LpDecode(const uint8_t* p, Element* out) {
  uint64_t len;
  p = entry_layout::GetVarint(p, &len);
  out->member = std::string_view(reinterpret_cast<const char*>(p), static_cast<size_t>(len));
  p += len;
  if (*p == 0) {
    memcpy(&out->score, p + 1, sizeof(double));
    return p + 1 + sizeof(double);
  }
  uint64_t u;
  p = entry_layout::GetVarint(p, &u);
  out->score = static_cast<double>(UnZigZag(u - 1));
  return p;
}

bool ZSetValue::LpFind(std::string_view member, uint32_t* offset, double* score,
                       size_t* rank) const {
  const uint8_t* p = lp_;
  const uint8_t* end = lp_ + lp_bytes_;
  size_t r = 0;
  while (p < end) {
    Element e;
    const uint8_t* next = LpDecode(p, &e);
    if (e.member == member) {
      if (offset) *offset = static_cast<uint32_t>(p - lp_);
      if (score) *score = e.score;
      if (rank) *rank = r;
      return true;
    }
    p = next;
    ++r;
  }
  return false;
}

void ZSetValue::LpInsert(std::string_view member, double score) {
  // zzlInsert: before the first element with a greater score, or an equal score and a greater
  // member.
  const uint8_t* p = lp_;
  const uint8_t* end = lp_ + lp_bytes_;
  while (p < end) {
    Element e;
    const uint8_t* next = LpDecode(p, &e);
    if (e.score > score || (e.score == score && CompareMembers(e.member, member) > 0)) break;
    p = next;
  }
  size_t at = p - lp_;
  size_t size = ElementSize(member, score);
  uint8_t* grown = static_cast<uint8_t*>(memory::Realloc(lp_, lp_bytes_ + size));
  if (grown == nullptr) throw std::bad_alloc();
  lp_ = grown;
  memmove(lp_ + at + size, lp_ + at, lp_bytes_ - at);
  PutElement(lp_ + at, member, score);
  lp_bytes_ += static_cast<uint32_t>(size);
  ++lp_count_;
}

void ZSetValue::LpEraseRange(uint32_t from, uint32_t to, size_t count) {
  memmove(lp_ + from, lp_ + to, lp_bytes_ - to);
  lp_bytes_ -= to - from;
  lp_count_ -= static_cast<uint32_t>(count);
  if (lp_bytes_ == 0) {
    memory::Free(lp_);
    lp_ = nullptr;
    return;
  }
  uint8_t* shrunk = static_cast<uint8_t*>(memory::Realloc(lp_, lp_bytes_));
  if (shrunk != nullptr) lp_ = shrunk;
}

void ZSetValue::LpErase(uint32_t offset) {
  Element e;
  const uint8_t* next = LpDecode(lp_ + offset, &e);
  LpEraseRange(offset, static_cast<uint32_t>(next - lp_), 1);
}

void ZSetValue::ConvertToBig(size_t reserve) {
  auto big = std::make_unique<zset::ZSetBig>();
  big->Reserve(reserve);
  const uint8_t* p = lp_;
  const uint8_t* end = lp_ + lp_bytes_;
  while (p < end) {
    Element e;
    p = LpDecode(p, &e);
    big->Insert(e.member, e.score);
  }
  memory::Free(lp_);
  lp_ = nullptr;
  lp_bytes_ = 0;
  lp_count_ = 0;
  big_ = std::move(big);
}

// ---- Element operations --------------------------------------------------------------------

ZSetValue::AddResult ZSetValue::Add(std::string_view member, double score, unsigned flags,
                                    const ZSetLimits& limits, double* new_score) {
  const bool incr = flags & kIncr, nx = flags & kNx, xx = flags & kXx;
  const bool gt = flags & kGt, lt = flags & kLt;
  if (std::isnan(score)) return AddResult::kNaN;

  double current;
  uint32_t offset = 0;
  uint8_t* rec = nullptr;
  bool found;
  if (!big_) {
    found = LpFind(member, &offset, &current, nullptr);
  } else {
    rec = big_->Find(member);
    found = rec != nullptr;
    if (found) current = RecordScore(rec);
  }

  if (found) {
    if (nx) return AddResult::kNop;
    if (incr) {
      score += current;
      if (std::isnan(score)) return AddResult::kNaN;
    }
    if ((lt && score >= current) || (gt && score <= current)) return AddResult::kNop;
    *new_score = score;
    if (score == current) return AddResult::kUnchanged;
    if (!big_) {
      LpErase(offset);
      LpInsert(member, score);
    } else {
      big_->UpdateScore(rec, score);
    }
    return AddResult::kUpdated;
  }
  if (xx) return AddResult::kNop;
  if (!big_) {
    // Checked before inserting, as zsetAdd does.
    if (lp_count_ + uint64_t{1} > limits.max_listpack_entries ||
        member.size() > limits.max_listpack_value ||
        lp_bytes_ + uint64_t{member.size()} > kListpackMaxSafetySize) {
      ConvertToBig(lp_count_ + 1);
    } else {
      LpInsert(member, score);
      *new_score = score;
      return AddResult::kAdded;
    }
  }
  big_->Insert(member, score);
  *new_score = score;
  return AddResult::kAdded;
}

bool ZSetValue::Remove(std::string_view member) {
  if (big_) return big_->Remove(member);
  uint32_t offset;
  if (!LpFind(member, &offset, nullptr, nullptr)) return false;
  LpErase(offset);
  return true;
}

bool ZSetValue::Score(std::string_view member, double* score) const {
  if (!big_) return LpFind(member, nullptr, score, nullptr);
  const uint8_t* rec = big_->Find(member);
  if (rec == nullptr) return false;
  *score = RecordScore(rec);
  return true;
}

bool ZSetValue::Rank(std::string_view member, bool reverse, size_t* rank) const {
  size_t r;
  if (!big_) {
    if (!LpFind(member, nullptr, nullptr, &r)) return false;
  } else {
    const uint8_t* rec = big_->Find(member);
    if (rec == nullptr) return false;
    r = big_->tree().Rank(rec);
  }
  *rank = reverse ? size() - 1 - r : r;
  return true;
}

// ---- Cursor --------------------------------------------------------------------------------

ZSetValue::Cursor ZSetValue::Seek(size_t rank) const {
  Cursor c;
  c.z_ = this;
  c.rank_ = rank;
  if (rank >= size()) return c;
  c.valid_ = true;
  if (big_) {
    c.pos_ = big_->tree().At(rank);
    const uint8_t* rec = c.pos_.get();
    c.current_ = Element{RecordMember(rec), RecordScore(rec)};
    return c;
  }
  const uint8_t* p = lp_;
  Element e;
  for (size_t i = 0; i < rank; ++i) p = LpDecode(p, &e);
  c.offset_ = static_cast<uint32_t>(p - lp_);
  c.LoadListpack();
  return c;
}

void ZSetValue::Cursor::LoadListpack() { LpDecode(z_->lp_ + offset_, &current_); }

void ZSetValue::Cursor::Next() {
  if (!valid_) return;
  ++rank_;
  if (rank_ >= z_->size()) {
    valid_ = false;
    return;
  }
  if (z_->big_) {
    pos_.Next();
    const uint8_t* rec = pos_.get();
    current_ = Element{RecordMember(rec), RecordScore(rec)};
    return;
  }
  if (!offsets_.empty()) {
    offset_ = offsets_[rank_];
  } else {
    Element e;
    offset_ = static_cast<uint32_t>(LpDecode(z_->lp_ + offset_, &e) - z_->lp_);
  }
  LoadListpack();
}

void ZSetValue::Cursor::Prev() {
  if (!valid_) return;
  if (rank_ == 0) {
    valid_ = false;
    return;
  }
  --rank_;
  if (z_->big_) {
    pos_.Prev();
    const uint8_t* rec = pos_.get();
    current_ = Element{RecordMember(rec), RecordScore(rec)};
    return;
  }
  // A listpack is walked forwards only; the first step back records where every element starts.
  if (offsets_.empty()) {
    offsets_.reserve(z_->lp_count_);
    const uint8_t* p = z_->lp_;
    const uint8_t* end = z_->lp_ + z_->lp_bytes_;
    Element e;
    while (p < end) {
      offsets_.push_back(static_cast<uint32_t>(p - z_->lp_));
      p = LpDecode(p, &e);
    }
  }
  offset_ = offsets_[rank_];
  LoadListpack();
}

// ---- Ranges --------------------------------------------------------------------------------

std::vector<ZSetValue::Element> ZSetValue::Elements() const {
  std::vector<Element> out;
  out.reserve(size());
  for (Cursor c = Seek(0); c.valid(); c.Next()) out.push_back(c.get());
  return out;
}

size_t ZSetValue::FirstInRange(const ZScoreRange& range) const {
  size_t n = size();
  // zslIsInRange / zzlIsInRange.
  if (range.Empty() || n == 0 || !range.GteMin(At(n - 1).score) || !range.LteMax(At(0).score)) {
    return kNpos;
  }
  size_t first;
  if (big_) {
    first = big_->tree().PartitionPoint(
        [&](const uint8_t* rec) { return range.GteMin(RecordScore(rec)); });
    if (first >= n) return kNpos;
    return range.LteMax(RecordScore(big_->tree().At(first).get())) ? first : kNpos;
  }
  for (Cursor c = Seek(0); c.valid(); c.Next()) {
    if (range.GteMin(c.get().score)) return range.LteMax(c.get().score) ? c.rank() : kNpos;
  }
  return kNpos;
}

size_t ZSetValue::LastInRange(const ZScoreRange& range) const {
  size_t n = size();
  if (range.Empty() || n == 0 || !range.GteMin(At(n - 1).score) || !range.LteMax(At(0).score)) {
    return kNpos;
  }
  if (big_) {
    size_t past = big_->tree().PartitionPoint(
        [&](const uint8_t* rec) { return !range.LteMax(RecordScore(rec)); });
    if (past == 0) return kNpos;
    return range.GteMin(RecordScore(big_->tree().At(past - 1).get())) ? past - 1 : kNpos;
  }
  for (Cursor c = Seek(n - 1); c.valid(); c.Prev()) {
    if (range.LteMax(c.get().score)) return range.GteMin(c.get().score) ? c.rank() : kNpos;
  }
  return kNpos;
}

size_t ZSetValue::FirstInLexRange(const ZLexRange& range) const {
  size_t n = size();
  // zslIsInLexRange / zzlIsInLexRange.
  if (range.Empty() || n == 0 || !range.GteMin(At(n - 1).member) ||
      !range.LteMax(At(0).member)) {
    return kNpos;
  }
  if (big_) {
    size_t first = big_->tree().PartitionPoint(
        [&](const uint8_t* rec) { return range.GteMin(RecordMember(rec)); });
    if (first >= n) return kNpos;
    return range.LteMax(RecordMember(big_->tree().At(first).get())) ? first : kNpos;
  }
  for (Cursor c = Seek(0); c.valid(); c.Next()) {
    if (range.GteMin(c.get().member)) return range.LteMax(c.get().member) ? c.rank() : kNpos;
  }
  return kNpos;
}

size_t ZSetValue::LastInLexRange(const ZLexRange& range) const {
  size_t n = size();
  if (range.Empty() || n == 0 || !range.GteMin(At(n - 1).member) ||
      !range.LteMax(At(0).member)) {
    return kNpos;
  }
  if (big_) {
    size_t past = big_->tree().PartitionPoint(
        [&](const uint8_t* rec) { return !range.LteMax(RecordMember(rec)); });
    if (past == 0) return kNpos;
    return range.GteMin(RecordMember(big_->tree().At(past - 1).get())) ? past - 1 : kNpos;
  }
  for (Cursor c = Seek(n - 1); c.valid(); c.Prev()) {
    if (range.LteMax(c.get().member)) return range.GteMin(c.get().member) ? c.rank() : kNpos;
  }
  return kNpos;
}

size_t ZSetValue::CountInRange(const ZScoreRange& range) const {
  size_t first = FirstInRange(range);
  if (first == kNpos) return 0;
  if (big_) {
    // Rank arithmetic, as zcountCommand does on a skiplist.
    size_t last = LastInRange(range);
    return last == kNpos ? size() - first : last - first + 1;
  }
  size_t count = 0;
  for (Cursor c = Seek(first); c.valid() && range.LteMax(c.get().score); c.Next()) ++count;
  return count;
}

size_t ZSetValue::CountInLexRange(const ZLexRange& range) const {
  size_t first = FirstInLexRange(range);
  if (first == kNpos) return 0;
  if (big_) {
    size_t last = LastInLexRange(range);
    return last == kNpos ? size() - first : last - first + 1;
  }
  size_t count = 0;
  for (Cursor c = Seek(first); c.valid() && range.LteMax(c.get().member); c.Next()) ++count;
  return count;
}

// ---- Removal -------------------------------------------------------------------------------

void ZSetValue::DeleteRange(size_t start, size_t count) {
  if (count == 0) return;
  if (big_) {
    big_->EraseRange(start, count);
    return;
  }
  const uint8_t* p = lp_;
  Element e;
  for (size_t i = 0; i < start; ++i) p = LpDecode(p, &e);
  const uint8_t* q = p;
  for (size_t i = 0; i < count; ++i) q = LpDecode(q, &e);
  LpEraseRange(static_cast<uint32_t>(p - lp_), static_cast<uint32_t>(q - lp_), count);
}

std::pair<std::string, double> ZSetValue::Pop(bool max) {
  size_t rank = max ? size() - 1 : 0;
  Element e = At(rank);
  std::pair<std::string, double> out(std::string(e.member), e.score);
  DeleteRange(rank, 1);
  return out;
}

ZSetValue::Element ZSetValue::RandomElement(uint64_t r) const {
  if (big_) {
    const uint8_t* rec = big_->index().RandomRecord(r);
    return Element{RecordMember(rec), RecordScore(rec)};
  }
  return At(static_cast<size_t>((static_cast<unsigned __int128>(r) * lp_count_) >> 64));
}

}  // namespace stash::storage
