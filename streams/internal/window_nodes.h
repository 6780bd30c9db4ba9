// The nodes of windowed aggregations: time windows (tumbling, hopping), sliding windows and
// sessions. Each tracks the stream time it has seen; a record whose window closed (its end
// plus the grace period is behind stream time) is dropped, counted and logged at debug
// level. Results go downstream as table changes keyed by Windowed<K>: with
// EmitStrategy::onWindowUpdate() every update, at once or through the store's cache; with
// onWindowClose() each window's final result once it closed (WindowCloseEmitter). A
// grouped stream's windowedBy() makes one such node; a cogrouped
// stream's makes one per input, all writing the one store (each with its own input's value
// type and aggregator, and, as in Kafka Streams, its own stream time). Internal.
#pragma once

#include <set>
#include <string>
#include <variant>

#include "streams/change.h"
#include "streams/emit_strategy.h"
#include "streams/internal/node.h"
#include "streams/internal/segmented_stores.h"
#include "streams/internal/topology_graph.h"

namespace kstreams::internal {

template <class K, class V>
using WindowTableStore = TypedWindowStore<K, ValueAndTimestamp<V>>;

// When a node with EmitStrategy::onWindowClose() sends final results, as Kafka Streams
// does: after a record, at most once per kEmitIntervalMs of wall clock (Kafka's internal
// emit.interval.ms.kstreams.windowed.aggregation at its default; kstreams keeps it fixed),
// and only if the window close time (stream time less what keeps windows open) moved past
// the last emit's. The node then sends the windows that closed in between, read from its
// store by time, and the close time goes into the task's processor metadata under the
// store's name: the task's next owner goes on from there, sending none twice and skipping
// none.
class WindowCloseEmitter {
 public:
  static constexpr int64_t kEmitIntervalMs = 1000;

  explicit WindowCloseEmitter(EmitStrategy strategy) : onClose_(strategy.onClose()) {}
  bool onClose() const { return onClose_; }
  void init(TaskContext& context, const std::string& store) {
    context_ = &context;
    store_ = &store;
    if (onClose_) lastEmitted_ = context.processorMetadataForKey(store).value_or(-1);
  }
  // Whether to look for windows closed since the last emit.
  bool due(int64_t closeTime) {
    if (!onClose_) return false;
    const int64_t now = context_->wallClockTime();
    if (now < nextEmit_) return false;
    // From now, not from the last due time: after the wall clock jumped ahead, records are
    // not all due until it is caught up.
    nextEmit_ = now + kEmitIntervalMs;
    return lastEmitted_ < closeTime;
  }
  // The close time of the last emit; -1 before the first (of the task and its owners).
  int64_t lastEmitted() const { return lastEmitted_; }
  void emitted(int64_t closeTime) {
    lastEmitted_ = closeTime;
    context_->addProcessorMetadataKeyValue(*store_, closeTime);
  }

 private:
  bool onClose_;
  TaskContext* context_ = nullptr;
  const std::string* store_ = nullptr;
  int64_t lastEmitted_ = -1;
  int64_t nextEmit_ = 0;
};

// Writes windowed aggregates and forwards their changes (on update), or the final results
// of closed windows (on close).
template <class K, class V>
class WindowedTableWriter {
 public:
  void attach(TaskContext& context, const std::string& storeName, Downstream<Windowed<K>, Change<V>>& out,
              bool onClose) {
    store_ = dynamic_cast<WindowTableStore<K, V>*>(context.stateStore(storeName));
    if (store_ == nullptr) throw TopologyException("store " + storeName + " is not a windowed table store");
    out_ = &out;
    forwardsUpdates_ = !onClose && !store_->cachingEnabled();
    // On close the cache writes down without forwarding: the final results come from the
    // store, as in Kafka Streams, which sets no flush listener then.
    if (store_->cachingEnabled() && !onClose)
      store_->setFlushListener([this](Windowed<K> key, std::optional<ValueAndTimestamp<V>> n,
                                      std::optional<ValueAndTimestamp<V>> o, int64_t ts) {
        Change<V> change;
        if (n) change.newValue = std::move(n->value);
        if (o) change.oldValue = std::move(o->value);
        out_->forward(Record<Windowed<K>, Change<V>>{std::move(key), std::move(change), ts, {}});
      });
  }
  WindowTableStore<K, V>& store() { return *store_; }
  void write(const K& key, Window window, V value, std::optional<V> oldValue, int64_t timestamp) {
    store_->putAt(key, ValueAndTimestamp<V>{value, timestamp}, window.start, timestamp);
    if (forwardsUpdates_)
      out_->forward(Record<Windowed<K>, Change<V>>{Windowed<K>{key, window}, Change<V>{std::move(value), std::move(oldValue)},
                                                   timestamp, {}});
  }
  // Sends the final result of every window whose start is within [fromStart, toStart], with
  // its stored timestamp, no old value and the headers of the record that closed it.
  void forwardFinal(int64_t fromStart, int64_t toStart, const Headers& headers) {
    // Read whole before forwarding: downstream nodes may write to stores in between.
    for (auto& [key, aggregate] : store_->fetchAll(fromStart, toStart).toList())
      out_->forward(Record<Windowed<K>, Change<V>>{std::move(key), Change<V>{std::move(aggregate.value), std::nullopt},
                                                   aggregate.timestamp, headers});
  }

