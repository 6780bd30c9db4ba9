// The nodes of joins. Internal.
//
// Stream-stream: each side keeps its records in a window store; a record joins the other
// side's records of the same key within the join window. For left and outer joins, a
// record without a partner waits in a shared store until its window (plus grace) closes, and
// only then joins with nothing: no early "no partner" result that a later partner would
// contradict.
//
// Stream-table: a stream record looks its key up in the table's store. Table-table: each
// side's change looks up the other side, and forwards the joined change.
#pragma once

#include <string>

#include "streams/change.h"
#include "streams/internal/node.h"
#include "streams/internal/segmented_stores.h"
#include "streams/internal/table_nodes.h"

namespace kstreams::internal {

enum class JoinKind { kInner, kLeft, kOuter };

// Calls a value joiner with the values in the shapes the join kind hands over: inner
// (const V1&, const V2&), left (const V1&, const std::optional<V2>&), outer (both optional),
// each with or without the key first.
template <JoinKind kKind, class K, class V1, class V2, class Joiner>
auto callJoiner(Joiner& joiner, const K& key, const std::optional<V1>& left, const std::optional<V2>& right) {
  if constexpr (kKind == JoinKind::kInner) {
    if constexpr (std::is_invocable_v<Joiner&, const K&, const V1&, const V2&>) return joiner(key, *left, *right);
    else return joiner(*left, *right);
  } else if constexpr (kKind == JoinKind::kLeft) {
    if constexpr (std::is_invocable_v<Joiner&, const K&, const V1&, const std::optional<V2>&>) return joiner(key, *left, right);
    else return joiner(*left, right);
  } else {
    if constexpr (std::is_invocable_v<Joiner&, const K&, const std::optional<V1>&, const std::optional<V2>&>)
      return joiner(key, left, right);
    else return joiner(left, right);
  }
}

template <JoinKind kKind, class K, class V1, class V2, class Joiner>
using JoinResult = std::decay_t<decltype(callJoiner<kKind, K, V1, V2>(std::declval<Joiner&>(), std::declval<const K&>(),
                                                                     std::declval<const std::optional<V1>&>(),
                                                                     std::declval<const std::optional<V2>&>()))>;

// One side of a stream-stream join: kLeftSide tells which. V1, V2: the left and right values.
template <class K, class V1, class V2, class VR, class Joiner, JoinKind kKind, bool kLeftSide>
class StreamStreamJoinNode final : public RecordInput<K, std::conditional_t<kLeftSide, V1, V2>> {
  using VThis = std::conditional_t<kLeftSide, V1, V2>;
  using VOther = std::conditional_t<kLeftSide, V2, V1>;

 public:
  struct Params {
    std::string name, thisStore, otherStore, outerStore;  // outerStore empty for inner joins
    int64_t beforeMs, afterMs, graceMs;
    Joiner joiner;
    SerdePtr<K> keySerde;
    SerdePtr<V1> leftSerde;
    SerdePtr<V2> rightSerde;
  };
  explicit StreamStreamJoinNode(Params p) : p_(std::move(p)) {}

  void init(TaskContext& context) override {
    NodeInstance::init(context);
    thisStore_ = dynamic_cast<TypedWindowStore<K, VThis>*>(context.stateStore(p_.thisStore));
    otherStore_ = dynamic_cast<TypedWindowStore<K, VOther>*>(context.stateStore(p_.otherStore));
    if (!thisStore_ || !otherStore_) throw TopologyException("join " + p_.name + " cannot find its window stores");
    if (!p_.outerStore.empty()) {
      outer_ = dynamic_cast<KeyValueStore<Bytes, Bytes>*>(context.stateStore(p_.outerStore));
      if (!outer_) throw TopologyException("join " + p_.name + " cannot find its store of unmatched records");
    }
  }
  void addChild(NodeInstance& child, const std::string& name) override { out_.add(child, name); }

