// The joins of KStream and KTable (declared in kstream.h and ktable.h). Included by
// streams_builder.h.
#pragma once

#include "streams/global_ktable.h"
#include "streams/internal/fk_join_nodes.h"
#include "streams/internal/join_nodes.h"
#include "streams/joined.h"
#include "streams/kgrouped_stream.h"
#include "streams/ktable.h"

namespace kstreams {
namespace internal {

// A merge node that forwards whatever either parent forwards.
template <class K, class V>
size_t addMergeNode(TopologyGraph& graph, std::vector<size_t> parents, std::string name, std::string lineage) {
  GraphNode node;
  node.kind = GraphNode::Kind::kProcessor;
  node.seesHeaders = false;
  node.name = std::move(name);
  node.inKey = node.outKey = &typeid(K);
  node.inValue = node.outValue = &typeid(V);
  node.lineage = std::move(lineage);
  node.factory = [](const SerdeDefaults&) {
    auto pass = [](Record<K, V>&& r, Downstream<K, V>& out) { out.forward(std::move(r)); };
    return std::make_unique<StatelessNode<K, V, K, V, decltype(pass)>>(pass, OldValues::kPassedOn);
  };
  return graph.addNode(std::move(node), parents);
}

// The stream, repartitioned by its key first if its key may have changed. The join's own
// serdes win over the stream's.
template <class K, class V>
KStream<K, V> repartitionedForJoin(const KStream<K, V>& stream, const std::string& name, SerdePtr<K> keySerde,
                                   SerdePtr<V> valueSerde) {
  if (!stream.repartitionRequired()) return stream;
  return stream.repartition(Repartitioned<K, V>::as(name)
                                .withKeySerde(keySerde ? keySerde : stream.keySerde())
                                .withValueSerde(valueSerde ? valueSerde : stream.valueSerde()));
}

inline void addCopartitionGroup(TopologyGraph& graph, size_t a, size_t b) {
  std::set<std::string> topics = graph.sourceTopicsOf(a);
  for (const auto& t : graph.sourceTopicsOf(b)) topics.insert(t);
  graph.addCopartitionGroup(std::move(topics));
}

template <JoinKind kKind, class K, class V1, class V2, class Joiner>
KStream<K, JoinResult<kKind, K, V1, V2, Joiner>> streamStreamJoin(const KStream<K, V1>& self, const KStream<K, V2>& other,
                                                                  Joiner joiner, const JoinWindows& windows,
                                                                  const StreamJoined<K, V1, V2>& sj, const char* kind) {
  using VR = JoinResult<kKind, K, V1, V2, Joiner>;
  static_assert(!NullableTraits<K>::kNullable && !NullableTraits<V1>::kNullable && !NullableTraits<V2>::kNullable,
                "join streams of non-optional keys and values: filter out nulls first");
  auto& graph = *self.graph();
  if (other.graph() != self.graph()) throw TopologyException("join() needs two streams of the same StreamsBuilder");
  const std::string lineage = graph.childLineage(self.node(), kind);
  const std::string base = sj.name.empty() ? TopologyGraph::stableName("KSTREAM-JOIN-", lineage) : sj.name;
  KStream<K, V1> left = repartitionedForJoin(self, base + "-left", sj.keySerde, sj.valueSerde);
  KStream<K, V2> right = repartitionedForJoin(other, base + "-right", sj.keySerde, sj.otherValueSerde);
  const std::string storeBase = sj.storeName.empty() ? base : sj.storeName;
  const std::string thisStore = storeBase + "-this-join-store", otherStore = storeBase + "-other-join-store";
  // Each key holds a list of records (their values after their lengths); named apart from
  // the single-record format of before, which this one cannot read.
  const std::string outerStore = kKind == JoinKind::kInner ? "" : storeBase + "-outer-join-list-store";
  SerdePtr<K> ks = sj.keySerde ? sj.keySerde : (self.keySerde() ? self.keySerde() : other.keySerde());
  SerdePtr<V1> vs1 = sj.valueSerde ? sj.valueSerde : self.valueSerde();
  SerdePtr<V2> vs2 = sj.otherValueSerde ? sj.otherValueSerde : other.valueSerde();
  const int64_t size = windows.beforeMs() + windows.afterMs();
  // Inclusive: a record exactly window and grace older than its side's newest can still
  // join (with a window of 0 ms, a record of the newest timestamp itself).
  const int64_t retention = size + windows.gracePeriodMs() + 1;
  graph.addStore(windowStoreSpec<K, V1, false>(StoreKind::kWindow, thisStore, true, sj.logging, false, {}, ks, vs1, size,
                                              retention, true));
  graph.addStore(windowStoreSpec<K, V2, false>(StoreKind::kWindow, otherStore, true, sj.logging, false, {}, ks, vs2, size,
                                              retention, true));
  if (!outerStore.empty())
    graph.addStore(keyValueStoreSpec<Bytes, Bytes, false>(outerStore, true, sj.logging, false, {}, Serdes::Bytes(),
                                                          Serdes::Bytes()));

  auto params = [=](const SerdeDefaults& d, const std::string& name, const std::string& mine, const std::string& theirs) {
    typename StreamStreamJoinNode<K, V1, V2, VR, Joiner, kKind, true>::Params p;
    p.name = name;
    p.thisStore = mine;
    p.otherStore = theirs;
    p.outerStore = outerStore;
    p.beforeMs = windows.beforeMs();
    p.afterMs = windows.afterMs();
    p.graceMs = windows.gracePeriodMs();
    p.joiner = joiner;
    p.keySerde = resolveSerde<K>(ks, d, true, name);
    p.leftSerde = resolveSerde<V1>(vs1, d, false, name);
    p.rightSerde = resolveSerde<V2>(vs2, d, false, name);
    return p;
  };
  const std::string thisName = sj.name.empty() ? graph.newName("KSTREAM-JOINTHIS-") : base + "-join-this";
  size_t thisNode = addStoreProcessor(
      graph, {left.node()}, thisName, lineage + "/this", thisStore, typeid(K), typeid(V1), typeid(K), typeid(VR),
      [params, thisName, thisStore, otherStore](const SerdeDefaults& d) {
        auto p = params(d, thisName, thisStore, otherStore);
        typename StreamStreamJoinNode<K, V1, V2, VR, Joiner, kKind, true>::Params q{
            p.name, p.thisStore, p.otherStore, p.outerStore, p.beforeMs, p.afterMs, p.graceMs, p.joiner,
            p.keySerde, p.leftSerde, p.rightSerde};
        return std::make_unique<StreamStreamJoinNode<K, V1, V2, VR, Joiner, kKind, true>>(std::move(q));
      });
  graph.connectStore(otherStore, thisNode);
  const std::string otherName = sj.name.empty() ? graph.newName("KSTREAM-JOINOTHER-") : base + "-join-other";
  size_t otherNode = addStoreProcessor(
      graph, {right.node()}, otherName, lineage + "/other", otherStore, typeid(K), typeid(V2), typeid(K), typeid(VR),
      [params, otherName, thisStore, otherStore](const SerdeDefaults& d) {
        auto p = params(d, otherName, otherStore, thisStore);
        typename StreamStreamJoinNode<K, V1, V2, VR, Joiner, kKind, false>::Params q{
            p.name, p.thisStore, p.otherStore, p.outerStore, p.beforeMs, p.afterMs, p.graceMs, p.joiner,
            p.keySerde, p.leftSerde, p.rightSerde};
        return std::make_unique<StreamStreamJoinNode<K, V1, V2, VR, Joiner, kKind, false>>(std::move(q));
      });
  graph.connectStore(thisStore, otherNode);
  if (!outerStore.empty()) {
    graph.connectStore(outerStore, thisNode);
    graph.connectStore(outerStore, otherNode);
  }
  addCopartitionGroup(graph, left.node(), right.node());
  size_t merged = addMergeNode<K, VR>(graph, {thisNode, otherNode},
                                      sj.name.empty() ? graph.newName("KSTREAM-MERGE-") : base + "-merge", lineage + "/merge");
  return KStream<K, VR>(self.graph(), merged, ks, nullptr, false);
}

template <JoinKind kKind, class K, class V, class VT, class Joiner>
KStream<K, JoinResult<kKind, K, V, VT, Joiner>> streamTableJoin(const KStream<K, V>& self, const KTable<K, VT>& table,
                                                                Joiner joiner, const Joined<K, V, VT>& j, const char* kind) {
  using VR = JoinResult<kKind, K, V, VT, Joiner>;
  auto& graph = *self.graph();
  const std::string lineage = graph.childLineage(self.node(), kind);
  const std::string base = j.name.empty() ? TopologyGraph::stableName("KSTREAM-JOIN-", lineage) : j.name;
  KStream<K, V> stream = repartitionedForJoin(self, base + "-left", j.keySerde, j.valueSerde);
  KTable<K, VT> t = table.ensureMaterialized();
  const std::string name = j.name.empty() ? graph.newName("KSTREAM-JOIN-") : j.name;
  size_t index = addStoreProcessor(graph, {stream.node()}, name, lineage, t.queryableStoreName(), typeid(K), typeid(V),
                                   typeid(K), typeid(VR), [name, store = t.queryableStoreName(), joiner](const SerdeDefaults&) {
                                     return std::make_unique<StreamTableJoinNode<K, V, VT, VR, Joiner, kKind>>(name, store, joiner);
                                   });
  addCopartitionGroup(graph, stream.node(), t.node());
  return KStream<K, VR>(self.graph(), index, j.keySerde ? j.keySerde : stream.keySerde(), nullptr, false);
}

template <JoinKind kKind, class K, class V, class KG, class VG, class Selector, class Joiner>
KStream<K, JoinResult<kKind, K, V, VG, Joiner>> streamGlobalJoin(const KStream<K, V>& self, const GlobalKTable<KG, VG>& g,
                                                                 Selector selector, Joiner joiner, const Named& named,
                                                                 const char* kind) {
  using VR = JoinResult<kKind, K, V, VG, Joiner>;
  static_assert(std::is_invocable_v<Selector&, const K&, const V&>, "the key selector takes (const K&, const V&)");
  auto& graph = *self.graph();
  GraphNode node;
  node.kind = GraphNode::Kind::kProcessor;
  node.name = named.name.empty() ? graph.newName("KSTREAM-JOIN-") : named.name;
  node.inKey = node.outKey = &typeid(K);
  node.inValue = &typeid(V);
  node.outValue = &typeid(VR);
  node.lineage = graph.childLineage(self.node(), kind);
  node.factory = [name = node.name, store = g.queryableStoreName(), selector, joiner, ks = g.keySerde(),
                  vs = g.valueSerde()](const SerdeDefaults& d) {
    return std::make_unique<StreamGlobalTableJoinNode<K, V, KG, VG, VR, Selector, Joiner, kKind>>(
        name, store, selector, joiner, resolveSerde<KG>(ks, d, true, name), resolveSerde<VG>(vs, d, false, name));
  };
  size_t index = graph.addNode(std::move(node), std::vector<size_t>{self.node()});
  return KStream<K, VR>(self.graph(), index, self.keySerde(), nullptr, self.repartitionRequired());
}

}  // namespace internal

template <class K, class V>
template <class V2, class Joiner>
auto KStream<K, V>::join(const KStream<K, V2>& other, Joiner joiner, const JoinWindows& windows,
                         const StreamJoined<K, V, V2>& joined) const {
  return internal::streamStreamJoin<internal::JoinKind::kInner>(*this, other, joiner, windows, joined, "join");
}
template <class K, class V>
template <class V2, class Joiner>
auto KStream<K, V>::leftJoin(const KStream<K, V2>& other, Joiner joiner, const JoinWindows& windows,
                             const StreamJoined<K, V, V2>& joined) const {
  return internal::streamStreamJoin<internal::JoinKind::kLeft>(*this, other, joiner, windows, joined, "leftJoin");
}
template <class K, class V>
template <class V2, class Joiner>
auto KStream<K, V>::outerJoin(const KStream<K, V2>& other, Joiner joiner, const JoinWindows& windows,
                              const StreamJoined<K, V, V2>& joined) const {
  return internal::streamStreamJoin<internal::JoinKind::kOuter>(*this, other, joiner, windows, joined, "outerJoin");
}
template <class K, class V>
template <class VT, class Joiner>
auto KStream<K, V>::join(const KTable<K, VT>& table, Joiner joiner, const Joined<K, V, VT>& joined) const {
  return internal::streamTableJoin<internal::JoinKind::kInner>(*this, table, joiner, joined, "tableJoin");
}
template <class K, class V>
template <class VT, class Joiner>
auto KStream<K, V>::leftJoin(const KTable<K, VT>& table, Joiner joiner, const Joined<K, V, VT>& joined) const {
  return internal::streamTableJoin<internal::JoinKind::kLeft>(*this, table, joiner, joined, "tableLeftJoin");
}
template <class K, class V>
template <class KG, class VG, class Selector, class Joiner>
auto KStream<K, V>::join(const GlobalKTable<KG, VG>& table, Selector keySelector, Joiner joiner, const Named& named) const {
  return internal::streamGlobalJoin<internal::JoinKind::kInner>(*this, table, keySelector, joiner, named, "globalJoin");
}
template <class K, class V>
template <class KG, class VG, class Selector, class Joiner>
auto KStream<K, V>::leftJoin(const GlobalKTable<KG, VG>& table, Selector keySelector, Joiner joiner,
                             const Named& named) const {
  return internal::streamGlobalJoin<internal::JoinKind::kLeft>(*this, table, keySelector, joiner, named, "globalLeftJoin");
}

namespace internal {

template <JoinKind kKind, class K, class V1, class V2, class VR, class Joiner>
KTable<K, VR> tableTableJoin(const KTable<K, V1>& self, const KTable<K, V2>& other, Joiner joiner,
                             const Materialized<K, VR>& m, const char* kind) {
  auto& graph = *self.graph();
  KTable<K, V1> left = self.ensureMaterialized();
  KTable<K, V2> right = other.ensureMaterialized();
  const std::string lineage = graph.childLineage(left.node(), kind);
  const std::string thisName = graph.newName("KTABLE-JOINTHIS-");
  size_t thisNode = addStoreProcessor(
      graph, {left.node()}, thisName, lineage + "/this", right.queryableStoreName(), typeid(K), typeid(Change<V1>),
      typeid(K), typeid(Change<VR>), [thisName, store = right.queryableStoreName(), joiner](const SerdeDefaults&) {
        return std::make_unique<TableTableJoinNode<K, V1, V2, VR, Joiner, kKind, true>>(thisName, store, joiner);
      });
  const std::string otherName = graph.newName("KTABLE-JOINOTHER-");
  size_t otherNode = addStoreProcessor(
      graph, {right.node()}, otherName, lineage + "/other", left.queryableStoreName(), typeid(K), typeid(Change<V2>),
      typeid(K), typeid(Change<VR>), [otherName, store = left.queryableStoreName(), joiner](const SerdeDefaults&) {
        return std::make_unique<TableTableJoinNode<K, V1, V2, VR, Joiner, kKind, false>>(otherName, store, joiner);
      });
  addCopartitionGroup(graph, left.node(), right.node());
  size_t merged = addMergeNode<K, Change<VR>>(graph, {thisNode, otherNode}, graph.newName("KTABLE-MERGE-"), lineage + "/merge");
  KTable<K, VR> joined(self.graph(), merged, left.keySerde(), m.valueSerde, "");
  if (m.storeName.empty()) return joined;
  return joined.mapValues([](const VR& v) { return v; }, m);
}

}  // namespace internal

namespace internal {

// A hop through an internal topic: a sink writing `topic` and a source reading it back.
// Returns the source's index.
template <class K, class V>
size_t addInternalTopicHop(TopologyGraph& graph, std::vector<size_t> parents, const std::string& topic, SerdePtr<K> ks,
                           SerdePtr<V> vs, const std::string& lineage) {
  graph.addRepartitionTopic({topic, std::nullopt});
  GraphNode sink;
  sink.kind = GraphNode::Kind::kSink;
  sink.name = topic + "-sink";
  sink.topics = {topic};
  sink.internalTopics = true;
  sink.inKey = &typeid(K);
  sink.inValue = &typeid(V);
  sink.lineage = lineage + "/sink";
  sink.factory = [name = sink.name, topic, ks, vs](const SerdeDefaults& d) {
    return std::make_unique<SinkNode<K, V>>(name, topic, true, nullptr, resolveSerde<K>(ks, d, true, name),
                                            resolveSerde<V>(vs, d, false, name), nullptr);
  };
  graph.addNode(std::move(sink), parents);
  GraphNode source;
  source.kind = GraphNode::Kind::kSource;
  source.name = topic + "-source";
  source.topics = {topic};
  source.internalTopics = true;
  source.outKey = &typeid(K);
  source.outValue = &typeid(V);
  source.lineage = "internal:" + topic;
  source.factory = [name = source.name, ks, vs](const SerdeDefaults& d) {
    return std::make_unique<SourceNode<K, V>>(resolveSerde<K>(ks, d, true, name), resolveSerde<V>(vs, d, false, name),
                                              nullptr);
  };
  return graph.addNode(std::move(source), std::vector<size_t>{});
}

template <JoinKind kKind, class K, class V, class KO, class VO, class VR, class Extractor, class Joiner>
KTable<K, VR> foreignKeyJoin(const KTable<K, V>& self, const KTable<KO, VO>& other, Extractor foreignKey, Joiner joiner,
                             const Materialized<K, VR>& m, const char* kind) {
  auto& graph = *self.graph();
  if (other.graph() != self.graph()) throw TopologyException("join() needs two tables of the same StreamsBuilder");
  KTable<K, V> left = self.ensureMaterialized();
  KTable<KO, VO> right = other.ensureMaterialized();
  const std::string lineage = graph.childLineage(left.node(), kind);
  const std::string base = TopologyGraph::stableName("KTABLE-FK-JOIN-", lineage);
  const std::string subscriptionTopic = base + "-subscription-registration-topic";
  const std::string responseTopic = base + "-subscription-response-topic";
  const std::string subscriptions = base + "-subscription-store";
  graph.addStore(keyValueStoreSpec<Bytes, Bytes, false>(subscriptions, true, true, false, {}, Serdes::Bytes(), Serdes::Bytes()));
  SerdePtr<K> ks = left.keySerde();
  SerdePtr<V> vs = left.valueSerde();
  SerdePtr<KO> kos = right.keySerde();
  SerdePtr<VO> vos = right.valueSerde();

  GraphNode sender;
  sender.kind = GraphNode::Kind::kProcessor;
  sender.name = base + "-subscription-sender";
  sender.inKey = &typeid(K);
  sender.inValue = &typeid(Change<V>);
  sender.outKey = &typeid(KO);
  sender.outValue = &typeid(Bytes);
  sender.lineage = lineage + "/subscribe";
  sender.factory = [name = sender.name, foreignKey, ks, vs](const SerdeDefaults& d) {
    return std::make_unique<SubscriptionSender<K, V, KO, Extractor>>(foreignKey, resolveSerde<K>(ks, d, true, name),
                                                                     resolveSerde<V>(vs, d, false, name));
  };
  size_t senderIndex = graph.addNode(std::move(sender), std::vector<size_t>{left.node()});
  size_t subscriptionSource = addInternalTopicHop<KO, Bytes>(graph, {senderIndex}, subscriptionTopic, kos,
                                                             Serdes::Bytes(), lineage + "/subscriptions");
  const std::string receiverName = base + "-subscription-receiver";
  size_t receiver = addStoreProcessor(
      graph, {subscriptionSource}, receiverName, lineage + "/receive", subscriptions, typeid(KO), typeid(Bytes), typeid(K),
      typeid(Bytes), [=, rightStore = right.queryableStoreName()](const SerdeDefaults& d) {
        return std::make_unique<SubscriptionReceiver<K, KO, VO>>(
            subscriptions, rightStore, resolveSerde<K>(ks, d, true, receiverName),
            resolveSerde<KO>(kos, d, true, receiverName), resolveSerde<VO>(vos, d, false, receiverName));
      });
  graph.connectStore(right.queryableStoreName(), receiver);
  const std::string notifierName = base + "-right-change-notifier";
  size_t notifier = addStoreProcessor(
      graph, {right.node()}, notifierName, lineage + "/notify", subscriptions, typeid(KO), typeid(Change<VO>), typeid(K),
      typeid(Bytes), [=](const SerdeDefaults& d) {
        return std::make_unique<RightChangeNotifier<K, KO, VO>>(subscriptions, resolveSerde<K>(ks, d, true, notifierName),
                                                                 resolveSerde<KO>(kos, d, true, notifierName),
                                                                 resolveSerde<VO>(vos, d, false, notifierName));
      });
  size_t responseSource =
      addInternalTopicHop<K, Bytes>(graph, {receiver, notifier}, responseTopic, ks, Serdes::Bytes(), lineage + "/responses");
  const std::string joinerName = base + "-response-joiner";
  size_t responses = addStoreProcessor(
      graph, {responseSource}, joinerName, lineage + "/join", left.queryableStoreName(), typeid(K), typeid(Bytes), typeid(K),
      typeid(Change<VR>), [=, leftStore = left.queryableStoreName()](const SerdeDefaults& d) {
        return std::make_unique<ResponseJoiner<K, V, VO, VR, Joiner, kKind>>(
            leftStore, joiner, resolveSerde<V>(vs, d, false, joinerName), resolveSerde<VO>(vos, d, false, joinerName));
      });
  std::set<std::string> subscriptionGroup = graph.sourceTopicsOf(right.node());
  subscriptionGroup.insert(subscriptionTopic);
  graph.addCopartitionGroup(std::move(subscriptionGroup));
  std::set<std::string> responseGroup = graph.sourceTopicsOf(left.node());
  responseGroup.insert(responseTopic);
  graph.addCopartitionGroup(std::move(responseGroup));
  // The result is always kept: a delete needs the value it deletes.
  Materialized<K, VR> result = m;
  if (result.storeName.empty()) result.storeName = base + "-result-store";
  KTable<K, VR> joined(self.graph(), responses, ks, m.valueSerde, "");
  return joined.mapValues([](const VR& v) { return v; }, result);
}

}  // namespace internal

template <class K, class V>
template <class KO, class VO, class Extractor, class Joiner, class VR>
  requires std::is_invocable_v<Extractor&, const V&>
KTable<K, VR> KTable<K, V>::join(const KTable<KO, VO>& other, Extractor foreignKey, Joiner joiner,
                                 const Materialized<K, VR>& m) const {
  return internal::foreignKeyJoin<internal::JoinKind::kInner, K, V, KO, VO, VR>(*this, other, foreignKey, joiner, m,
                                                                               "fkJoin");
}
template <class K, class V>
template <class KO, class VO, class Extractor, class Joiner, class VR>
  requires std::is_invocable_v<Extractor&, const V&>
KTable<K, VR> KTable<K, V>::leftJoin(const KTable<KO, VO>& other, Extractor foreignKey, Joiner joiner,
                                     const Materialized<K, VR>& m) const {
  return internal::foreignKeyJoin<internal::JoinKind::kLeft, K, V, KO, VO, VR>(*this, other, foreignKey, joiner, m,
                                                                              "fkLeftJoin");
}

template <class K, class V>
template <class V2, class Joiner, class VR>
KTable<K, VR> KTable<K, V>::join(const KTable<K, V2>& other, Joiner joiner, const Materialized<K, VR>& m) const {
  return internal::tableTableJoin<internal::JoinKind::kInner, K, V, V2, VR>(*this, other, joiner, m, "tableJoin");
}
template <class K, class V>
template <class V2, class Joiner, class VR>
KTable<K, VR> KTable<K, V>::leftJoin(const KTable<K, V2>& other, Joiner joiner, const Materialized<K, VR>& m) const {
  return internal::tableTableJoin<internal::JoinKind::kLeft, K, V, V2, VR>(*this, other, joiner, m, "tableLeftJoin");
}
template <class K, class V>
template <class V2, class Joiner, class VR>
KTable<K, VR> KTable<K, V>::outerJoin(const KTable<K, V2>& other, Joiner joiner, const Materialized<K, VR>& m) const {
  return internal::tableTableJoin<internal::JoinKind::kOuter, K, V, V2, VR>(*this, other, joiner, m, "tableOuterJoin");
}

}  // namespace kstreams
