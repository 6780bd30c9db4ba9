// An iterator that counts itself as open while it lives. Internal.
//
// A store whose iterators hold positions among its own entries (see overlay_iterator.h)
// must keep those entries in place while any is open: it hands each iterator a shared
// count and asks the count before it erases. Shared, because an iterator may outlive its
// store.
#pragma once

#include <memory>
#include <type_traits>
#include <utility>

#include "streams/internal/bytes_store.h"

namespace kstreams::internal {

// Inner: the iterator counted, held by value (a final class: its calls are direct) or as a
// std::unique_ptr<BytesIterator>.
template <class Inner>
class CountedIterator final : public BytesIterator {
 public:
  template <class... Args>
  explicit CountedIterator(std::shared_ptr<int> open, Args&&... inner)
      : open_(std::move(open)), inner_(std::forward<Args>(inner)...) {
    ++*open_;
  }
  ~CountedIterator() override { --*open_; }
  bool valid() const override { return inner().valid(); }
  std::string_view key() const override { return inner().key(); }
  std::string_view value() const override { return inner().value(); }
  void next() override { inner().next(); }

 private:
  static constexpr bool kHeldByPointer = std::is_same_v<Inner, std::unique_ptr<BytesIterator>>;
  const auto& inner() const {
    if constexpr (kHeldByPointer) return *inner_;
    else return inner_;
  }
  auto& inner() {
    if constexpr (kHeldByPointer) return *inner_;
    else return inner_;
  }

  std::shared_ptr<int> open_;
  Inner inner_;
};

}  // namespace kstreams::internal