 private:
  WindowTableStore<K, V>* store_ = nullptr;
  Downstream<Windowed<K>, Change<V>>* out_ = nullptr;
  bool forwardsUpdates_ = false;
};

// `openFor`: how long past its end a window accepts records (the grace; for a session, the
// inactivity gap and then the grace).
inline std::string lateRecord(int64_t ts, Window w, int64_t streamTime, int64_t openFor) {
  return "late record (timestamp " + std::to_string(ts) + ") for window [" + std::to_string(w.start) + ", " +
         std::to_string(w.end) + "], closed at stream time " + std::to_string(streamTime) + " (open " +
         std::to_string(openFor) + " ms past its end)";
}

// Tumbling and hopping windows. Fn: VR(const K&, const V&, const std::optional<VR>& current).
template <class K, class V, class VR, class Fn>
class TimeWindowAggregateNode final : public RecordInput<K, V> {
 public:
  TimeWindowAggregateNode(std::string name, std::string store, TimeWindows windows, EmitStrategy emit, Fn fn)
      : name_(std::move(name)), storeName_(std::move(store)), windows_(windows), fn_(std::move(fn)), emit_(emit) {}
  void init(TaskContext& context) override {
    NodeInstance::init(context);
    table_.attach(context, storeName_, out_, emit_.onClose());
    emit_.init(context, storeName_);
  }
  void addChild(NodeInstance& child, const std::string& name) override { out_.add(child, name); }
  void process(Record<K, V>&& r) override {
    observed_ = std::max(observed_, r.timestamp);
    const int64_t closeTime = observed_ - windows_.gracePeriodMs();
    windows_.forEachWindowStart(r.timestamp, [&](int64_t start) {
      const Window window{start, start + windows_.sizeMs()};
      if (window.end <= closeTime) {
        this->context_->recordDropped(name_, lateRecord(r.timestamp, window, observed_, windows_.gracePeriodMs()));
        return;
      }
      std::optional<ValueAndTimestamp<VR>> old = table_.store().fetch(r.key, start);
      std::optional<VR> oldValue;
      int64_t timestamp = r.timestamp;
      if (old) {
        oldValue = std::move(old->value);
        timestamp = std::max(timestamp, old->timestamp);
      }
      VR result = fn_(std::as_const(r.key), std::as_const(r.value), std::as_const(oldValue));
      table_.write(r.key, window, std::move(result), std::move(oldValue), timestamp);
    });
    // Also after a late record, as in Kafka Streams: an emit the throttle held back.
    if (emit_.due(closeTime)) emitClosed(closeTime, r.headers);
  }

 private:
  // A window [start, start + size) is closed once its end is at most the close time.
  void emitClosed(int64_t closeTime, const Headers& headers) {
    const int64_t size = windows_.sizeMs(), advance = windows_.advanceMs();
    const int64_t latest = closeTime - size;
    if (latest < 0) return;
    const int64_t last = emit_.lastEmitted();
    const int64_t earliest = last < 0 ? 0 : std::max<int64_t>(0, last - size) + 1;
    // No window starts within [earliest, latest]: none closed since the last emit.
    if (latest / advance * advance < earliest) return;
    table_.forwardFinal(earliest, latest, headers);
    emit_.emitted(closeTime);
  }

  std::string name_;
  std::string storeName_;
  TimeWindows windows_;
  Fn fn_;
  WindowCloseEmitter emit_;
  int64_t observed_ = -1;
  WindowedTableWriter<K, VR> table_;
  Downstream<Windowed<K>, Change<VR>> out_;
};

// Sliding windows, [start, start + d], as Kafka Streams defines them: a record at t gets a
// left window [t - d, t], and a right window [t + 1, t + 1 + d] once a later record falls in
// it; every window containing t is updated. A window's stored timestamp is the largest
// record timestamp in it. Init: std::optional<VR>() (nullopt for reduce, which has no
// initial value); Agg: VR(const K&, const V&, const std::optional<VR>& current).
template <class K, class V, class VR, class Init, class Agg>
class SlidingWindowAggregateNode final : public RecordInput<K, V> {
  using VAT = ValueAndTimestamp<VR>;

