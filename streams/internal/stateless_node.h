// The one node type behind every stateless DSL operator (filter, map, flatMap, peek, ...):
// the operator is a function object of the node's type, so the user's lambda is inlined into
// the node's process(). Internal.
#pragma once

#include <utility>

#include "streams/internal/node.h"

namespace kstreams::internal {

// What a stateless node that receives table changes does with their old values.
enum class OldValues {
  kRead,      // fn reads them (and must see them: a table filter, a regrouping)
  kPassedOn,  // fn maps them for its children, who decide (a table's mapValues, a merge)
  kIgnored,   // fn drops them (toStream)
};

// Fn is called as fn(Record<KIn, VIn>&&, Downstream<KOut, VOut>&).
template <class KIn, class VIn, class KOut, class VOut, class Fn>
class StatelessNode final : public RecordInput<KIn, VIn> {
 public:
  explicit StatelessNode(Fn fn, OldValues oldValues = OldValues::kRead) : fn_(std::move(fn)), oldValues_(oldValues) {}
  void addChild(NodeInstance& child, const std::string& name) override { out_.add(child, name); }
  void process(Record<KIn, VIn>&& record) override { fn_(std::move(record), out_); }
  bool needsOldValues() const override {
    switch (oldValues_) {
      case OldValues::kRead: return true;
      case OldValues::kPassedOn: return out_.needsOldValues();
      case OldValues::kIgnored: return false;
    }
    return true;
  }

 private:
  Fn fn_;
  OldValues oldValues_;
  Downstream<KOut, VOut> out_;
};

// Key and value of what map() and flatMap() functions return: KeyValue<K, V> or std::pair.
template <class T>
struct KeyValueTraits;
template <class K, class V>
struct KeyValueTraits<KeyValue<K, V>> {
  using Key = K;
  using Value = V;
  static K&& key(KeyValue<K, V>& kv) { return std::move(kv.key); }
  static V&& value(KeyValue<K, V>& kv) { return std::move(kv.value); }
};
template <class K, class V>
struct KeyValueTraits<std::pair<K, V>> {
  using Key = K;
  using Value = V;
  static K&& key(std::pair<K, V>& kv) { return std::move(kv.first); }
  static V&& value(std::pair<K, V>& kv) { return std::move(kv.second); }
};

// Calls a value mapper that takes (value) or (key, value).
template <class F, class K, class V>
decltype(auto) callValueMapper(F& f, const K& key, const V& value) {
  if constexpr (std::is_invocable_v<F&, const V&>) return f(value);
  else return f(key, value);
}

template <class F, class K, class V>
using ValueMapperResult = std::decay_t<decltype(callValueMapper(
    std::declval<F&>(), std::declval<const K&>(), std::declval<const V&>()))>;

}  // namespace kstreams::internal
