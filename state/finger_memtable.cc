#include "state/finger_memtable.h"

#include <rocksdb/memtablerep.h>

#include <algorithm>
#include <atomic>
#include <bit>
#include <cstdint>
#include <cstring>
#include <new>
#include <string_view>
#include <utility>

#include "state/indexed_map.h"

namespace kstreams::internal {
namespace {

// An internal key's last 8 bytes are RocksDB's fixed64 (sequence << 8 | type), little endian.
static_assert(std::endian::native == std::endian::little, "internal key trailers are read as native integers");

constexpr int kMaxHeight = 12;  // RocksDB's: with a quarter of the nodes on each next level, 4^12 entries
constexpr size_t kLinkBytes = sizeof(std::atomic<char*>);

// A memtable entry as RocksDB encodes it: varint32 length, internal key, then the value.
rocksdb::Slice internalKeyOf(const char* entry) {
  uint32_t length = 0;
  const auto* p = reinterpret_cast<const unsigned char*>(entry);
  for (int shift = 0; shift <= 28; shift += 7) {
    const uint32_t byte = *p++;
    length |= (byte & 0x7f) << shift;
    if (!(byte & 0x80)) break;
  }
  return rocksdb::Slice(reinterpret_cast<const char*>(p), length);
}

// InternalKeyComparator over BytewiseComparator: user key ascending, then the trailer
// (sequence number) descending, so the newest version of a key comes first.
int compareInternalKeys(const rocksdb::Slice& a, const rocksdb::Slice& b) {
  const size_t userA = a.size() - 8, userB = b.size() - 8;
  const size_t common = std::min(userA, userB);
  if (common > 0)
    if (int r = std::memcmp(a.data(), b.data(), common)) return r;
  if (userA != userB) return userA < userB ? -1 : 1;
  uint64_t trailerA, trailerB;
  std::memcpy(&trailerA, a.data() + userA, 8);
  std::memcpy(&trailerB, b.data() + userB, 8);
  return trailerA > trailerB ? -1 : (trailerA < trailerB ? 1 : 0);
}

// The arena hands out unaligned bytes; allocations ask for align - 1 more.
void* alignUp(void* p, size_t align) {
  return reinterpret_cast<void*>((reinterpret_cast<uintptr_t>(p) + align - 1) & ~(uintptr_t{align} - 1));
}

// A node is its entry's address; its links to the next node of each level lie just before
// the entry, level 0 nearest. Nodes live in the memtable's arena and are never freed or
// moved while the memtable lives.
using Node = char*;
std::atomic<Node>& link(Node node, int level) { return *(reinterpret_cast<std::atomic<Node>*>(node) - 1 - level); }
Node next(Node node, int level) { return link(node, level).load(std::memory_order_acquire); }

// RocksDB hands iterators an Arena, whose type its public headers leave incomplete; an Arena
// is an Allocator (its only base, so at offset 0), and MemTableRep::Allocate allocates from
// its allocator.
class ArenaBorrower final : public rocksdb::MemTableRep {
 public:
  explicit ArenaBorrower(rocksdb::Arena* arena) : MemTableRep(reinterpret_cast<rocksdb::Allocator*>(arena)) {}
  void* allocate(size_t bytes) {
    char* buf = nullptr;
    MemTableRep::Allocate(bytes, &buf);
    return buf;
  }
  void Insert(rocksdb::KeyHandle) override {}
  bool Contains(const char*) const override { return false; }
  size_t ApproximateMemoryUsage() override { return 0; }
  Iterator* GetIterator(rocksdb::Arena*) override { return nullptr; }
};

std::atomic<int64_t> heapIterators{0};

// The iterator FingerMemtable::Get lends to RocksDB's MemTableRep::Get on this thread.
thread_local rocksdb::MemTableRep::Iterator* lentIterator = nullptr;

class FingerMemtable final : public rocksdb::MemTableRep {
 public:
  FingerMemtable(rocksdb::Allocator* allocator, size_t indexedPrefixBytes)
      : MemTableRep(allocator), prefixBytes_(indexedPrefixBytes) {
    head_ = allocateNode(kMaxHeight, 0, nullptr);
    for (int i = 0; i < kMaxHeight; ++i) finger_[i] = head_;
  }