 public:
  SlidingWindowAggregateNode(std::string name, std::string store, SlidingWindows windows, EmitStrategy emit, Init init,
                             Agg agg)
      : name_(std::move(name)), storeName_(std::move(store)), windows_(windows), init_(std::move(init)),
        agg_(std::move(agg)), emit_(emit) {}
  void init(TaskContext& context) override {
    NodeInstance::init(context);
    table_.attach(context, storeName_, out_, emit_.onClose());
    emit_.init(context, storeName_);
  }
  void addChild(NodeInstance& child, const std::string& name) override { out_.add(child, name); }

  void process(Record<K, V>&& r) override {
    const int64_t t = r.timestamp, d = windows_.timeDifferenceMs();
    observed_ = std::max(observed_, t);
    const int64_t closeTime = observed_ - windows_.gracePeriodMs();
    if (t + 1 + d <= closeTime) {
      this->context_->recordDropped(name_, lateRecord(t, Window{t - d, t}, observed_, windows_.gracePeriodMs()));
      return;
    }
    if (t < d) return processEarly(r, closeTime);

    std::set<int64_t> starts;
    std::optional<VAT> leftAgg, rightAgg;
    bool leftExists = false, rightExists = false;
    std::optional<int64_t> previous;
    std::vector<KeyValue<int64_t, VAT>> windows = table_.store().fetch(r.key, std::max<int64_t>(0, t - 2 * d), t + 1).toList();
    for (auto& [start, value] : windows) {
      starts.insert(start);
      const int64_t end = start + d;
      if (end < t) {
        leftAgg = value;
        previous = value.timestamp;
      } else if (end == t) {
        leftExists = true;
        if (value.timestamp < t) previous = value.timestamp;
        update(r, Window{start, end}, value.value, value.timestamp, closeTime, true);
      } else if (start <= t) {
        rightAgg = value;
        update(r, Window{start, end}, value.value, value.timestamp, closeTime, true);
      } else if (start == t + 1) {
        rightExists = true;
      }
    }
    if (previous) {
      const int64_t previousRight = *previous + 1;
      if (!starts.count(previousRight) && previousRight + d >= t)
        update(r, Window{previousRight, previousRight + d}, init_(), t, closeTime, false);
    }
    if (!leftExists) {
      const bool leftNotEmpty = previous && t - d <= *previous;
      update(r, Window{t - d, t}, leftNotEmpty ? std::optional<VR>(leftAgg->value) : init_(), t, closeTime, false);
    }
    if (!rightExists && rightAgg && rightAgg->timestamp > t) createRightWindow(r.key, t, *rightAgg);
    // Not after a late record, nor one before the time difference (processEarly), as in
    // Kafka Streams: neither moves the close time past a window's end.
    if (emit_.due(closeTime)) emitClosed(closeTime, r.headers);
  }

 private:
  // A window [start, start + d] is closed once its end is before the close time.
  void emitClosed(int64_t closeTime, const Headers& headers) {
    const int64_t d = windows_.timeDifferenceMs();
    const int64_t latest = closeTime - d - 1;
    if (latest < 0) return;
    const int64_t last = emit_.lastEmitted();
    table_.forwardFinal(last < 0 ? 0 : std::max<int64_t>(0, last - d), latest, headers);
    emit_.emitted(closeTime);
  }

  // Records before the time difference would make windows start before 0: they share the
  // window [0, d], as in Kafka Streams.
  void processEarly(Record<K, V>& r, int64_t closeTime) {
    const int64_t t = r.timestamp, d = windows_.timeDifferenceMs();
    std::optional<std::pair<Window, VAT>> combined;
    std::optional<VAT> rightAgg;
    bool rightExists = false;
    std::set<int64_t> starts;
    std::optional<int64_t> previous;
    std::vector<KeyValue<int64_t, VAT>> windows = table_.store().fetch(r.key, 0, t + 1).toList();
    for (auto& [start, value] : windows) {
      starts.insert(start);
      if (start == 0) {
        combined = std::make_pair(Window{0, d}, value);
        if (value.timestamp < t) previous = value.timestamp;
      } else if (start <= t) {
        rightAgg = value;
        update(r, Window{start, start + d}, value.value, value.timestamp, closeTime, true);
      } else if (start == t + 1) {
        rightExists = true;
      }
    }
    if (!rightAgg && combined && combined->second.timestamp > t) rightAgg = combined->second;
    if (!rightExists && rightAgg && rightAgg->timestamp > t) createRightWindow(r.key, t, *rightAgg);
    if (previous && !starts.count(*previous + 1))
      update(r, Window{*previous + 1, *previous + 1 + d}, init_(), t, closeTime, false);
    if (!combined) update(r, Window{0, d}, init_(), t, closeTime, false);
    else update(r, combined->first, combined->second.value, combined->second.timestamp, closeTime, true);
  }

