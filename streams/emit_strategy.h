// When a windowed aggregation sends its results downstream (KIP-825, as in Kafka Streams):
//
//   orders.groupByKey()
//       .windowedBy(TimeWindows::ofSizeAndGrace(1min, 10s))
//       .emitStrategy(EmitStrategy::onWindowClose())
//       .count()
//
// onWindowUpdate() (the default): every update of a window, as the store's record cache
// lets it through. onWindowClose(): nothing on update; once stream time closes a window
// (its end plus the grace is behind), its final aggregate, once. See docs/windows-joins.md.
#pragma once

namespace kstreams {

class EmitStrategy {
 public:
  enum class Type { kOnWindowUpdate, kOnWindowClose };

  static EmitStrategy onWindowUpdate() { return EmitStrategy(Type::kOnWindowUpdate); }
  static EmitStrategy onWindowClose() { return EmitStrategy(Type::kOnWindowClose); }

  Type type() const { return type_; }
  bool onClose() const { return type_ == Type::kOnWindowClose; }
  bool operator==(const EmitStrategy&) const = default;

 private:
  explicit EmitStrategy(Type type) : type_(type) {}
  Type type_;
};

}  // namespace kstreams
