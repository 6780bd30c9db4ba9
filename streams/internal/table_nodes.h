// The nodes that keep tables: a stream's aggregation, a source table, a materialized table
// operation, a grouped table's aggregation. Each writes its rows to a store and forwards
// the change (new and old value) downstream — at once, or when the store's cache writes the
// row down, so that a cached table forwards each key's latest value once per commit.
// Internal.
#pragma once

#include <string>

#include "streams/change.h"
#include "streams/internal/node.h"
#include "streams/internal/typed_store.h"
#include "streams/versioned_key_value_store.h"

namespace kstreams::internal {

template <class K, class V>
using TableStore = TypedKeyValueStore<K, ValueAndTimestamp<V>>;
template <class K, class V>
using VersionedTableStore = TypedVersionedKeyValueStore<K, V>;

// A table's rows as the nodes that look them up by key read them (joins, and the table's own
// writer): a plain table's current row, or a versioned table's latest version, which is what
// Kafka Streams' table-table and foreign-key joins read of a versioned table (KIP-914).
template <class K, class V>
class TableRows {
 public:
  // False if `store` is not a table store of K and V, plain or versioned.
  bool attach(StateStore* store) {
    plain_ = dynamic_cast<TableStore<K, V>*>(store);
    versioned_ = plain_ ? nullptr : dynamic_cast<VersionedTableStore<K, V>*>(store);
    return plain_ != nullptr || versioned_ != nullptr;
  }
  std::optional<ValueAndTimestamp<V>> get(const K& key) {
    if (plain_) return plain_->get(key);
    std::optional<VersionedRecord<V>> latest = versioned_->get(key);
    if (!latest) return std::nullopt;
    return ValueAndTimestamp<V>{std::move(latest->value), latest->timestamp};
  }
  TableStore<K, V>* plain() const { return plain_; }
  VersionedTableStore<K, V>* versioned() const { return versioned_; }

 private:
  TableStore<K, V>* plain_ = nullptr;
  VersionedTableStore<K, V>* versioned_ = nullptr;
};

// Writes table rows to a store and forwards their changes.
template <class K, class V>
class TableWriter {
 public:
  void attach(TaskContext& context, const std::string& storeName, Downstream<K, Change<V>>& out) {
    if (!rows_.attach(context.stateStore(storeName)))
      throw TopologyException("store " + storeName + " is not a table store of key type " + typeName<K>() +
                              " and value type " + typeName<V>());
    store_ = rows_.plain();
    versioned_ = rows_.versioned();
    out_ = &out;
    sendOldValues_ = out.needsOldValues();
    if (store_ && store_->cachingEnabled())
      store_->setFlushListener(
          [this](K key, std::optional<ValueAndTimestamp<V>> newValue, std::optional<ValueAndTimestamp<V>> oldValue,
                 int64_t timestamp) {
            Change<V> change;
            if (newValue) change.newValue = std::move(newValue->value);
            if (oldValue) change.oldValue = std::move(oldValue->value);
            out_->forward(Record<K, Change<V>>{std::move(key), std::move(change), timestamp, {}});
          },
          sendOldValues_);
  }

  std::optional<ValueAndTimestamp<V>> get(const K& key) { return rows_.get(key); }

  // Sets the row to value (deletes it when absent) and forwards the change, with the value it
  // replaces if the children read old values or it is a delete; deleting a row that does not
  // exist changes nothing. An update the children take without its old value is a write only:
  // reading the row first was most of a table's cost.
  void set(K key, std::optional<V> value, int64_t timestamp, Headers headers) {
    std::optional<V> oldValue;
    if (sendOldValues_ || !value) {
      std::optional<ValueAndTimestamp<V>> old = get(key);
      if (!old && !value) {
        // A versioned table keeps the delete all the same: reads as of its time find no row.
        if (versioned_) versioned_->putNullable(key, value, timestamp);
        return;
      }
      if (old) oldValue = std::move(old->value);
    }
    write(std::move(key), std::move(value), std::move(oldValue), timestamp, std::move(headers));
  }

