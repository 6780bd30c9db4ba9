#include "runtime/composite_reader.h"

#include <algorithm>
#include <vector>

namespace kstreams::internal {
namespace {

// Merges sorted iterators (ascending, or descending when reverse) into one.
class MergingIterator final : public BytesIterator {
 public:
  MergingIterator(std::vector<std::unique_ptr<BytesIterator>> inputs, bool reverse)
      : inputs_(std::move(inputs)), reverse_(reverse) {
    pick();
  }
  bool valid() const override { return current_ != nullptr; }
  std::string_view key() const override { return current_->key(); }
  std::string_view value() const override { return current_->value(); }
  void next() override {
    current_->next();
    pick();
  }

 private:
  void pick() {
    current_ = nullptr;
    for (auto& in : inputs_) {
      if (!in->valid()) continue;
      if (!current_ || (reverse_ ? in->key() > current_->key() : in->key() < current_->key())) current_ = in.get();
    }
  }
  std::vector<std::unique_ptr<BytesIterator>> inputs_;
  bool reverse_;
  BytesIterator* current_ = nullptr;
};

}  // namespace

std::optional<std::string> CompositeReader::get(std::string_view key) {
  for (auto& [task, reader] : registry_.readers(name_))
    if (auto v = reader->get(key)) return v;
  return std::nullopt;
}

void CompositeReader::put(std::string_view, std::optional<std::string_view>, int64_t) {
  throw InvalidStateStoreException("store " + name_ + " is read-only for queries; write to it from a processor");
}

void CompositeReader::deleteBefore(std::string_view) {
  throw InvalidStateStoreException("store " + name_ + " is read-only for queries; write to it from a processor");
}

std::unique_ptr<BytesIterator> CompositeReader::range(std::optional<std::string_view> from,
                                                      std::optional<std::string_view> to, bool reverse) {
  std::vector<std::unique_ptr<BytesIterator>> inputs;
  for (auto& [task, reader] : registry_.readers(name_)) inputs.push_back(reader->range(from, to, reverse));
  return std::make_unique<MergingIterator>(std::move(inputs), reverse);
}

int64_t CompositeReader::approximateNumEntries() {
  int64_t n = 0;
  for (auto& [task, reader] : registry_.readers(name_)) n += reader->approximateNumEntries();
  return n;
}

}  // namespace kstreams::internal
