// Windowed cogroups: cogrouped.windowedBy(windows).aggregate(initializer), a table keyed by
// Windowed<K> whose rows are windows, every input folding into the same windows of one
// window (or session) store.
//
//   auto activity = clicks.groupByKey()
//       .cogroup([](const std::string&, const Click&, const int64_t& n) { return n + 1; })
//       .cogroup(views.groupByKey(), [](const std::string&, const View&, const int64_t& n) { return n + 1; })
//       .windowedBy(TimeWindows::ofSizeWithNoGrace(1min))
//       .aggregate([] { return int64_t{0}; });
//
// The windows, store and retention rules are those of a grouped stream's windowedBy()
// (windowed_kstream.h). As in Kafka Streams, each input keeps its own stream time: a record
// is late when its window closed by the times of its own input's records.
#pragma once

#include <string>
#include <variant>

#include "streams/cogrouped_kstream.h"
#include "streams/windowed_kstream.h"

namespace kstreams {

namespace internal {

// The windowed table of a cogroup; addStore(graph, store, keySerde) adds its window or
// session store.
template <class K, class VOut, class AddStore>
KTable<Windowed<K>, VOut> windowedCogroupTable(const CogroupedKStream<K, VOut>& cogrouped, std::string_view kind,
                                               const Named& named, const Materialized<K, VOut>& m,
                                               CogroupAggregation<K, VOut>& aggregation, int64_t grace,
                                               AddStore addStore) {
  const SerdePtr<K> keySerde = m.keySerde ? m.keySerde : cogrouped.inputs().front().keySerde;
  size_t index = buildCogroup<Windowed<K>>(cogrouped.inputs(), kind, named, m.storeName, aggregation,
                                           [&](TopologyGraph& graph, const std::string& store) {
                                             addStore(graph, store, keySerde);
                                           });
  return windowedTable<K, VOut>(cogrouped.inputs().front().graph, index, keySerde, m.valueSerde, aggregation.store,
                                grace);
}

}  // namespace internal

template <class K, class VOut>
class TimeWindowedCogroupedKStream {
 public:
  TimeWindowedCogroupedKStream(CogroupedKStream<K, VOut> cogrouped, std::variant<TimeWindows, SlidingWindows> windows)
      : cogrouped_(std::move(cogrouped)), windows_(windows) {}

  // initializer VOut(): each window's first aggregate.
  template <class Initializer>
  KTable<Windowed<K>, VOut> aggregate(Initializer initializer, const Materialized<K, VOut>& materialized = {}) const {
    return aggregate(std::move(initializer), Named{}, materialized);
  }
  template <class Initializer>
  KTable<Windowed<K>, VOut> aggregate(Initializer initializer, const Named& named,
                                      const Materialized<K, VOut>& m = {}) const {
    static_assert(std::is_invocable_r_v<VOut, Initializer&>, "aggregate() takes an initializer VOut()");
    internal::CogroupAggregation<K, VOut> a;
    a.initializer = std::move(initializer);
    std::visit([&](const auto& w) { a.windows = w; }, windows_);
    return internal::windowedCogroupTable(
        cogrouped_, "windowedCogroup", named, m, a, internal::windowGrace(windows_),
        [&](internal::TopologyGraph& graph, const std::string& store, const SerdePtr<K>& keySerde) {
          internal::addTimeWindowStore<K, VOut>(graph, store, windows_, m, keySerde, m.valueSerde);
        });
  }

 private:
  CogroupedKStream<K, VOut> cogrouped_;
  std::variant<TimeWindows, SlidingWindows> windows_;
};

template <class K, class VOut>
class SessionWindowedCogroupedKStream {
 public:
  SessionWindowedCogroupedKStream(CogroupedKStream<K, VOut> cogrouped, SessionWindows windows)
      : cogrouped_(std::move(cogrouped)), windows_(windows) {}

  // initializer VOut(): a new session's first aggregate; merger
  // VOut(const K&, const VOut&, const VOut&): the aggregate of two sessions a record joins.
  template <class Initializer, class Merger>
  KTable<Windowed<K>, VOut> aggregate(Initializer initializer, Merger merger,
                                      const Materialized<K, VOut>& materialized = {}) const {
    return aggregate(std::move(initializer), std::move(merger), Named{}, materialized);
  }
  template <class Initializer, class Merger>
  KTable<Windowed<K>, VOut> aggregate(Initializer initializer, Merger merger, const Named& named,
                                      const Materialized<K, VOut>& m = {}) const {
    static_assert(std::is_invocable_r_v<VOut, Initializer&>, "aggregate() takes an initializer VOut()");
    static_assert(std::is_invocable_r_v<VOut, Merger&, const K&, const VOut&, const VOut&>,
                  "aggregate() takes a merger VOut(const K&, const VOut&, const VOut&)");
    internal::CogroupAggregation<K, VOut> a;
    a.initializer = std::move(initializer);
    a.merger = std::move(merger);
    a.windows = windows_;
    return internal::windowedCogroupTable(
        cogrouped_, "sessionCogroup", named, m, a, internal::windowGrace(windows_),
        [&](internal::TopologyGraph& graph, const std::string& store, const SerdePtr<K>& keySerde) {
          internal::addSessionStore<K, VOut>(graph, store, windows_, m, keySerde, m.valueSerde);
        });
  }

 private:
  CogroupedKStream<K, VOut> cogrouped_;
  SessionWindows windows_;
};

template <class K, class VOut>
TimeWindowedCogroupedKStream<K, VOut> CogroupedKStream<K, VOut>::windowedBy(TimeWindows windows) const {
  return TimeWindowedCogroupedKStream<K, VOut>(*this, windows);
}
template <class K, class VOut>
TimeWindowedCogroupedKStream<K, VOut> CogroupedKStream<K, VOut>::windowedBy(SlidingWindows windows) const {
  return TimeWindowedCogroupedKStream<K, VOut>(*this, windows);
}
template <class K, class VOut>
SessionWindowedCogroupedKStream<K, VOut> CogroupedKStream<K, VOut>::windowedBy(SessionWindows windows) const {
  return SessionWindowedCogroupedKStream<K, VOut>(*this, windows);
}

}  // namespace kstreams