  // Stores the row (a delete when newValue is absent) and forwards the change. A versioned
  // table (KIP-914) keeps every record as a version of its key, but only the key's latest
  // version changes the table downstream: a record older than the key's latest is kept for
  // reads as of its time and not forwarded (Kafka Streams forwards it marked as not the
  // latest, for its joins and aggregations to drop: docs/state.md); one older than the
  // history retention is not even kept.
  void write(K key, std::optional<V> newValue, std::optional<V> oldValue, int64_t timestamp, Headers headers) {
    if (versioned_) {
      if (versioned_->putNullable(key, newValue, timestamp) != kVersionValidToUndefined) return;
      out_->forward(Record<K, Change<V>>{std::move(key), Change<V>{std::move(newValue), std::move(oldValue)},
                                         timestamp, std::move(headers)});
      return;
    }
    if (newValue) store_->putAt(key, ValueAndTimestamp<V>{*newValue, timestamp}, timestamp);
    else store_->removeAt(key, timestamp);
    if (!store_->cachingEnabled())
      out_->forward(Record<K, Change<V>>{std::move(key), Change<V>{std::move(newValue), std::move(oldValue)},
                                         timestamp, std::move(headers)});
  }

 private:
  TableRows<K, V> rows_;
  TableStore<K, V>* store_ = nullptr;               // rows_.plain()
  VersionedTableStore<K, V>* versioned_ = nullptr;  // rows_.versioned()
  Downstream<K, Change<V>>* out_ = nullptr;
  bool sendOldValues_ = true;
};

// count / reduce / aggregate of a grouped stream. Fn: VR(const K&, const V&, const std::optional<VR>& current).
template <class K, class V, class VR, class Fn>
class StreamAggregateNode final : public RecordInput<K, V> {
 public:
  StreamAggregateNode(std::string store, Fn fn) : storeName_(std::move(store)), fn_(std::move(fn)) {}
  void init(TaskContext& context) override {
    NodeInstance::init(context);
    table_.attach(context, storeName_, out_);
  }
  void addChild(NodeInstance& child, const std::string& name) override { out_.add(child, name); }
  void process(Record<K, V>&& r) override {
    std::optional<ValueAndTimestamp<VR>> old = table_.get(r.key);
    std::optional<VR> oldValue;
    int64_t timestamp = r.timestamp;
    if (old) {
      oldValue = std::move(old->value);
      timestamp = std::max(timestamp, old->timestamp);
    }
    VR result = fn_(std::as_const(r.key), std::as_const(r.value), std::as_const(oldValue));
    table_.write(std::move(r.key), std::move(result), std::move(oldValue), timestamp, std::move(r.headers));
  }

 private:
  std::string storeName_;
  Fn fn_;
  TableWriter<K, VR> table_;
  Downstream<K, Change<VR>> out_;
};

// A table read from a topic (InK, InV optional) or made from a stream (KStream::toTable):
// a record sets its key's row, a null value deletes it. Records with a null key are
// dropped (and counted).
template <class K, class V, class InK = std::optional<K>, class InV = std::optional<V>>
class TableSourceNode final : public RecordInput<InK, InV> {
 public:
  TableSourceNode(std::string name, std::string store) : name_(std::move(name)), storeName_(std::move(store)) {}
  void init(TaskContext& context) override {
    NodeInstance::init(context);
    table_.attach(context, storeName_, out_);
  }
  void addChild(NodeInstance& child, const std::string& name) override { out_.add(child, name); }
  void process(Record<InK, InV>&& r) override {
    if constexpr (NullableTraits<InK>::kNullable) {
      if (!r.key) {
        this->context_->recordDropped(name_, "a table record has a null key");
        return;
      }
    }
    K key;
    if constexpr (NullableTraits<InK>::kNullable) key = std::move(*r.key);
    else key = std::move(r.key);
    table_.set(std::move(key), std::optional<V>(std::move(r.value)), r.timestamp, std::move(r.headers));
  }