  void createRightWindow(const K& key, int64_t t, const VAT& rightAgg) {
    const Window window{t + 1, t + 1 + windows_.timeDifferenceMs()};
    table_.write(key, window, rightAgg.value, std::nullopt, rightAgg.timestamp);
  }

  // existed: the window was in the store (its old value goes downstream); otherwise it is
  // being created from `current`.
  void update(Record<K, V>& r, Window window, const std::optional<VR>& current, int64_t currentTimestamp,
              int64_t closeTime, bool existed) {
    if (window.end < closeTime) {
      this->context_->recordDropped(name_, lateRecord(r.timestamp, window, observed_, windows_.gracePeriodMs()));
      return;
    }
    VR result = agg_(std::as_const(r.key), std::as_const(r.value), current);
    const int64_t timestamp = existed ? std::max(r.timestamp, currentTimestamp) : r.timestamp;
    table_.write(r.key, window, std::move(result), existed ? current : std::nullopt, timestamp);
  }

  std::string name_;
  std::string storeName_;
  SlidingWindows windows_;
  Init init_;
  Agg agg_;
  WindowCloseEmitter emit_;
  int64_t observed_ = -1;
  WindowedTableWriter<K, VR> table_;
  Downstream<Windowed<K>, Change<VR>> out_;
};

// Session windows: a record joins every session of its key within the inactivity gap,
// merging them into one. Init, Agg as for sliding windows; Merger: VR(const K&, const VR&,
// const VR&).
template <class K, class V, class VR, class Init, class Agg, class Merger>
class SessionWindowAggregateNode final : public RecordInput<K, V> {
  using VAT = ValueAndTimestamp<VR>;

 public:
  SessionWindowAggregateNode(std::string name, std::string store, SessionWindows windows, EmitStrategy emit, Init init,
                             Agg agg, Merger merger)
      : name_(std::move(name)), storeName_(std::move(store)), windows_(windows), init_(std::move(init)),
        agg_(std::move(agg)), merger_(std::move(merger)), emit_(emit) {}
  void init(TaskContext& context) override {
    NodeInstance::init(context);
    store_ = dynamic_cast<TypedSessionStore<K, VAT>*>(context.stateStore(storeName_));
    if (store_ == nullptr) throw TopologyException("store " + storeName_ + " is not a session store");
    emit_.init(context, storeName_);
    forwardsUpdates_ = !emit_.onClose() && !store_->cachingEnabled();
    if (store_->cachingEnabled() && !emit_.onClose())
      store_->setFlushListener([this](Windowed<K> key, std::optional<VAT> n, std::optional<VAT> o, int64_t ts) {
        Change<VR> change;
        if (n) change.newValue = std::move(n->value);
        if (o) change.oldValue = std::move(o->value);
        out_.forward(Record<Windowed<K>, Change<VR>>{std::move(key), std::move(change), ts, {}});
      });
  }
  void addChild(NodeInstance& child, const std::string& name) override { out_.add(child, name); }

  void process(Record<K, V>&& r) override {
    const int64_t t = r.timestamp, gap = windows_.inactivityGapMs();
    observed_ = std::max(observed_, t);
    // A session can still grow until stream time passes its end by the gap, then the grace.
    const int64_t closeAfter = gap + windows_.gracePeriodMs();
    const int64_t closeTime = observed_ - closeAfter;
    Window merged{t, t};
    std::optional<VR> aggregate = init_();
    int64_t timestamp = t;
    std::vector<KeyValue<Windowed<K>, VAT>> sessions = store_->findSessions(r.key, t - gap, t + gap).toList();
    for (auto& s : sessions) {
      aggregate = aggregate ? merger_(std::as_const(r.key), std::as_const(*aggregate), std::as_const(s.value.value))
                            : s.value.value;
      merged = Window{std::min(merged.start, s.key.window.start), std::max(merged.end, s.key.window.end)};
      timestamp = std::max(timestamp, s.value.timestamp);
    }
    if (merged.end < closeTime) {
      this->context_->recordDropped(name_, lateRecord(t, merged, observed_, closeAfter));
    } else {
      merge(r, merged, sessions, std::move(aggregate), timestamp);
    }
    // Also after a late record, as in Kafka Streams: an emit the throttle held back.
    if (emit_.due(closeTime)) emitClosed(closeTime, r.headers);
  }

