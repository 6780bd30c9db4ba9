// The node KStream::print adds: one line per record, "[label]: key, value", to the target
// Printed chose. Internal.
#pragma once

#include <memory>
#include <string>
#include <utility>

#include "streams/internal/node.h"
#include "streams/printed.h"

namespace kstreams::internal {

template <class K, class V>
class PrintNode final : public RecordInput<K, V> {
 public:
  PrintNode(std::shared_ptr<PrintTarget> target, const std::string& label,
            typename Printed<K, V>::KeyValueMapper mapper)
      : target_(std::move(target)), prefix_("[" + label + "]: "), mapper_(std::move(mapper)) {}

  void process(Record<K, V>&& record) override {
    line_.assign(prefix_);
    if (mapper_) {
      line_ += mapper_(std::as_const(record.key), std::as_const(record.value));
    } else if constexpr (printable<K>() && printable<V>()) {
      appendPrintable(line_, record.key);
      line_ += ", ";
      appendPrintable(line_, record.value);
    }
    line_ += '\n';
    target_->writeLine(line_);
  }
  void close() override { target_->flush(); }

 private:
  std::shared_ptr<PrintTarget> target_;
  std::string prefix_;
  typename Printed<K, V>::KeyValueMapper mapper_;
  std::string line_;  // reused, so a line allocates nothing once it has grown to size
};

}  // namespace kstreams::internal