 private:
  std::string name_;
  std::string storeName_;
  TableWriter<K, V> table_;
  Downstream<K, Change<V>> out_;
};

// Keeps the result of a table operation (filter, mapValues) in a store, for queries.
template <class K, class V>
class TableMaterializeNode final : public RecordInput<K, Change<V>> {
 public:
  explicit TableMaterializeNode(std::string store) : storeName_(std::move(store)) {}
  void init(TaskContext& context) override {
    NodeInstance::init(context);
    table_.attach(context, storeName_, out_);
  }
  void addChild(NodeInstance& child, const std::string& name) override { out_.add(child, name); }
  void process(Record<K, Change<V>>&& r) override {
    table_.set(std::move(r.key), std::move(r.value.newValue), r.timestamp, std::move(r.headers));
  }
  // The store holds the old row itself.
  bool needsOldValues() const override { return false; }

 private:
  std::string storeName_;
  TableWriter<K, V> table_;
  Downstream<K, Change<V>> out_;
};

// count / reduce / aggregate of a grouped table: a change's old value is subtracted from its
// group's aggregate and its new value added. Subtract: VR(const K&, const V& old, VR agg);
// Add: VR(const K&, const V& value, const std::optional<VR>& agg).
template <class K, class V, class VR, class Add, class Subtract>
class TableAggregateNode final : public RecordInput<K, Change<V>> {
 public:
  TableAggregateNode(std::string store, Add add, Subtract subtract)
      : storeName_(std::move(store)), add_(std::move(add)), subtract_(std::move(subtract)) {}
  void init(TaskContext& context) override {
    NodeInstance::init(context);
    table_.attach(context, storeName_, out_);
  }
  void addChild(NodeInstance& child, const std::string& name) override { out_.add(child, name); }
  void process(Record<K, Change<V>>&& r) override {
    std::optional<ValueAndTimestamp<VR>> old = table_.get(r.key);
    std::optional<VR> oldValue;
    int64_t timestamp = r.timestamp;
    if (old) {
      oldValue = std::move(old->value);
      timestamp = std::max(timestamp, old->timestamp);
    }
    std::optional<VR> result = oldValue;
    if (r.value.oldValue && result) result = subtract_(std::as_const(r.key), *r.value.oldValue, std::move(*result));
    if (r.value.newValue) result = add_(std::as_const(r.key), *r.value.newValue, std::as_const(result));
    if (!result) return;
    table_.write(std::move(r.key), std::move(result), std::move(oldValue), timestamp, std::move(r.headers));
  }

 private:
  std::string storeName_;
  Add add_;
  Subtract subtract_;
  TableWriter<K, VR> table_;
  Downstream<K, Change<VR>> out_;
};

// Unwraps optional keys and values before grouping; records with a null key or value are
// dropped (and counted), as Kafka Streams' aggregations skip them.
template <class K, class V>
class DropNullsNode final
    : public RecordInput<K, V> {
  using KP = typename NullableTraits<K>::Payload;
  using VP = typename NullableTraits<V>::Payload;

 public:
  explicit DropNullsNode(std::string name) : name_(std::move(name)) {}
  void addChild(NodeInstance& child, const std::string& name) override { out_.add(child, name); }
  void process(Record<K, V>&& r) override {
    if constexpr (NullableTraits<K>::kNullable) {
      if (!r.key) return this->context_->recordDropped(name_, "a record to group has a null key");
    }
    if constexpr (NullableTraits<V>::kNullable) {
      if (!r.value) return this->context_->recordDropped(name_, "a record to aggregate has a null value");
    }
    out_.forward(Record<KP, VP>{unwrap(std::move(r.key)), unwrap(std::move(r.value)), r.timestamp, std::move(r.headers)});
  }

 private:
  template <class T>
  static auto unwrap(T&& v) {
    if constexpr (NullableTraits<std::decay_t<T>>::kNullable) return std::move(*v);
    else return std::move(v);
  }
  std::string name_;
  Downstream<KP, VP> out_;
};

}  // namespace kstreams::internal