  // As Kafka Streams does: the unmatched records whose windows have closed go out first;
  // then the record joins whatever the other side still holds within its window, however
  // late it is. A record older than its store keeps (window plus grace) is not kept for the
  // other side's later records, and counts as dropped; unmatched, it goes out at once if its
  // own window has already passed, as no partner can come any more.
  void process(Record<K, VThis>&& r) override {
    const int64_t ts = r.timestamp;
    const int64_t streamTime = this->context_->streamTime();
    if (outer_) emitUnmatchedWhoseWindowClosed();
    if (!thisStore_->putAt(r.key, r.value, ts, ts))
      this->context_->recordDropped(p_.name, "record (timestamp " + std::to_string(ts) +
                                                 ") older than the join window and grace: joined, not kept");
    const int64_t from = ts - (kLeftSide ? p_.beforeMs : p_.afterMs);
    const int64_t to = ts + (kLeftSide ? p_.afterMs : p_.beforeMs);
    bool matched = false;
    for (const auto& kv : otherStore_->fetch(r.key, from, to)) {
      matched = true;
      emit(r.key, std::optional<VThis>(r.value), std::optional<VOther>(kv.value), std::max(ts, kv.key), r.headers);
      if (outer_) outer_->remove(outerKey(kv.key, !kLeftSide, r.key));
    }
    const bool waits = kKind == JoinKind::kOuter || (kKind == JoinKind::kLeft && kLeftSide);
    if (matched || !waits) return;
    if (to < streamTime) {
      emit(r.key, std::optional<VThis>(std::move(r.value)), std::nullopt, ts, r.headers);
      return;
    }
    // Records of one key, side and timestamp wait together: a list of values, each after
    // its length (4 bytes), in arrival order.
    const Bytes key = outerKey(ts, kLeftSide, r.key);
    Bytes values;
    if (std::optional<Bytes> waiting = outer_->get(key)) values = std::move(*waiting);
    const size_t at = values.data.size();
    values.data.append(4, '\0');
    serdeThis()->serialize(r.value, values.data);
    writeBigEndian(values.data.data() + at, static_cast<uint32_t>(values.data.size() - at - 4));
    outer_->put(key, values);
  }

 private:
  const SerdePtr<VThis>& serdeThis() const {
    if constexpr (kLeftSide) return p_.leftSerde;
    else return p_.rightSerde;
  }
  // [timestamp: 8][side: 1][key bytes]
  Bytes outerKey(int64_t ts, bool leftSide, const K& key) {
    Bytes b;
    appendInt64(b.data, ts);
    b.data.push_back(leftSide ? 'L' : 'R');
    p_.keySerde->serialize(key, b.data);
    return b;
  }
  void emit(const K& key, std::optional<VThis> mine, std::optional<VOther> theirs, int64_t ts, const Headers& headers) {
    std::optional<V1> left;
    std::optional<V2> right;
    if constexpr (kLeftSide) {
      left = std::move(mine);
      right = std::move(theirs);
    } else {
      left = std::move(theirs);
      right = std::move(mine);
    }
    out_.forward(Record<K, VR>{key, callJoiner<kKind, K, V1, V2>(p_.joiner, key, left, right), ts, headers});
  }
  void emitUnmatchedWhoseWindowClosed() {
    const int64_t streamTime = this->context_->streamTime();
    const int64_t earliest = std::min(p_.afterMs, p_.beforeMs) + p_.graceMs;
    std::vector<std::pair<Bytes, Bytes>> closed;
    for (const auto& kv : outer_->all()) {
      const int64_t ts = readInt64(kv.key.data, 0);
      if (ts + earliest >= streamTime) break;  // ordered by timestamp: the rest is still open
      const bool leftSide = kv.key.data[8] == 'L';
      if (ts + (leftSide ? p_.afterMs : p_.beforeMs) + p_.graceMs < streamTime) closed.emplace_back(kv.key, kv.value);
    }
    for (auto& [key, values] : closed) {
      outer_->remove(key);
      const bool leftSide = key.data[8] == 'L';
      K k = p_.keySerde->deserialize(std::string_view(key.data).substr(9));
      const int64_t ts = readInt64(key.data, 0);
      std::string_view list = values.data;
      while (list.size() >= 4) {
        const uint32_t size = readBigEndian<uint32_t>(list.data());
        const std::string_view value = list.substr(4, size);
        list.remove_prefix(4 + value.size());
        std::optional<V1> left;
        std::optional<V2> right;
        if (leftSide) left = p_.leftSerde->deserialize(value);
        else right = p_.rightSerde->deserialize(value);
        out_.forward(Record<K, VR>{k, callJoiner<kKind, K, V1, V2>(p_.joiner, k, left, right), ts, {}});
      }
    }
  }

