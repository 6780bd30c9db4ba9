// The nodes of a foreign-key table-table join (KTable::join with a foreign-key extractor),
// as Kafka Streams does it (KIP-213). Internal.
//
//   left table --(subscription: fk -> instruction, hash of the left value, pk)--> [subscription topic, keyed by fk]
//   right side: keeps subscriptions in a store keyed by (fk, pk); answers a new subscription,
//     and every subscriber of an fk when the right row changes
//   --(response: pk -> hash, right value)--> [response topic, keyed by pk]
//   left side: joins the response with the left row, unless the row changed since (its hash
//     differs: a newer response is on its way)
#pragma once

#include <string>

#include "streams/change.h"
#include "streams/internal/join_nodes.h"
#include "streams/internal/segmented_stores.h"
#include "streams/internal/table_nodes.h"

namespace kstreams::internal {

enum class Subscription : char { kPropagate = 'P', kDelete = 'D', kDeleteAndPropagate = 'X' };

inline uint64_t valueHash(std::string_view bytes) {
  uint64_t h = 1469598103934665603ULL;  // FNV-1a: stable across processes and builds
  for (unsigned char c : bytes) {
    h ^= c;
    h *= 1099511628211ULL;
  }
  return h;
}

// Left side: each change of a left row (re)subscribes its foreign key.
// Out: fk -> [instruction: 1][hash: 8][pk bytes].
template <class K, class V, class KO, class Extractor>
class SubscriptionSender final : public RecordInput<K, Change<V>> {
 public:
  SubscriptionSender(Extractor fk, SerdePtr<K> keySerde, SerdePtr<V> valueSerde)
      : fk_(std::move(fk)), keySerde_(std::move(keySerde)), valueSerde_(std::move(valueSerde)) {}
  void addChild(NodeInstance& child, const std::string& name) override { out_.add(child, name); }
  void process(Record<K, Change<V>>&& r) override {
    const Change<V>& c = r.value;
    std::optional<KO> newFk, oldFk;
    if (c.newValue) newFk = fk_(std::as_const(*c.newValue));
    if (c.oldValue) oldFk = fk_(std::as_const(*c.oldValue));
    if (oldFk && (!newFk || *oldFk != *newFk))
      send(*oldFk, newFk ? Subscription::kDelete : Subscription::kDeleteAndPropagate, 0, r);
    if (newFk) {
      std::string bytes;
      valueSerde_->serialize(*c.newValue, bytes);
      send(*newFk, Subscription::kPropagate, valueHash(bytes), r);
    }
  }

 private:
  void send(const KO& fk, Subscription instruction, uint64_t hash, const Record<K, Change<V>>& r) {
    Bytes value;
    value.data.push_back(static_cast<char>(instruction));
    appendInt64(value.data, static_cast<int64_t>(hash));
    keySerde_->serialize(r.key, value.data);
    out_.forward(Record<KO, Bytes>{fk, std::move(value), r.timestamp, {}});
  }
  Extractor fk_;
  SerdePtr<K> keySerde_;
  SerdePtr<V> valueSerde_;
  Downstream<KO, Bytes> out_;
};

// Response: pk -> [hash: 8][has value: 1][right value bytes].
template <class K>
Record<K, Bytes> makeResponse(K pk, uint64_t hash, const std::optional<std::string>& rightValue, int64_t timestamp) {
  Bytes b;
  appendInt64(b.data, static_cast<int64_t>(hash));
  b.data.push_back(rightValue ? 1 : 0);
  if (rightValue) b.data += *rightValue;
  return Record<K, Bytes>{std::move(pk), std::move(b), timestamp, {}};
}

// Subscription store keys: [fk length: 4][fk bytes][pk bytes], so one fk's subscribers are
// one prefix.
inline std::string subscriptionKey(std::string_view fk, std::string_view pk) {
  std::string key;
  appendInt32(key, static_cast<uint32_t>(fk.size()));
  key.append(fk);
  key.append(pk);
  return key;
}

// Right side: receives subscriptions, answers them with the right row.
template <class K, class KO, class VO>
class SubscriptionReceiver final : public RecordInput<KO, Bytes> {
 public:
  SubscriptionReceiver(std::string subscriptions, std::string rightStore, SerdePtr<K> keySerde, SerdePtr<KO> fkSerde,
                       SerdePtr<VO> rightSerde)
      : subscriptionsName_(std::move(subscriptions)), rightName_(std::move(rightStore)), keySerde_(std::move(keySerde)),
        fkSerde_(std::move(fkSerde)), rightSerde_(std::move(rightSerde)) {}
  void init(TaskContext& context) override {
    NodeInstance::init(context);
    subscriptions_ = dynamic_cast<KeyValueStore<Bytes, Bytes>*>(context.stateStore(subscriptionsName_));
    if (!subscriptions_ || !right_.attach(context.stateStore(rightName_)))
      throw TopologyException("foreign-key join cannot find its stores");
  }
  void addChild(NodeInstance& child, const std::string& name) override { out_.add(child, name); }
  void process(Record<KO, Bytes>&& r) override {
    const std::string& v = r.value.data;
    const auto instruction = static_cast<Subscription>(v[0]);
    const auto hash = static_cast<uint64_t>(readInt64(v, 1));
    const std::string_view pkBytes = std::string_view(v).substr(9);
    std::string fkBytes;
    fkSerde_->serialize(r.key, fkBytes);
    Bytes key{subscriptionKey(fkBytes, pkBytes)};
    K pk = keySerde_->deserialize(pkBytes);
    const bool propagate = instruction == Subscription::kPropagate;
    if (propagate) {
      Bytes h;
      appendInt64(h.data, static_cast<int64_t>(hash));
      subscriptions_->put(key, h);
    } else {
      subscriptions_->remove(key);
      if (instruction != Subscription::kDeleteAndPropagate) return;
    }
    // The answer: the row (for a subscription), as new as the newer of the subscription and
    // the row, as in Kafka Streams.
    std::optional<std::string> rightValue;
    int64_t timestamp = r.timestamp;
    if (auto row = right_.get(r.key)) {
      if (propagate) rightSerde_->serialize(row->value, rightValue.emplace());
      timestamp = std::max(timestamp, row->timestamp);
    }
    out_.forward(makeResponse(std::move(pk), hash, rightValue, timestamp));
  }

