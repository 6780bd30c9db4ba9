// The nodes of windowed aggregations: time windows (tumbling, hopping), sliding windows and
// sessions. Each tracks the stream time it has seen; a record whose window closed (its end
// plus the grace period is behind stream time) is dropped, counted and logged at debug
// level. Results go downstream as table changes keyed by Windowed<K>, at once or through
// the store's cache. A grouped stream's windowedBy() makes one such node; a cogrouped
// stream's makes one per input, all writing the one store (each with its own input's value
// type and aggregator, and, as in Kafka Streams, its own stream time). Internal.
#pragma once

#include <set>
#include <string>
#include <variant>

#include "streams/change.h"
#include "streams/internal/node.h"
#include "streams/internal/segmented_stores.h"
#include "streams/internal/topology_graph.h"

namespace kstreams::internal {

template <class K, class V>
using WindowTableStore = TypedWindowStore<K, ValueAndTimestamp<V>>;

// Writes windowed aggregates and forwards their changes.
template <class K, class V>
class WindowedTableWriter {
 public:
  void attach(TaskContext& context, const std::string& storeName, Downstream<Windowed<K>, Change<V>>& out) {
    store_ = dynamic_cast<WindowTableStore<K, V>*>(context.stateStore(storeName));
    if (store_ == nullptr) throw TopologyException("store " + storeName + " is not a windowed table store");
    out_ = &out;
    if (store_->cachingEnabled())
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
    if (!store_->cachingEnabled())
      out_->forward(Record<Windowed<K>, Change<V>>{Windowed<K>{key, window}, Change<V>{std::move(value), std::move(oldValue)},
                                                   timestamp, {}});
  }

 private:
  WindowTableStore<K, V>* store_ = nullptr;
  Downstream<Windowed<K>, Change<V>>* out_ = nullptr;
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
  TimeWindowAggregateNode(std::string name, std::string store, TimeWindows windows, Fn fn)
      : name_(std::move(name)), storeName_(std::move(store)), windows_(windows), fn_(std::move(fn)) {}
  void init(TaskContext& context) override {
    NodeInstance::init(context);
    table_.attach(context, storeName_, out_);
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
  }

 private:
  std::string name_;
  std::string storeName_;
  TimeWindows windows_;
  Fn fn_;
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
  SlidingWindowAggregateNode(std::string name, std::string store, SlidingWindows windows, Init init, Agg agg)
      : name_(std::move(name)), storeName_(std::move(store)), windows_(windows), init_(std::move(init)), agg_(std::move(agg)) {}
  void init(TaskContext& context) override {
    NodeInstance::init(context);
    table_.attach(context, storeName_, out_);
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
  }

 private:
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
  SessionWindowAggregateNode(std::string name, std::string store, SessionWindows windows, Init init, Agg agg, Merger merger)
      : name_(std::move(name)), storeName_(std::move(store)), windows_(windows), init_(std::move(init)),
        agg_(std::move(agg)), merger_(std::move(merger)) {}
  void init(TaskContext& context) override {
    NodeInstance::init(context);
    store_ = dynamic_cast<TypedSessionStore<K, VAT>*>(context.stateStore(storeName_));
    if (store_ == nullptr) throw TopologyException("store " + storeName_ + " is not a session store");
    if (store_->cachingEnabled())
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
      return;
    }
    for (auto& s : sessions) {
      if (s.key.window == merged) continue;
      store_->remove(s.key);
      if (!store_->cachingEnabled())
        out_.forward(Record<Windowed<K>, Change<VR>>{s.key, Change<VR>{std::nullopt, s.value.value}, timestamp, {}});
    }
    VR result = agg_(std::as_const(r.key), std::as_const(r.value), std::as_const(aggregate));
    std::optional<VR> old;
    for (auto& s : sessions)
      if (s.key.window == merged) old = s.value.value;
    Windowed<K> key{r.key, merged};
    store_->put(key, VAT{result, timestamp});
    if (!store_->cachingEnabled())
      out_.forward(Record<Windowed<K>, Change<VR>>{std::move(key), Change<VR>{std::move(result), std::move(old)}, timestamp, {}});
  }

 private:
  std::string name_;
  std::string storeName_;
  SessionWindows windows_;
  Init init_;
  Agg agg_;
  Merger merger_;
  int64_t observed_ = -1;
  TypedSessionStore<K, VAT>* store_ = nullptr;
  Downstream<Windowed<K>, Change<VR>> out_;
};

// The node of a time (tumbling, hopping) or sliding windows aggregation. Init:
// std::optional<VR>() (nullopt for reduce); Agg: VR(const K&, const V&, const
// std::optional<VR>& current), where current is Init's value for a new window.
template <class K, class V, class VR, class Init, class Agg>
NodeFactory timeWindowAggregateFactory(std::string name, std::string store,
                                       std::variant<TimeWindows, SlidingWindows> windows, Init init, Agg agg) {
  if (const auto* sliding = std::get_if<SlidingWindows>(&windows))
    return [name = std::move(name), store = std::move(store), w = *sliding, init, agg](const SerdeDefaults&) {
      return std::make_unique<SlidingWindowAggregateNode<K, V, VR, Init, Agg>>(name, store, w, init, agg);
    };
  auto fn = [init, agg](const K& k, const V& v, const std::optional<VR>& current) mutable {
    return agg(k, v, current ? current : init());
  };
  return [name = std::move(name), store = std::move(store), w = std::get<TimeWindows>(windows), fn](const SerdeDefaults&) {
    return std::make_unique<TimeWindowAggregateNode<K, V, VR, decltype(fn)>>(name, store, w, fn);
  };
}

// The node of a session windows aggregation; Init, Agg and Merger as for
// SessionWindowAggregateNode.
template <class K, class V, class VR, class Init, class Agg, class Merger>
NodeFactory sessionWindowAggregateFactory(std::string name, std::string store, SessionWindows windows, Init init,
                                          Agg agg, Merger merger) {
  return [name = std::move(name), store = std::move(store), windows, init, agg, merger](const SerdeDefaults&) {
    return std::make_unique<SessionWindowAggregateNode<K, V, VR, Init, Agg, Merger>>(name, store, windows, init, agg,
                                                                                     merger);
  };
}

}  // namespace kstreams::internal