  rocksdb::KeyHandle Allocate(const size_t len, char** buf) override {
    int height = 1;
    while (height < kMaxHeight && (nextRandom() & 3) == 0) ++height;
    Node node = allocateNode(height, len, buf);
    // The height waits in the level-0 link until Insert links the node.
    link(node, 0).store(reinterpret_cast<Node>(static_cast<uintptr_t>(height)), std::memory_order_relaxed);
    return node;
  }

  void Insert(rocksdb::KeyHandle handle) override { insert(static_cast<Node>(handle)); }
  bool InsertKey(rocksdb::KeyHandle handle) override { return insert(static_cast<Node>(handle)); }

  bool Contains(const char* entry) const override {
    const rocksdb::Slice key = internalKeyOf(entry);
    Node n = findGreaterOrEqual(key);
    return n && compareInternalKeys(internalKeyOf(n), key) == 0;
  }

  // The arena's memory is what RocksDB counts; the list holds nothing outside it.
  size_t ApproximateMemoryUsage() override { return 0; }

  // RocksDB 7.8's MemTableRep::Get seeks with an iterator from GetDynamicPrefixIterator()
  // and never frees it (its own memtables override Get); the LookupKey it takes is not in
  // the public headers. So this Get lends it one on the stack for the call.
  void Get(const rocksdb::LookupKey& key, void* callbackArgs, bool (*callback)(void*, const char*)) override {
    ListIterator iterator(this, false);
    lentIterator = &iterator;
    MemTableRep::Get(key, callbackArgs, callback);
    lentIterator = nullptr;
  }
  Iterator* GetDynamicPrefixIterator(rocksdb::Arena* arena) override {
    if (!arena && lentIterator) return std::exchange(lentIterator, nullptr);
    return GetIterator(arena);
  }

  class ListIterator final : public MemTableRep::Iterator {
   public:
    ListIterator(const FingerMemtable* list, bool onHeap) : list_(list), onHeap_(onHeap) {
      if (onHeap_) heapIterators.fetch_add(1, std::memory_order_relaxed);
    }
    ~ListIterator() override {
      if (onHeap_) heapIterators.fetch_sub(1, std::memory_order_relaxed);
    }
    bool Valid() const override { return node_ != nullptr; }
    const char* key() const override { return node_; }
    void Next() override { node_ = next(node_, 0); }
    void Prev() override { node_ = list_->beforeOrNull(list_->findLessThan(internalKeyOf(node_))); }
    void Seek(const rocksdb::Slice& internalKey, const char*) override {
      node_ = list_->seek(internalKey);
    }
    void SeekForPrev(const rocksdb::Slice& internalKey, const char* memtableKey) override {
      Seek(internalKey, memtableKey);
      if (!Valid()) SeekToLast();
      while (Valid() && compareInternalKeys(internalKeyOf(node_), internalKey) > 0) Prev();
    }
    void SeekToFirst() override { node_ = next(list_->head_, 0); }
    void SeekToLast() override { node_ = list_->beforeOrNull(list_->findLast()); }

   private:
    const FingerMemtable* list_;
    const bool onHeap_;
    Node node_ = nullptr;
  };

  Iterator* GetIterator(rocksdb::Arena* arena) override {
    if (!arena) return new ListIterator(this, true);
    void* raw = ArenaBorrower(arena).allocate(sizeof(ListIterator) + alignof(ListIterator) - 1);
    return new (alignUp(raw, alignof(ListIterator))) ListIterator(this, false);
  }

 private:
  Node allocateNode(int height, size_t entryBytes, char** buf) {
    char* raw = nullptr;
    MemTableRep::Allocate(height * kLinkBytes + entryBytes + alignof(std::atomic<Node>) - 1, &raw);
    Node node = static_cast<Node>(alignUp(raw, alignof(std::atomic<Node>))) + height * kLinkBytes;
    for (int i = 0; i < height; ++i) new (&link(node, i)) std::atomic<Node>(nullptr);
    if (buf) *buf = node;
    return node;
  }

  uint64_t nextRandom() {
    random_ ^= random_ << 13;
    random_ ^= random_ >> 7;
    random_ ^= random_ << 17;
    return random_;
  }

  bool before(Node node, const rocksdb::Slice& key) const {
    return compareInternalKeys(internalKeyOf(node), key) < 0;
  }
  Node beforeOrNull(Node node) const { return node == head_ ? nullptr : node; }