 private:
  void merge(Record<K, V>& r, Window merged, std::vector<KeyValue<Windowed<K>, VAT>>& sessions,
             std::optional<VR> aggregate, int64_t timestamp) {
    for (auto& s : sessions) {
      if (s.key.window == merged) continue;
      store_->remove(s.key);
      if (forwardsUpdates_)
        out_.forward(Record<Windowed<K>, Change<VR>>{s.key, Change<VR>{std::nullopt, s.value.value}, timestamp, {}});
    }
    VR result = agg_(std::as_const(r.key), std::as_const(r.value), std::as_const(aggregate));
    std::optional<VR> old;
    for (auto& s : sessions)
      if (s.key.window == merged) old = s.value.value;
    Windowed<K> key{r.key, merged};
    store_->put(key, VAT{result, timestamp});
    if (forwardsUpdates_)
      out_.forward(Record<Windowed<K>, Change<VR>>{std::move(key), Change<VR>{std::move(result), std::move(old)}, timestamp, {}});
  }

  // A session is closed once its end is before the close time; its final result has the
  // session's end as timestamp, as in Kafka Streams.
  void emitClosed(int64_t closeTime, const Headers& headers) {
    const int64_t latest = closeTime - 1;
    const int64_t earliest = std::max<int64_t>(0, emit_.lastEmitted());
    if (latest < 0 || latest < earliest) return;
    for (auto& [key, aggregate] : store_->findSessionsEndingBetween(earliest, latest).toList()) {
      const int64_t end = key.window.end;
      out_.forward(Record<Windowed<K>, Change<VR>>{std::move(key), Change<VR>{std::move(aggregate.value), std::nullopt},
                                                   end, headers});
    }
    emit_.emitted(closeTime);
  }

  std::string name_;
  std::string storeName_;
  SessionWindows windows_;
  Init init_;
  Agg agg_;
  Merger merger_;
  WindowCloseEmitter emit_;
  bool forwardsUpdates_ = false;
  int64_t observed_ = -1;
  TypedSessionStore<K, VAT>* store_ = nullptr;
  Downstream<Windowed<K>, Change<VR>> out_;
};

// The node of a time (tumbling, hopping) or sliding windows aggregation. Init:
// std::optional<VR>() (nullopt for reduce); Agg: VR(const K&, const V&, const
// std::optional<VR>& current), where current is Init's value for a new window.
template <class K, class V, class VR, class Init, class Agg>
NodeFactory timeWindowAggregateFactory(std::string name, std::string store,
                                       std::variant<TimeWindows, SlidingWindows> windows, Init init, Agg agg,
                                       EmitStrategy emit = EmitStrategy::onWindowUpdate()) {
  if (const auto* sliding = std::get_if<SlidingWindows>(&windows))
    return [name = std::move(name), store = std::move(store), w = *sliding, emit, init, agg](const SerdeDefaults&) {
      return std::make_unique<SlidingWindowAggregateNode<K, V, VR, Init, Agg>>(name, store, w, emit, init, agg);
    };
  auto fn = [init, agg](const K& k, const V& v, const std::optional<VR>& current) mutable {
    return agg(k, v, current ? current : init());
  };
  return [name = std::move(name), store = std::move(store), w = std::get<TimeWindows>(windows), emit,
          fn](const SerdeDefaults&) {
    return std::make_unique<TimeWindowAggregateNode<K, V, VR, decltype(fn)>>(name, store, w, emit, fn);
  };
}

// The node of a session windows aggregation; Init, Agg and Merger as for
// SessionWindowAggregateNode.
template <class K, class V, class VR, class Init, class Agg, class Merger>
NodeFactory sessionWindowAggregateFactory(std::string name, std::string store, SessionWindows windows, Init init,
                                          Agg agg, Merger merger, EmitStrategy emit = EmitStrategy::onWindowUpdate()) {
  return [name = std::move(name), store = std::move(store), windows, emit, init, agg, merger](const SerdeDefaults&) {
    return std::make_unique<SessionWindowAggregateNode<K, V, VR, Init, Agg, Merger>>(name, store, windows, emit, init,
                                                                                     agg, merger);
  };
}

}  // namespace kstreams::internal
