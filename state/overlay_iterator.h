// Iterates an ordered overlay of changes (an entry without a value is a delete) on top of a
// base iterator over the same key range, as one ordered view: pending writes over committed
// data, or cached entries over the store below. Overlay entries shadow base entries of the
// same key. Internal.
//
// The overlay must not lose entries while the iterator lives (its iterators stay valid
// across insertions and updates; the stores erase only on commit or eviction, between records).
// Keys added to the overlay while the iterator lives may or may not be seen.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>

#include "streams/internal/bytes_store.h"

namespace kstreams::internal {

// Order: IndexedMap<Entry>::Order (key -> Entry*); ValueOf(const Entry&) -> const std::optional<std::string>&.
template <class Order, class ValueOf>
class OverlayIterator final : public BytesIterator {
 public:
  OverlayIterator(const Order& overlay, std::optional<std::string_view> from, std::optional<std::string_view> to,
                  bool reverse, std::unique_ptr<BytesIterator> base, ValueOf valueOf = {})
      : reverse_(reverse), base_(std::move(base)), valueOf_(valueOf) {
    begin_ = from ? overlay.lower_bound(*from) : overlay.begin();
    end_ = to ? overlay.upper_bound(*to) : overlay.end();
    if (from && to && *from > *to) end_ = begin_;
    pos_ = reverse_ ? end_ : begin_;
    settle();
  }

  bool valid() const override { return current_ != kNone; }
  std::string_view key() const override { return fromOverlay_ ? std::string_view(overlayEntry()->first) : base_->key(); }
  std::string_view value() const override {
    return fromOverlay_ ? std::string_view(*valueOf_(*overlayEntry()->second)) : base_->value();
  }
  void next() override {
    if (fromOverlay_) step();
    else base_->next();
    settle();
  }

 private:
  enum Current { kNone, kOverlay, kBase };
  using It = typename Order::const_iterator;

  bool overlayDone() const { return reverse_ ? pos_ == begin_ : pos_ == end_; }
  It overlayEntry() const { return reverse_ ? std::prev(pos_) : pos_; }
  void step() {
    if (reverse_) --pos_;
    else ++pos_;
  }

  // Chooses the next entry to show: the smaller key (larger in reverse) of overlay and base;
  // an overlay delete hides the base entry of its key and is not shown itself.
  void settle() {
    for (;;) {
      const bool o = !overlayDone();
      const bool b = base_->valid();
      if (!o && !b) {
        fromOverlay_ = false;
        current_ = kNone;
        return;
      }
      bool takeOverlay = o;
      if (o && b) {
        const int cmp = std::string_view(overlayEntry()->first).compare(base_->key());
        if (cmp == 0) base_->next();  // the overlay entry shadows the base entry
        takeOverlay = cmp == 0 || (reverse_ ? cmp > 0 : cmp < 0);
      }
      if (takeOverlay) {
        if (!valueOf_(*overlayEntry()->second)) {  // deleted
          step();
          continue;
        }
        fromOverlay_ = true;
        current_ = kOverlay;
        return;
      }
      fromOverlay_ = false;
      current_ = kBase;
      return;
    }
  }

  bool reverse_;
  std::unique_ptr<BytesIterator> base_;
  ValueOf valueOf_;
  It begin_, end_, pos_;
  bool fromOverlay_ = false;
  Current current_ = kNone;
};

// Iterates nothing: a base for overlays of stores that hold everything in the overlay.
class EmptyIterator final : public BytesIterator {
 public:
  bool valid() const override { return false; }
  std::string_view key() const override { return {}; }
  std::string_view value() const override { return {}; }
  void next() override {}
};

}  // namespace kstreams::internal
