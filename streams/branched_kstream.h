// BranchedKStream: what KStream::split() returns, and split() itself. Included by kstream.h.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "streams/kstream.h"

namespace kstreams {

// The result of KStream::split(): add branches in order with branch(), then end with
// defaultBranch() (records matching no predicate go there) or noDefaultBranch() (they are
// dropped). Returns the branch streams by name: the split's name (Named) followed by each
// branch's name.
template <class K, class V>
class BranchedKStream {
 public:
  template <class Predicate>
  BranchedKStream& branch(Predicate predicate, Branched<K, V> branched = {});
  std::map<std::string, KStream<K, V>> defaultBranch(Branched<K, V> branched = {});
  std::map<std::string, KStream<K, V>> noDefaultBranch() { return std::move(result_); }

  BranchedKStream(KStream<K, V> split, std::string prefix,
                  std::shared_ptr<std::vector<std::function<bool(const K&, const V&)>>> predicates)
      : split_(std::move(split)), prefix_(std::move(prefix)), predicates_(std::move(predicates)) {}

 private:
  void addBranch(Branched<K, V> branched, const std::string& defaultName);

  KStream<K, V> split_;
  std::string prefix_;
  std::shared_ptr<std::vector<std::function<bool(const K&, const V&)>>> predicates_;
  std::map<std::string, KStream<K, V>> result_;
};

template <class K, class V>
BranchedKStream<K, V> KStream<K, V>::split(const Named& named) const {
  auto predicates = std::make_shared<std::vector<std::function<bool(const K&, const V&)>>>();
  auto fn = [predicates, copied = std::vector<std::function<bool(const K&, const V&)>>(),
             initialized = false](Record<K, V>&& r, internal::Downstream<K, V>& out) mutable {
    // Each task takes its own copy of the predicates (all branches are known by then).
    if (!initialized) {
      copied = *predicates;
      initialized = true;
    }
    for (size_t i = 0; i < copied.size(); ++i)
      if (copied[i](std::as_const(r.key), std::as_const(r.value)))
        return out.forwardTo(i, std::move(r));
    if (out.size() > copied.size()) out.forwardTo(copied.size(), std::move(r));
  };
  KStream<K, V> split = addStatelessNode<K, V>("split", "KSTREAM-BRANCH-", named, std::move(fn),
                                               keySerde_, valueSerde_, repartitionRequired_);
  std::string prefix = named.name.empty() ? graph_->node(split.node()).name : named.name;
  return BranchedKStream<K, V>(std::move(split), std::move(prefix), std::move(predicates));
}

template <class K, class V>
template <class Predicate>
BranchedKStream<K, V>& BranchedKStream<K, V>::branch(Predicate predicate,
                                                     Branched<K, V> branched) {
  static_assert(std::is_invocable_r_v<bool, Predicate&, const K&, const V&>,
                "branch() takes a predicate bool(const K&, const V&)");
  predicates_->emplace_back(std::move(predicate));
  addBranch(std::move(branched), std::to_string(predicates_->size()));
  return *this;
}

template <class K, class V>
std::map<std::string, KStream<K, V>> BranchedKStream<K, V>::defaultBranch(
    Branched<K, V> branched) {
  addBranch(std::move(branched), "0");
  return std::move(result_);
}

template <class K, class V>
void BranchedKStream<K, V>::addBranch(Branched<K, V> branched, const std::string& defaultName) {
  const std::string name = prefix_ + (branched.name.empty() ? defaultName : branched.name);
  KStream<K, V> stream = split_.template addStatelessNode<K, V>(
      "branch", "", Named::as(name),
      [](Record<K, V>&& r, internal::Downstream<K, V>& out) { out.forward(std::move(r)); },
      split_.keySerde(), split_.valueSerde(), split_.repartitionRequired());
  if (branched.consumer) branched.consumer(stream);
  else result_.emplace(name, std::move(stream));
}

}  // namespace kstreams