  // The last node that isBefore accepts, head_ if none: the walk from the top that every
  // search is (the nodes isBefore accepts come first).
  template <class IsBefore>
  Node lastAccepted(IsBefore isBefore) const {
    Node x = head_;
    for (int level = maxHeight_.load(std::memory_order_relaxed) - 1; level >= 0; --level)
      for (Node n = next(x, level); n && isBefore(n); n = next(x, level)) x = n;
    return x;
  }
  // The last node before key: head_ if none.
  Node findLessThan(const rocksdb::Slice& key) const {
    return lastAccepted([&](Node n) { return before(n, key); });
  }
  Node findGreaterOrEqual(const rocksdb::Slice& key) const { return next(findLessThan(key), 0); }

  // The prefix index: for each key prefix, its first node. A seek starts there and steps
  // forward, instead of descending the list from the top, a cache miss at every level. Kept
  // only for stores whose keys are written once and read by prefix (a join's window stores:
  // a prefix holds a key's few records); for others the inserts' hashing and probing cost
  // more than the seeks save (docs/benchmark-profiles.md). Open addressing, in the arena;
  // a grown table is published with a release store, and an outgrown one stays readable
  // until the memtable goes. A reader may see a slot or table an insert is about to replace:
  // then it misses only that insert's key, whose sequence number its snapshot cannot see yet.
  struct PrefixTable {
    size_t mask;
    std::atomic<Node>* slots;
  };
  // Past this many nodes of one prefix (a hot key's records), search from the top: the
  // walk costs a cache miss a node, as the descent does a level.
  static constexpr int kMaxSteps = 8;

  bool indexable(const rocksdb::Slice& internalKey) const {
    return prefixBytes_ > 0 && internalKey.size() >= prefixBytes_ + 8;
  }
  static bool samePrefix(const char* a, const char* b, size_t bytes) { return std::memcmp(a, b, bytes) == 0; }
  size_t prefixHash(const rocksdb::Slice& internalKey) const {
    return hashKeyBytes(std::string_view(internalKey.data(), prefixBytes_));
  }

  Node seek(const rocksdb::Slice& key) const {
    if (indexable(key)) {
      if (const PrefixTable* t = table_.load(std::memory_order_acquire)) {
        for (size_t i = prefixHash(key) & t->mask;; i = (i + 1) & t->mask) {
          Node first = t->slots[i].load(std::memory_order_acquire);
          if (!first) break;  // no node of this prefix (a bloom filter's false positive)
          if (!samePrefix(internalKeyOf(first).data(), key.data(), prefixBytes_)) continue;
          Node n = first;
          for (int steps = 0; n && before(n, key); ++steps, n = next(n, 0))
            if (steps == kMaxSteps) return findGreaterOrEqual(key);
          return n;
        }
      }
    }
    return findGreaterOrEqual(key);
  }

  void index(Node x) {
    const rocksdb::Slice key = internalKeyOf(x);
    if (!indexable(key)) return;
    PrefixTable* t = table_.load(std::memory_order_relaxed);
    if (!t || 2 * (indexed_ + 1) > t->mask + 1) t = grow(t);
    if (place(*t, x)) ++indexed_;
  }
  // Puts x in its prefix's slot if x is that prefix's first node; returns whether the prefix is new.
  bool place(PrefixTable& t, Node x) {
    const rocksdb::Slice key = internalKeyOf(x);
    for (size_t i = prefixHash(key) & t.mask;; i = (i + 1) & t.mask) {
      Node n = t.slots[i].load(std::memory_order_relaxed);
      if (!n) {
        t.slots[i].store(x, std::memory_order_release);
        return true;
      }
      const rocksdb::Slice existing = internalKeyOf(n);
      if (!samePrefix(existing.data(), key.data(), prefixBytes_)) continue;
      if (compareInternalKeys(key, existing) < 0) t.slots[i].store(x, std::memory_order_release);
      return false;
    }
  }
  PrefixTable* grow(PrefixTable* old) {
    const size_t capacity = old ? 2 * (old->mask + 1) : 1024;
    auto* t = static_cast<PrefixTable*>(alignUp(arenaBytes(sizeof(PrefixTable) + alignof(PrefixTable) - 1), alignof(PrefixTable)));
    t->mask = capacity - 1;
    t->slots = static_cast<std::atomic<Node>*>(
        alignUp(arenaBytes(capacity * sizeof(std::atomic<Node>) + alignof(std::atomic<Node>) - 1), alignof(std::atomic<Node>)));
    for (size_t i = 0; i < capacity; ++i) new (&t->slots[i]) std::atomic<Node>(nullptr);
    if (old)
      for (size_t i = 0; i <= old->mask; ++i)
        if (Node n = old->slots[i].load(std::memory_order_relaxed)) place(*t, n);
    table_.store(t, std::memory_order_release);
    return t;
  }
  void* arenaBytes(size_t bytes) {
    char* raw = nullptr;
    MemTableRep::Allocate(bytes, &raw);
    return raw;
  }
  Node findLast() const {
    return lastAccepted([](Node) { return true; });
  }

