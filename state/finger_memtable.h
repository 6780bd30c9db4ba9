// The memtable of kstreams' RocksDB stores: a skip list whose single writer starts each
// insert from where the last one went in. Internal.
//
// Why not RocksDB's own skip list: a commit writes a store's pending keys in key order, one
// batch per commit, and RocksDB's list only reuses the last insert's place when the next key
// is its immediate neighbour, so each insert searched from the top. Its hinted insert fixes
// that but, in RocksDB 7.8, shares the hint with range tombstones (facebook/rocksdb#12558).
// And Debian builds RocksDB with assertions on: its list checks each step of every search
// and insert with extra key comparisons, which tripled the comparisons of the hottest loop
// of a state store.
//
// This list climbs from the last insert only as far as the gap to the next key needs
// (O(log gap) for keys in order, a search from the top otherwise), and compares internal keys
// itself: user keys bytewise, then the sequence number descending. So it is only for
// databases with RocksDB's default (bytewise) comparator, as all of kstreams' are.
//
// Readers may run on other threads while the one writer inserts (RocksDB's contract for a
// memtable without concurrent inserts): a node is complete before the release store that
// links it at each level, and readers load links with acquire.
#pragma once

#include <cstdint>
#include <memory>

namespace rocksdb {
class MemTableRepFactory;
}

namespace kstreams::internal {

// With indexedPrefixBytes > 0, each memtable also indexes the first node of every key prefix
// of that many bytes, and seeks start there: for stores whose keys are written once and read
// by prefix (a stream-stream join's window stores).
std::shared_ptr<rocksdb::MemTableRepFactory> newFingerMemtableFactory(size_t indexedPrefixBytes = 0);

// Iterators of these memtables on the heap and not yet destroyed, in the whole process: a
// leak check for tests (arena and stack iterators are not counted).
int64_t fingerMemtableHeapIterators();

}  // namespace kstreams::internal