 private:
  Params p_;
  TypedWindowStore<K, VThis>* thisStore_ = nullptr;
  TypedWindowStore<K, VOther>* otherStore_ = nullptr;
  KeyValueStore<Bytes, Bytes>* outer_ = nullptr;
  Downstream<K, VR> out_;
};

// A stream record joined with its key's row of a table.
template <class K, class V, class VT, class VR, class Joiner, JoinKind kKind>
class StreamTableJoinNode final : public RecordInput<K, V> {
 public:
  StreamTableJoinNode(std::string name, std::string tableStore, Joiner joiner)
      : name_(std::move(name)), storeName_(std::move(tableStore)), joiner_(std::move(joiner)) {}
  void init(TaskContext& context) override {
    NodeInstance::init(context);
    if (!table_.attach(context.stateStore(storeName_)))
      throw TopologyException("join " + name_ + " cannot find the table's store " + storeName_);
  }
  void addChild(NodeInstance& child, const std::string& name) override { out_.add(child, name); }
  void process(Record<K, V>&& r) override {
    std::optional<VT> other = lookUp(r.key, r.timestamp);
    if (!other && kKind == JoinKind::kInner) return;
    std::optional<V> mine(std::move(r.value));
    out_.forward(Record<K, VR>{r.key, callJoiner<kKind, K, V, VT>(joiner_, r.key, mine, other), r.timestamp,
                               std::move(r.headers)});
  }

 private:
  std::string name_;
  std::string storeName_;
  Joiner joiner_;
  // A versioned table (KIP-914) answers with the row as of the stream record's time; a
  // plain one with its current row.
  std::optional<VT> lookUp(const K& key, int64_t timestamp) {
    if (VersionedTableStore<K, VT>* versioned = table_.versioned()) {
      std::optional<VersionedRecord<VT>> row = versioned->get(key, timestamp);
      if (!row) return std::nullopt;
      return std::move(row->value);
    }
    std::optional<ValueAndTimestamp<VT>> row = table_.get(key);
    if (!row) return std::nullopt;
    return std::move(row->value);
  }

  TableRows<K, VT> table_;
  Downstream<K, VR> out_;
};

// One side of a table-table join: its changes joined with the other table's current row.
template <class K, class V1, class V2, class VR, class Joiner, JoinKind kKind, bool kLeftSide>
class TableTableJoinNode final : public RecordInput<K, Change<std::conditional_t<kLeftSide, V1, V2>>> {
  using VThis = std::conditional_t<kLeftSide, V1, V2>;
  using VOther = std::conditional_t<kLeftSide, V2, V1>;

