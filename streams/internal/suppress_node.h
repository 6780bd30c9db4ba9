// The node behind KTable::suppress: a buffer of the latest change per key, in a changelogged
// store (key: the record key's bytes; value: emit time, record timestamp, the change), and an
// in-memory index by emit time that is rebuilt from the store when the task starts. Internal.
#pragma once

#include <map>
#include <set>
#include <string>

#include "streams/change.h"
#include "streams/internal/node.h"
#include "streams/internal/segmented_stores.h"
#include "streams/suppressed.h"

namespace kstreams::internal {

template <class K, class V>
class SuppressNode final : public RecordInput<K, Change<V>> {
 public:
  SuppressNode(std::string name, std::string store, Suppressed suppressed, int64_t grace, SerdePtr<K> keySerde,
               SerdePtr<Change<V>> changeSerde)
      : name_(std::move(name)), storeName_(std::move(store)), suppressed_(std::move(suppressed)), grace_(grace),
        keySerde_(std::move(keySerde)), changeSerde_(std::move(changeSerde)) {}

  void init(TaskContext& context) override {
    NodeInstance::init(context);
    buffer_ = dynamic_cast<KeyValueStore<Bytes, Bytes>*>(context.stateStore(storeName_));
    if (buffer_ == nullptr) throw TopologyException("store " + storeName_ + " is not a suppression buffer");
    for (const auto& kv : buffer_->all()) {
      const int64_t emitAt = readInt64(kv.value.data, 0);
      index_.emplace(emitAt, kv.key.data);
      emitTimes_[kv.key.data] = emitAt;
      bytes_ += static_cast<int64_t>(kv.key.data.size() + kv.value.data.size());
    }
  }
  void addChild(NodeInstance& child, const std::string& name) override { out_.add(child, name); }

  void process(Record<K, Change<V>>&& r) override {
    observed_ = std::max(observed_, r.timestamp);
    Bytes key;
    keySerde_->serialize(r.key, key.data);
    Change<V> change = std::move(r.value);
    int64_t emitAt;
    auto known = emitTimes_.find(key.data);
    if (known != emitTimes_.end()) {
      // Keep the value from before the first held update as the old value.
      emitAt = known->second;
      auto held = buffer_->get(key);
      if (held) change.oldValue = decode(held->data).value.oldValue;
      remove(key, /*fromStore=*/false);
    } else if (suppressed_.untilWindowClosesSet()) {
      if constexpr (IsWindowed<K>::value) emitAt = r.key.window.end + grace_;
      else emitAt = r.timestamp;  // not reachable: the DSL only allows it on windowed tables
    } else {
      emitAt = r.timestamp + suppressed_.timeLimitMs();
    }
    Bytes entry;
    appendInt64(entry.data, emitAt);
    appendInt64(entry.data, r.timestamp);
    changeSerde_->serialize(change, entry.data);
    bytes_ += static_cast<int64_t>(key.data.size() + entry.data.size());
    buffer_->put(key, entry);
    index_.emplace(emitAt, key.data);
    emitTimes_[key.data] = emitAt;
    // Due entries leave before the limits are checked (as in Kafka Streams): a record that
    // closes windows makes room rather than finding the buffer full.
    emitDue();
    enforceLimits();
  }

 private:
  struct Held {
    int64_t timestamp;
    Change<V> value;
  };
  Held decode(std::string_view entry) const {
    return Held{readInt64(entry, 8), changeSerde_->deserialize(entry.substr(16))};
  }

  void remove(const Bytes& key, bool fromStore) {
    auto known = emitTimes_.find(key.data);
    if (known == emitTimes_.end()) return;
    auto range = index_.equal_range(known->second);
    for (auto it = range.first; it != range.second; ++it)
      if (it->second == key.data) {
        index_.erase(it);
        break;
      }
    emitTimes_.erase(known);
    auto held = buffer_->get(key);
    if (held) bytes_ -= static_cast<int64_t>(key.data.size() + held->data.size());
    if (fromStore) buffer_->remove(key);
  }

  // Takes the key by value: callers pass index_ entries, which remove() erases.
  void emit(std::string keyBytes) {
    Bytes key{keyBytes};
    auto held = buffer_->get(key);
    remove(key, true);
    if (!held) return;
    Held h = decode(held->data);
    // A final result that is "no window" (a session merged into a later one, say) is not a
    // result: untilWindowCloses drops it, as Kafka Streams' final-results suppression does.
    if (!h.value.newValue && suppressed_.untilWindowClosesSet()) return;
    out_.forward(Record<K, Change<V>>{keySerde_->deserialize(keyBytes), std::move(h.value), h.timestamp, {}});
  }

  void emitDue() {
    while (!index_.empty() && index_.begin()->first <= observed_) emit(index_.begin()->second);
  }

  void enforceLimits() {
    const BufferConfig& b = suppressed_.buffer();
    auto full = [&] {
      return (b.maxRecordsLimit() && static_cast<int64_t>(emitTimes_.size()) > *b.maxRecordsLimit()) ||
             (b.maxBytesLimit() && bytes_ > *b.maxBytesLimit());
    };
    while (full() && !index_.empty()) {
      if (b.shutDownWhenFullSet())
        throw StreamsException("suppression buffer " + storeName_ + " of " + name_ +
                               " is full; raise its BufferConfig limit or use BufferConfig::unbounded()");
      emit(index_.begin()->second);  // emit early, oldest first
    }
  }

  std::string name_;
  std::string storeName_;
  Suppressed suppressed_;
  int64_t grace_;
  SerdePtr<K> keySerde_;
  SerdePtr<Change<V>> changeSerde_;
  KeyValueStore<Bytes, Bytes>* buffer_ = nullptr;
  std::multimap<int64_t, std::string> index_;       // emit time -> key bytes
  std::map<std::string, int64_t, std::less<>> emitTimes_;  // key bytes -> emit time
  int64_t bytes_ = 0;
  int64_t observed_ = -1;
  Downstream<K, Change<V>> out_;
};

}  // namespace kstreams::internal
