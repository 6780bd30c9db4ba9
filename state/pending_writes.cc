#include "state/pending_writes.h"

#include <algorithm>
#include <cstring>
#include <memory>
#include <new>
#include <string>

#include "state/key_order.h"
#include "streams/errors.h"

namespace kstreams::internal {
namespace {

// The arena's blocks grow from kFirstBlockBytes to kBlockBytes: large enough that the
// allocator's bookkeeping is a small part of each, and small enough that each of the many
// stores of a large instance that write a few keys between commits holds little.
constexpr size_t kFirstBlockBytes = 4 << 10;
constexpr size_t kBlockBytes = 64 << 10;
constexpr size_t kAlign = alignof(PendingWrites::Write);
static_assert(sizeof(PendingWrites::Write) == 32, "the header pending_writes.h describes");
// A slot of a Swiss table: the element and its control byte, at the 7/8 load it grows at.
constexpr size_t slotBytes(size_t element) { return (element + 1) * 8 / 7; }

size_t aligned(size_t n) { return (n + kAlign - 1) & ~(kAlign - 1); }

// What a node of std::map costs beyond the pair it holds: three pointers, the colour, and
// the allocator's rounding.
constexpr size_t kOrderNodeBytes = 32 + sizeof(PendingWrites::Order::value_type) + 8;

}  // namespace

PendingWrites::PendingWrites(size_t prefixBytes, bool keysWrittenOnce)
    : prefixBytes_(prefixBytes), keysIndexed_(!keysWrittenOnce), keysWrittenOnce_(keysWrittenOnce) {}
PendingWrites::~PendingWrites() = default;

char* PendingWrites::allocate(size_t bytes) {
  bytes = aligned(bytes);
  if (bytes > freeBytes_) {
    const size_t blockBytes = std::min(kBlockBytes, kFirstBlockBytes << std::min<size_t>(blocks_.size(), 8));
    // A record of more than a quarter block gets a block of its own, so that the rest of
    // the current block is not wasted.
    const bool own = bytes > blockBytes / 4;
    const size_t size = own ? bytes : blockBytes;
    blocks_.push_back(std::make_unique_for_overwrite<char[]>(size));
    arenaBytes_ += size;
    if (own) return blocks_.back().get();
    free_ = blocks_.back().get();
    freeBytes_ = size;
  }
  char* p = free_;
  free_ += bytes;
  freeBytes_ -= bytes;
  return p;
}

void PendingWrites::setValue(Write& w, std::optional<std::string_view> value) {
  if (w.valueSize_ != Write::kDeleted) dataBytes_ -= w.valueSize_;
  if (!value) {
    w.valueSize_ = Write::kDeleted;
    return;
  }
  if (value->size() > w.valueCapacity_) {
    w.value_ = allocate(value->size());
    w.valueCapacity_ = static_cast<uint32_t>(value->size());
  }
  if (!value->empty()) std::memcpy(w.value_, value->data(), value->size());
  w.valueSize_ = static_cast<uint32_t>(value->size());
  dataBytes_ += value->size();
}

void PendingWrites::put(std::string_view key, std::optional<std::string_view> value) {
  // Sizes are 32 bits: far above what a Kafka record can hold.
  if (key.size() >= Write::kDeleted || (value && value->size() >= Write::kDeleted))
    throw StreamsException("a state store write of " + std::to_string(key.size()) + " key bytes and " +
                           std::to_string(value ? value->size() : 0) +
                           " value bytes is larger than a store can hold (4 GiB); keep records under the "
                           "brokers' message.max.bytes");
  const size_t valueBytes = value ? value->size() : 0;
  Write* w = keysIndexed_ ? *table_.lazy_emplace(key, [&](const auto& construct) { construct(newWrite(key, valueBytes)); })
                          : newWrite(key, valueBytes);
  setValue(*w, value);
}

PendingWrites::Write* PendingWrites::newWrite(std::string_view key, size_t valueBytes) {
  // The record and, right after its key, room for the first value.
  char* bytes = allocate(sizeof(Write) + key.size() + valueBytes);
  Write* fresh = new (bytes) Write();
  std::memcpy(bytes + sizeof(Write), key.data(), key.size());
  fresh->keySize_ = static_cast<uint32_t>(key.size());
  fresh->value_ = bytes + sizeof(Write) + key.size();
  fresh->valueCapacity_ = static_cast<uint32_t>(valueBytes);
  dataBytes_ += key.size();
  ++live_;
  unordered_.push_back(fresh);
  if (keysWrittenOnce_) all_.push_back(fresh);
  if (prefixIndexed_ && key.size() >= prefixBytes_) indexByPrefix(fresh);
  return fresh;
}

void PendingWrites::indexKeys() {
  keysIndexed_ = true;
  table_.reserve(live_);
  for (Write* w : all_)
    if (!w->erased_) table_.insert(w);
}

void PendingWrites::indexByPrefix(Write* w) {
  auto [head, fresh] = byPrefix_.try_emplace(w->key().substr(0, prefixBytes_), w);
  if (fresh) return;
  w->samePrefix_ = head->second;
  head->second = w;
}

PendingWrites::Run PendingWrites::collectWithinPrefix(std::string_view from, std::string_view to) {
  if (!prefixIndexed_) {  // the first read by prefix: from now on, keys are indexed as they come
    prefixIndexed_ = true;
    forEachLive([this](Write* w) {
      if (w->keySize_ >= prefixBytes_) indexByPrefix(w);
    });
  }
  Run run;
  auto head = byPrefix_.find(from.substr(0, prefixBytes_));
  if (head == byPrefix_.end()) return run;
  for (const Write* w = head->second; w; w = w->samePrefix_) {
    if (w->erased_) continue;
    const std::string_view key = w->key();
    if (key >= from && key <= to) run.emplace_back(key, w);
  }
  std::sort(run.begin(), run.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  return run;
}

const PendingWrites::Order& PendingWrites::ordered() {
  for (Write* w : unordered_) {
    if (w->erased_) continue;
    auto [it, fresh] = order_.try_emplace(w->key(), w);
    if (!fresh && it->second->erased_) {  // the key was written again: its old place is the new write's
      it->second = w;
      --erasedInOrder_;
    }
  }
  unordered_.clear();
  return order_;
}

void PendingWrites::eraseBefore(std::string_view to, bool orderInUse) {
  ordered();
  if (!orderInUse && erasedInOrder_ > 0) {
    // The writes erased while it was in use leave it now: anywhere below the furthest
    // erasure since, which may be past `to`.
    for (auto it = order_.begin(); it != order_.end() && erasedInOrder_ > 0;) {
      if (!it->second->erased_) {
        ++it;
        continue;
      }
      it = order_.erase(it);
      --erasedInOrder_;
    }
  }
  for (auto it = order_.begin(); it != order_.end() && it->first < to;) {
    Write* w = const_cast<Write*>(it->second);
    if (!w->erased_) {
      if (keysIndexed_) table_.erase(w->key());
      dataBytes_ -= w->keySize_ + (w->valueSize_ == Write::kDeleted ? 0 : w->valueSize_);
      w->erased_ = true;
      --live_;
      if (orderInUse) ++erasedInOrder_;
    }
    if (orderInUse) ++it;
    else it = order_.erase(it);
  }
}

std::vector<const PendingWrites::Write*> PendingWrites::inKeyOrder() {
  std::vector<const Write*> writes;
  if (unordered_.empty()) {
    writes.reserve(order_.size() - erasedInOrder_);
    for (const auto& [key, w] : order_)
      if (erasedInOrder_ == 0 || !w->erased_) writes.push_back(w);
    return writes;
  }
  writes.reserve(live_);
  forEachLive([&](const Write* w) { writes.push_back(w); });
  sortByKey(writes, [](const Write& w) { return w.key(); });
  return writes;
}

void PendingWrites::clear() {
  // Keeps room for as many writes as there were: a store's writes fill the set again to
  // about its size by the next commit, and growing it back rehashed every write at each
  // doubling (Abseil frees a large table's slots on clear).
  const size_t writes = table_.size(), prefixes = byPrefix_.size();
  table_.clear();
  byPrefix_.clear();
  order_.clear();
  erasedInOrder_ = 0;
  unordered_.clear();
  all_.clear();
  live_ = 0;
  keysIndexed_ = !keysWrittenOnce_;
  if (keysIndexed_) table_.reserve(writes);
  byPrefix_.reserve(prefixes);
  blocks_.clear();
  free_ = nullptr;
  freeBytes_ = 0;
  arenaBytes_ = 0;
  dataBytes_ = 0;
}

size_t PendingWrites::bytes() const {
  return arenaBytes_ + table_.size() * slotBytes(sizeof(Write*)) + all_.size() * sizeof(Write*) +
         byPrefix_.size() * slotBytes(sizeof(std::string_view) + sizeof(Write*)) + order_.size() * kOrderNodeBytes +
         unordered_.size() * sizeof(Write*);
}

}  // namespace kstreams::internal