  // The writer's finger: finger_[i] is the node after which the last insert went in at level
  // i (the inserted node itself at its own levels), so the gap after finger_[i] at level i
  // holds the last key's place, and a higher level's gap holds a lower one's. A key after
  // the last one starts at the lowest level whose gap holds it, and walks down from there.
  bool insert(Node x) {
    const int height = static_cast<int>(reinterpret_cast<uintptr_t>(link(x, 0).load(std::memory_order_relaxed)));
    const rocksdb::Slice key = internalKeyOf(x);
    const int top = maxHeight_.load(std::memory_order_relaxed);
    int bracketing = 0;  // the lowest level whose finger gap holds key
    if (last_ && compareInternalKeys(key, internalKeyOf(last_)) > 0) {
      while (bracketing < top) {
        Node n = next(finger_[bracketing], bracketing);
        if (!n || !before(n, key)) break;
        ++bracketing;
      }
    } else {  // before the last key (or the first insert): search from the top
      std::fill(finger_, finger_ + top, head_);
      bracketing = top;
    }
    Node prev[kMaxHeight];
    for (int i = top - 1; i >= 0; --i) {
      if (i >= bracketing) {
        prev[i] = finger_[i];
        continue;
      }
      // Having moved on at the level above puts that node past this level's finger.
      Node p = (i + 1 < top && prev[i + 1] != finger_[i + 1]) ? prev[i + 1] : finger_[i];
      for (Node n = next(p, i); n && before(n, key); n = next(p, i)) p = n;
      prev[i] = p;
    }
    for (int i = top; i < height; ++i) prev[i] = head_;
    if (Node n = next(prev[0], 0); n && compareInternalKeys(internalKeyOf(n), key) == 0) {
      link(x, 0).store(nullptr, std::memory_order_relaxed);
      return false;  // the same key and sequence number: RocksDB's contract says refuse it
    }
    if (height > top) maxHeight_.store(height, std::memory_order_relaxed);
    for (int i = 0; i < height; ++i) {
      link(x, i).store(link(prev[i], i).load(std::memory_order_relaxed), std::memory_order_relaxed);
      link(prev[i], i).store(x, std::memory_order_release);
    }
    for (int i = 0; i < std::max(top, height); ++i) finger_[i] = i < height ? x : prev[i];
    last_ = x;
    if (prefixBytes_ > 0) index(x);
    return true;
  }

  const size_t prefixBytes_;  // 0: no prefix index
  Node head_ = nullptr;
  std::atomic<int> maxHeight_{1};
  std::atomic<PrefixTable*> table_{nullptr};
  size_t indexed_ = 0;  // prefixes in the table (the writer's)
  // The writer's own state.
  Node finger_[kMaxHeight];
  Node last_ = nullptr;
  uint64_t random_ = 0x9e3779b97f4a7c15ull;
};

class FingerMemtableFactory final : public rocksdb::MemTableRepFactory {
 public:
  explicit FingerMemtableFactory(size_t indexedPrefixBytes) : indexedPrefixBytes_(indexedPrefixBytes) {}
  rocksdb::MemTableRep* CreateMemTableRep(const rocksdb::MemTableRep::KeyComparator&, rocksdb::Allocator* allocator,
                                          const rocksdb::SliceTransform*, rocksdb::Logger*) override {
    return new FingerMemtable(allocator, indexedPrefixBytes_);
  }
  const char* Name() const override { return "kstreams.FingerMemtable"; }

 private:
  const size_t indexedPrefixBytes_;
};

}  // namespace

int64_t fingerMemtableHeapIterators() { return heapIterators.load(std::memory_order_relaxed); }

std::shared_ptr<rocksdb::MemTableRepFactory> newFingerMemtableFactory(size_t indexedPrefixBytes) {
  return std::make_shared<FingerMemtableFactory>(indexedPrefixBytes);
}

}  // namespace kstreams::internal
