// Iterates an ordered overlay of changes (an entry without a value is a delete) on top of a
// base iterator over the same key range, as one ordered view: pending writes over committed
// data, or cached entries over the store below. Overlay entries shadow base entries of the
// same key. Internal.
//
// The overlay must not lose entries while the iterator lives (its iterators stay valid
// across insertions and updates; the stores erase only on commit or eviction, between
// records, and a range dropped while iterators are open leaves its entries in place, as
// deletes). Keys added to the overlay while the iterator lives may or may not be seen, and
// so may keys deleted or dropped meanwhile.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>

#include "streams/internal/bytes_store.h"

namespace kstreams::internal {

// The entries of an ordered overlay (IndexedMap<Entry>::Order, PendingWrites::Order) with
// keys in [from, to].
template <class Order>
std::pair<typename Order::const_iterator, typename Order::const_iterator> entriesBetween(
    const Order& overlay, std::optional<std::string_view> from, std::optional<std::string_view> to) {
  auto begin = from ? overlay.lower_bound(*from) : overlay.begin();
  auto end = to ? overlay.upper_bound(*to) : overlay.end();
  if (from && to && *from > *to) end = begin;
  return {begin, end};
}

// It: an iterator over ordered (std::string_view key, Entry*) pairs, from entriesBetween or
// over a collected run; ValueOf(const Entry&) -> an optional string or string_view (empty:
// a delete). An entry deleted after the iterator reached it shows an empty value, or
// ValueOf::whenReached(const Entry&) if ValueOf has it.
template <class It, class ValueOf>
class OverlayIterator final : public BytesIterator {
 public:
  OverlayIterator(std::pair<It, It> overlay, bool reverse, std::unique_ptr<BytesIterator> base, ValueOf valueOf = {})
      : reverse_(reverse), base_(std::move(base)), valueOf_(valueOf), begin_(overlay.first), end_(overlay.second) {
    pos_ = reverse_ ? end_ : begin_;
    settle();
  }

  bool valid() const override { return current_ != kNone; }
  std::string_view key() const override { return fromOverlay_ ? std::string_view(overlayEntry()->first) : base_->key(); }
  std::string_view value() const override {
    if (!fromOverlay_) return base_->value();
    const auto& entry = *overlayEntry()->second;
    if (const auto& value = valueOf_(entry)) return *value;
    // Deleted since the iterator reached it: a write to the store meanwhile.
    if constexpr (requires { valueOf_.whenReached(entry); }) return valueOf_.whenReached(entry);
    else return {};
  }
  void next() override {
    if (fromOverlay_) step();
    else base_->next();
    settle();
  }

 private:
  enum Current { kNone, kOverlay, kBase };

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

// An overlay of entries collected for one read, which it owns, over a base iterator. Run:
// IndexedMap<Entry>::Run or PendingWrites::Run, from collectWithinPrefix.
template <class Run, class ValueOf>
class CollectedOverlayIterator final : public BytesIterator {
 public:
  CollectedOverlayIterator(Run run, bool reverse, std::unique_ptr<BytesIterator> base, ValueOf valueOf = {})
      : run_(std::move(run)), inner_({run_.cbegin(), run_.cend()}, reverse, std::move(base), valueOf) {}
  bool valid() const override { return inner_.valid(); }
  std::string_view key() const override { return inner_.key(); }
  std::string_view value() const override { return inner_.value(); }
  void next() override { inner_.next(); }

 private:
  Run run_;  // before inner_, which iterates it
  OverlayIterator<typename Run::const_iterator, ValueOf> inner_;
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