 private:
  std::string subscriptionsName_, rightName_;
  SerdePtr<K> keySerde_;
  SerdePtr<KO> fkSerde_;
  SerdePtr<VO> rightSerde_;
  KeyValueStore<Bytes, Bytes>* subscriptions_ = nullptr;
  TableRows<KO, VO> right_;
  Downstream<K, Bytes> out_;
};

// Right side: a right row changed; every subscriber hears of it.
template <class K, class KO, class VO>
class RightChangeNotifier final : public RecordInput<KO, Change<VO>> {
 public:
  RightChangeNotifier(std::string subscriptions, SerdePtr<K> keySerde, SerdePtr<KO> fkSerde, SerdePtr<VO> rightSerde)
      : subscriptionsName_(std::move(subscriptions)), keySerde_(std::move(keySerde)), fkSerde_(std::move(fkSerde)),
        rightSerde_(std::move(rightSerde)) {}
  void init(TaskContext& context) override {
    NodeInstance::init(context);
    subscriptions_ = dynamic_cast<KeyValueStore<Bytes, Bytes>*>(context.stateStore(subscriptionsName_));
    if (!subscriptions_) throw TopologyException("foreign-key join cannot find its subscription store");
  }
  void addChild(NodeInstance& child, const std::string& name) override { out_.add(child, name); }
  void process(Record<KO, Change<VO>>&& r) override {
    std::string fkBytes;
    fkSerde_->serialize(r.key, fkBytes);
    std::optional<std::string> rightValue;
    if (r.value.newValue) {
      rightValue.emplace();
      rightSerde_->serialize(*r.value.newValue, *rightValue);
    }
    const std::string prefix = subscriptionKey(fkBytes, "");
    for (const auto& kv : subscriptions_->prefixScan(Bytes{prefix}, Serdes::Bytes()))
      out_.forward(makeResponse(keySerde_->deserialize(std::string_view(kv.key.data).substr(prefix.size())),
                                static_cast<uint64_t>(readInt64(kv.value.data, 0)), rightValue, r.timestamp));
  }
  // Subscribers hear the new row only.
  bool needsOldValues() const override { return false; }

 private:
  std::string subscriptionsName_;
  SerdePtr<K> keySerde_;
  SerdePtr<KO> fkSerde_;
  SerdePtr<VO> rightSerde_;
  KeyValueStore<Bytes, Bytes>* subscriptions_ = nullptr;
  Downstream<K, Bytes> out_;
};

// Left side: a response joined with the left row it answers, unless that row changed since.
template <class K, class V, class VO, class VR, class Joiner, JoinKind kKind>
class ResponseJoiner final : public RecordInput<K, Bytes> {
 public:
  ResponseJoiner(std::string leftStore, Joiner joiner, SerdePtr<V> leftSerde, SerdePtr<VO> rightSerde)
      : leftName_(std::move(leftStore)), joiner_(std::move(joiner)), leftSerde_(std::move(leftSerde)),
        rightSerde_(std::move(rightSerde)) {}
  void init(TaskContext& context) override {
    NodeInstance::init(context);
    if (!left_.attach(context.stateStore(leftName_)))
      throw TopologyException("foreign-key join cannot find the left table's store " + leftName_);
  }
  void addChild(NodeInstance& child, const std::string& name) override { out_.add(child, name); }
  void process(Record<K, Bytes>&& r) override {
    const std::string& v = r.value.data;
    const auto hash = static_cast<uint64_t>(readInt64(v, 0));
    std::optional<VO> right;
    if (v[8]) right = rightSerde_->deserialize(std::string_view(v).substr(9));
    std::optional<ValueAndTimestamp<V>> row = left_.get(r.key);
    if (!row) {  // the left row is gone: so is the result
      out_.forward(Record<K, Change<VR>>{std::move(r.key), Change<VR>{}, r.timestamp, {}});
      return;
    }
    std::string current;
    leftSerde_->serialize(row->value, current);
    if (valueHash(current) != hash) return;  // stale: answers an older version of the row
    std::optional<VR> result;
    if (right || kKind == JoinKind::kLeft) {
      std::optional<V> left(std::move(row->value));
      result = callJoiner<kKind, K, V, VO>(joiner_, r.key, left, right);
    }
    // The answer's timestamp already says when: a subscription answered (the newer of it and
    // the right row) or a right row changed. Kafka Streams takes it as it is.
    out_.forward(Record<K, Change<VR>>{std::move(r.key), Change<VR>{std::move(result), std::nullopt}, r.timestamp, {}});
  }

 private:
  std::string leftName_;
  Joiner joiner_;
  SerdePtr<V> leftSerde_;
  SerdePtr<VO> rightSerde_;
  TableRows<K, V> left_;
  Downstream<K, Change<VR>> out_;
};

}  // namespace kstreams::internal