 public:
  TableTableJoinNode(std::string name, std::string otherStore, Joiner joiner)
      : name_(std::move(name)), otherStoreName_(std::move(otherStore)), joiner_(std::move(joiner)) {}
  void init(TaskContext& context) override {
    NodeInstance::init(context);
    if (!other_.attach(context.stateStore(otherStoreName_)))
      throw TopologyException("join " + name_ + " cannot find the other table's store " + otherStoreName_);
    sendOldValues_ = out_.needsOldValues();
  }
  void addChild(NodeInstance& child, const std::string& name) override { out_.add(child, name); }
  void process(Record<K, Change<VThis>>&& r) override {
    std::optional<ValueAndTimestamp<VOther>> row = other_.get(r.key);
    std::optional<VOther> other;
    int64_t ts = r.timestamp;
    if (row) {
      other = std::move(row->value);
      ts = std::max(ts, row->timestamp);
    }
    Change<VR> change{join(r.key, r.value.newValue, other), std::nullopt};
    // A delete always carries its old row: whether it removes a joined row depends on it.
    if (sendOldValues_ || !r.value.newValue) change.oldValue = join(r.key, r.value.oldValue, other);
    if (change.newValue || change.oldValue)
      out_.forward(Record<K, Change<VR>>{std::move(r.key), std::move(change), ts, std::move(r.headers)});
  }
  // The old join result is worth computing only for children that read it.
  bool needsOldValues() const override { return out_.needsOldValues(); }

 private:
  // The joined value of one version of this side's row with the other side's row, if the
  // join kind has one.
  std::optional<VR> join(const K& key, const std::optional<VThis>& mine, const std::optional<VOther>& other) {
    if constexpr (kLeftSide) return joinSides(key, mine, other);
    else return joinSides(key, other, mine);
  }
  std::optional<VR> joinSides(const K& key, const std::optional<V1>& left, const std::optional<V2>& right) {
    const bool present = kKind == JoinKind::kInner  ? left && right
                         : kKind == JoinKind::kLeft ? left.has_value()
                                                    : left || right;
    if (!present) return std::nullopt;
    return callJoiner<kKind, K, V1, V2>(joiner_, key, left, right);
  }

  std::string name_;
  std::string otherStoreName_;
  Joiner joiner_;
  // Of a versioned table, its latest version: its source forwards no older one, so the two
  // sides stay in step.
  TableRows<K, VOther> other_;
  bool sendOldValues_ = true;
  Downstream<K, Change<VR>> out_;
};

// A stream record joined with the row of a global table that its key selector picks.
template <class K, class V, class KG, class VG, class VR, class Selector, class Joiner, JoinKind kKind>
class StreamGlobalTableJoinNode final : public RecordInput<K, V> {
 public:
  StreamGlobalTableJoinNode(std::string name, std::string store, Selector selector, Joiner joiner, SerdePtr<KG> keySerde,
                            SerdePtr<VG> valueSerde)
      : name_(std::move(name)), store_(std::move(store)), selector_(std::move(selector)), joiner_(std::move(joiner)),
        keySerde_(std::move(keySerde)), valueSerde_(std::move(valueSerde)) {}
  void init(TaskContext& context) override {
    NodeInstance::init(context);
    auto reader = context.globalStore(store_);
    if (!reader) throw TopologyException("join " + name_ + " cannot find the global store " + store_);
    table_ = std::make_unique<TypedReadOnlyStore<KG, VG>>(std::move(reader), keySerde_, valueSerde_);
  }
  void addChild(NodeInstance& child, const std::string& name) override { out_.add(child, name); }
  void process(Record<K, V>&& r) override {
    KG globalKey = selector_(std::as_const(r.key), std::as_const(r.value));
    std::optional<VG> row = table_->get(globalKey);
    if (!row && kKind == JoinKind::kInner) return;
    std::optional<V> mine(std::move(r.value));
    out_.forward(Record<K, VR>{r.key, callJoiner<kKind, K, V, VG>(joiner_, r.key, mine, row), r.timestamp,
                               std::move(r.headers)});
  }

 private:
  std::string name_;
  std::string store_;
  Selector selector_;
  Joiner joiner_;
  SerdePtr<KG> keySerde_;
  SerdePtr<VG> valueSerde_;
  std::unique_ptr<TypedReadOnlyStore<KG, VG>> table_;
  Downstream<K, VR> out_;
};

}  // namespace kstreams::internal
