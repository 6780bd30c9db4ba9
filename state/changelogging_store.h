// ChangeLoggingStore: every write to the store below also goes to the store's changelog
// partition, "<application.id>-<store>-changelog" partition <task partition>, through the
// task's RecordCollector (so under exactly-once it is part of the transaction). The
// collector tracks the offset of the last acknowledged record, which becomes the store's
// checkpoint at commit. Internal.
#pragma once

#include <memory>
#include <string>

#include "streams/internal/node.h"

namespace kstreams::internal {

class ChangeLoggingStore final : public KeyValueBytesStore {
 public:
  ChangeLoggingStore(std::unique_ptr<KeyValueBytesStore> inner, RecordCollector& collector, std::string topic,
                     int32_t partition)
      : inner_(std::move(inner)),
        collector_(collector),
        topic_(std::move(topic)),
        partition_(partition),
        lastOffset_(collector.offsetSlot(topic_, partition_)) {}

  const std::string& name() const override { return inner_->name(); }
  bool persistent() const override { return inner_->persistent(); }
  void flush() override { inner_->flush(); }
  std::optional<std::string> get(std::string_view key) override { return inner_->get(key); }
  void put(std::string_view key, std::optional<std::string_view> value, int64_t timestamp) override {
    inner_->put(key, value, timestamp);
    collector_.sendTracked(topic_, partition_, key, value, timestamp, lastOffset_);
  }
  std::unique_ptr<BytesIterator> range(std::optional<std::string_view> from, std::optional<std::string_view> to,
                                       bool reverse) override {
    return inner_->range(from, to, reverse);
  }
  int64_t approximateNumEntries() override { return inner_->approximateNumEntries(); }
  // Expired data: the changelog's own retention removes it there.
  void deleteBefore(std::string_view to) override { inner_->deleteBefore(to); }

  // The offset of the last changelog record the brokers acknowledged; -1 before the first.
  int64_t lastLoggedOffset() const { return *lastOffset_; }
  const std::string& topic() const { return topic_; }

 private:
  std::unique_ptr<KeyValueBytesStore> inner_;
  RecordCollector& collector_;
  std::string topic_;
  int32_t partition_;
  int64_t* lastOffset_;  // written by the collector
};

}  // namespace kstreams::internal
