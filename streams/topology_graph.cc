#include <algorithm>
#include <charconv>
#include <cstdio>
#include <functional>
#include <numeric>

#include "streams/internal/topology_graph.h"

#include "streams/errors.h"

namespace kstreams::internal {
namespace {

std::string typePair(const std::type_info* k, const std::type_info* v) {
  return "<" + (k ? typeName(*k) : std::string("none")) + ", " +
         (v ? typeName(*v) : std::string("none")) + ">";
}

uint64_t fnv1a(std::string_view s) {
  uint64_t h = 1469598103934665603ULL;
  for (unsigned char c : s) {
    h ^= c;
    h *= 1099511628211ULL;
  }
  return h;
}

}  // namespace

size_t TopologyGraph::addNode(GraphNode node, const std::vector<size_t>& parents) {
  if (node.name.empty()) throw TopologyException("a topology node needs a name");
  if (byName_.count(node.name))
    throw TopologyException("node name '" + node.name +
                            "' is used twice; give each processor a unique name");
  for (size_t p : parents) {
    const GraphNode& parent = nodes_.at(p);
    if (parent.kind == GraphNode::Kind::kSink)
      throw TopologyException("sink " + parent.name + " cannot be the parent of " + node.name);
    if (node.inKey && parent.outKey &&
        (*node.inKey != *parent.outKey || *node.inValue != *parent.outValue))
      throw TopologyException("node " + node.name + " accepts records " +
                              typePair(node.inKey, node.inValue) + " but its parent " +
                              parent.name + " forwards " +
                              typePair(parent.outKey, parent.outValue));
  }
  if (node.kind == GraphNode::Kind::kSource) {
    for (const auto& topic : node.topics) {
      auto it = topicToSource_.find(topic);
      if (it != topicToSource_.end())
        throw TopologyException("topic " + topic + " is read by two sources, " +
                                nodes_[it->second].name + " and " + node.name +
                                "; read it once and use the stream twice");
    }
  }
  const size_t index = nodes_.size();
  node.parents = parents;
  byName_[node.name] = index;
  if (node.kind == GraphNode::Kind::kSource)
    for (const auto& topic : node.topics) topicToSource_[topic] = index;
  nodes_.push_back(std::move(node));
  for (size_t p : parents) nodes_[p].children.push_back(index);
  return index;
}

size_t TopologyGraph::addNode(GraphNode node, const std::vector<std::string>& parentNames) {
  std::vector<size_t> parents;
  for (const auto& name : parentNames) {
    auto found = find(name);
    if (!found)
      throw TopologyException("parent node '" + name + "' of " + node.name +
                              " does not exist; add it first");
    parents.push_back(*found);
  }
  return addNode(std::move(node), parents);
}

std::string TopologyGraph::newName(std::string_view prefix) {
  char digits[16];
  std::snprintf(digits, sizeof(digits), "%010lld", static_cast<long long>(nextIndex_++));
  return std::string(prefix) + digits;
}

std::string TopologyGraph::childLineage(size_t parent, std::string_view kind) const {
  return childLineage(nodes_.at(parent).lineage, kind);
}

std::string TopologyGraph::childLineage(std::string_view parentLineage, std::string_view kind) const {
  const std::string prefix = std::string(parentLineage) + "/" + std::string(kind) + "#";
  // All nodes, not only the parent's children: an aggregation of a rekeyed stream hangs
  // below the repartition topic it reads, not below the node its lineage names. And an
  // operator may have only nodes whose lineage extends its own (a stream-stream join's
  // ".../join#0/this"), so the ordinal follows the largest one taken.
  int ordinal = 0;
  for (const GraphNode& n : nodes_) {
    if (!n.lineage.starts_with(prefix)) continue;
    const size_t end = n.lineage.find('/', prefix.size());
    const std::string_view taken = std::string_view(n.lineage).substr(prefix.size(), end - prefix.size());
    int k = 0;
    const auto [stop, error] = std::from_chars(taken.data(), taken.data() + taken.size(), k);
    if (error != std::errc() || stop != taken.data() + taken.size()) continue;
    ordinal = std::max(ordinal, k + 1);
  }
  return prefix + std::to_string(ordinal);
}

std::string TopologyGraph::stableName(std::string_view prefix, std::string_view lineage) {
  char hex[24];
  std::snprintf(hex, sizeof(hex), "%010llx",
                static_cast<unsigned long long>(fnv1a(lineage) & 0xFFFFFFFFFFULL));
  return std::string(prefix) + hex;
}

void TopologyGraph::addRepartitionTopic(RepartitionTopic topic) {
  if (repartitionTopics_.count(topic.name))
    throw TopologyException("internal topic " + topic.name +
                            " is created twice; give the operations distinct names");
  std::string name = topic.name;
  repartitionTopics_.emplace(std::move(name), std::move(topic));
}

void TopologyGraph::addStore(StoreSpec store) {
  if (store.name.empty()) throw TopologyException("a state store needs a name");
  if (stores_.count(store.name))
    throw TopologyException("state store '" + store.name + "' is added twice; store names must be unique");
  std::string name = store.name;
  stores_.emplace(std::move(name), std::move(store));
}

const StoreSpec& TopologyGraph::queryableStore(const std::string& name, StoreKind kind, const std::type_info& key,
                                              const std::type_info& value) const {
  auto spec = stores_.find(name);
  if (spec == stores_.end()) throw InvalidStateStoreException("the topology has no state store named " + name);
  static const char* const kKinds[] = {"key-value", "window", "session"};
  if (spec->second.kind != kind)
    throw InvalidStateStoreException("state store " + name + " is a " + kKinds[static_cast<int>(spec->second.kind)] +
                                     " store, not a " + kKinds[static_cast<int>(kind)] +
                                     " store; query it with store(), windowStore() or sessionStore() to match");
  if (!spec->second.queryFactory || *spec->second.queryKey != key || *spec->second.queryValue != value)
    throw InvalidStateStoreException("state store " + name + " holds " + typeName(*spec->second.queryKey) + " -> " +
                                     typeName(*spec->second.queryValue) + ", not " + typeName(key) + " -> " +
                                     typeName(value));
  return spec->second;
}

void TopologyGraph::connectStore(const std::string& store, size_t node) {
  if (!stores_.count(store))
    throw TopologyException("node " + nodes_.at(node).name + " uses state store '" + store +
                            "', which was not added; add it first (StreamsBuilder::addStateStore)");
  auto& stores = nodes_.at(node).stores;
  if (std::find(stores.begin(), stores.end(), store) == stores.end()) stores.push_back(store);
  auto& users = storeUsers_[store];
  if (std::find(users.begin(), users.end(), node) == users.end()) users.push_back(node);
}

std::set<std::string> TopologyGraph::sourceTopicsOf(size_t node) const {
  std::set<std::string> topics;
  std::vector<size_t> todo{node};
  std::set<size_t> seen;
  while (!todo.empty()) {
    size_t n = todo.back();
    todo.pop_back();
    if (!seen.insert(n).second) continue;
    if (nodes_[n].kind == GraphNode::Kind::kSource) topics.insert(nodes_[n].topics.begin(), nodes_[n].topics.end());
    for (size_t p : nodes_[n].parents) todo.push_back(p);
  }
  return topics;
}

std::optional<size_t> TopologyGraph::find(const std::string& name) const {
  auto it = byName_.find(name);
  if (it == byName_.end()) return std::nullopt;
  return it->second;
}

std::optional<size_t> TopologyGraph::sourceOf(const std::string& topic) const {
  auto it = topicToSource_.find(topic);
  if (it == topicToSource_.end()) return std::nullopt;
  return it->second;
}

std::vector<Subtopology> TopologyGraph::subtopologies() const {
  std::vector<size_t> root(nodes_.size());
  std::iota(root.begin(), root.end(), 0);
  std::function<size_t(size_t)> findRoot = [&](size_t x) {
    while (root[x] != x) x = root[x] = root[root[x]];
    return x;
  };
  auto unite = [&](size_t a, size_t b) {
    a = findRoot(a);
    b = findRoot(b);
    if (a != b) root[std::max(a, b)] = std::min(a, b);
  };
  for (size_t i = 0; i < nodes_.size(); ++i)
    for (size_t p : nodes_[i].parents) unite(i, p);
  for (const auto& [store, users] : storeUsers_)
    for (size_t u : users) unite(users.front(), u);

  std::map<size_t, Subtopology> byRoot;  // ordered by the first node of each component
  for (size_t i = 0; i < nodes_.size(); ++i) {
    if (nodes_[i].global) continue;
    Subtopology& st = byRoot[findRoot(i)];
    st.nodes.push_back(i);
    const GraphNode& n = nodes_[i];
    if (n.kind == GraphNode::Kind::kSource)
      for (const auto& t : n.topics)
        (n.internalTopics ? st.repartitionSourceTopics : st.sourceTopics).push_back(t);
    if (n.kind == GraphNode::Kind::kSink && n.internalTopics)
      for (const auto& t : n.topics) st.repartitionSinkTopics.push_back(t);
    if (n.kind != GraphNode::Kind::kSource && n.seesHeaders) st.seesHeaders = true;
    for (const auto& s : n.stores)
      if (std::find(st.stores.begin(), st.stores.end(), s) == st.stores.end())
        st.stores.push_back(s);
  }
  std::vector<Subtopology> result;
  int32_t id = 0;
  for (auto& [r, st] : byRoot) {
    st.id = id++;
    result.push_back(std::move(st));
  }
  return result;
}

std::string TopologyGraph::describe() const {
  // Kafka Streams orders nodes by the size of the sub-graph below them, then by name.
  std::vector<size_t> below(nodes_.size(), 0);
  std::function<size_t(size_t)> size = [&](size_t i) -> size_t {
    if (below[i] == 0) {
      size_t s = 1;
      for (size_t c : nodes_[i].children) s += size(c);
      below[i] = s;
    }
    return below[i];
  };
  auto order = [&](size_t a, size_t b) {
    if (size(a) != size(b)) return size(a) > size(b);
    return nodes_[a].name < nodes_[b].name;
  };
  auto names = [&](std::vector<size_t> ids) {
    if (ids.empty()) return std::string("none");
    std::sort(ids.begin(), ids.end(), order);
    std::string out;
    for (size_t i : ids) out += (out.empty() ? "" : ", ") + nodes_[i].name;
    return out;
  };
  auto list = [](const std::vector<std::string>& items) {
    std::string out = "[";
    for (size_t i = 0; i < items.size(); ++i) out += (i ? ", " : "") + items[i];
    return out + "]";
  };

  // Global stores are described as sub-topologies of their own, numbered after the others.
  std::vector<Subtopology> all = subtopologies();
  std::vector<size_t> globalIds;
  {
    std::map<size_t, Subtopology> globals;
    for (size_t i = 0; i < nodes_.size(); ++i) {
      if (!nodes_[i].global) continue;
      size_t r = i;
      while (!nodes_[r].parents.empty()) r = nodes_[r].parents.front();
      globals[r].nodes.push_back(i);
    }
    for (auto& [r, st] : globals) {
      st.id = static_cast<int32_t>(all.size());
      globalIds.push_back(all.size());
      all.push_back(std::move(st));
    }
  }
  std::string out = "Topologies:\n ";
  for (size_t index = 0; index < all.size(); ++index) {
    const Subtopology& st = all[index];
    const bool global = std::find(globalIds.begin(), globalIds.end(), index) != globalIds.end();
    out += "  Sub-topology: " + std::to_string(st.id) + (global ? " for global store (will not generate tasks)" : "") + "\n";
    std::vector<size_t> sorted = st.nodes;
    std::sort(sorted.begin(), sorted.end(), order);
    for (size_t i : sorted) {
      const GraphNode& n = nodes_[i];
      out += "    ";
      switch (n.kind) {
        case GraphNode::Kind::kSource:
          out += "Source: " + n.name + " (topics: " + list(n.topics) + ")\n      --> " +
                 names(n.children);
          break;
        case GraphNode::Kind::kProcessor:
          out += "Processor: " + n.name + " (stores: " + list(n.stores) + ")\n      --> " +
                 names(n.children) + "\n      <-- " + names(n.parents);
          break;
        case GraphNode::Kind::kSink:
          out += "Sink: " + n.name +
                 (n.topics.empty() ? std::string(" (extractor class: topic chosen per record)")
                                   : " (topic: " + n.topics.front() + ")") +
                 "\n      <-- " + names(n.parents);
          break;
      }
      out += "\n";
    }
    out += "\n";
  }
  return out;
}

}  // namespace kstreams::internal
