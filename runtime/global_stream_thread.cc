#include "runtime/global_stream_thread.h"

#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <thread>

#include "runtime/log.h"
#include "runtime/thread_name.h"
#include "state/in_memory_store.h"

namespace kstreams::internal {

GlobalRecordReader::GlobalRecordReader(const TopologyGraph& graph, std::string store, const std::string& topic,
                                       const SerdeDefaults& serdes, DeserializationHandling handling)
    : store_(std::move(store)), handling_(handling) {
  const std::optional<size_t> source = graph.sourceOf(topic);
  if (!source) throw TopologyException("global store " + store_ + " has no source node for its topic " + topic);
  source_ = graph.node(*source).factory(serdes);
}

GlobalRecordReader::GlobalRecordReader(GlobalRecordReader&&) noexcept = default;
GlobalRecordReader::~GlobalRecordReader() = default;

bool GlobalRecordReader::readable(const RawRecord& raw) const {
  try {
    // The source has no children: it only deserializes.
    static_cast<SourceInstance&>(*source_).process(raw, raw.timestamp);
    return true;
  } catch (const SerializationException& e) {
    const std::string where = fmt::format("topic {} partition {} offset {}", raw.topic, raw.partition, raw.offset);
    if (handling_ == DeserializationHandling::kLogAndFail)
      throw StreamsException("cannot read the record of global table " + store_ + " at " + where + ": " + e.what() +
                             ". Fix the producer, or set default.deserialization.exception.handler=LogAndContinue "
                             "to skip such records");
    log().warn("global table {}: skipping the unreadable record at {}: {}", store_, where, e.what());
    return false;
  }
}

GlobalStreamThread::GlobalStreamThread(const TopologyGraph& graph, const StreamsConfig& config, RocksDBResources* rocksdb,
                                       StoreRegistry& registry, std::function<void(const std::string&)> onError,
                                       WatermarkQuery queryWatermarks)
    : config_(config),
      rocksdb_(rocksdb),
      registry_(registry),
      onError_(std::move(onError)),
      queryWatermarks_(std::move(queryWatermarks)) {
  for (const auto& [store, topic] : graph.globalStores()) {
    Global g;
    g.store = store;
    g.topic = topic;
    const std::string dir = config.stateDir() + "/" + config.applicationId() + "/global/" + store;
    g.checkpointFile = dir + ".checkpoint";
    std::filesystem::create_directories(std::filesystem::path(dir).parent_path());
    g.local = graph.stores().at(store).persistent ? openRocksDBStore(store, dir, *rocksdb_) : openInMemoryStore(store);
    g.reader = std::make_unique<GlobalRecordReader>(graph, store, topic, config.serdeDefaults(),
                                                    config.deserializationHandling());
    if (graph.stores().at(store).persistent) {
      std::ifstream in(g.checkpointFile);
      int32_t partition;
      int64_t offset;
      while (in >> partition >> offset) g.next[partition] = offset;
    }
    globals_.push_back(std::move(g));
  }
  for (auto& g : globals_) byTopic_[g.topic] = &g;
  // A global table's topic is read from whatever it still holds, whatever auto.offset.reset
  // says for input topics.
  auto props = clientProperties(config, "consumer", config.clientId() + "-GlobalStreamThread",
                                {},
                                {{"auto.offset.reset", "earliest"},
                                 {"group.id", config.applicationId() + "-global"},
                                 {"enable.auto.commit", "false"},
                                 {"enable.auto.offset.store", "false"},
                                 {"enable.partition.eof", "true"},
                                 {"isolation.level", config.exactlyOnce() ? "read_committed" : "read_uncommitted"}});
  consumer_ = createClient(RD_KAFKA_CONSUMER, makeConf(props));
}

GlobalStreamThread::~GlobalStreamThread() {
  shutdown();
  join();
  for (auto& g : globals_) registry_.remove(g.store, TaskId{-1, 0});
  if (consumer_) rd_kafka_consumer_close(consumer_.get());
}

bool GlobalStreamThread::restore() {
  const auto started = std::chrono::steady_clock::now();
  PartitionEnds ends;
  PartitionList assignment(rd_kafka_topic_partition_list_new(0));
  for (auto& g : globals_) {
    // Asked in slices that close() can end: an unreachable cluster would hold it for
    // default.api.timeout.ms.
    const auto deadline = std::chrono::steady_clock::now() + config_.defaultApiTimeout();
    rd_kafka_resp_err_t err = RD_KAFKA_RESP_ERR__TIMED_OUT;
    KafkaMetadata owned;
    // librdkafka answers _TRANSPORT when no broker could be reached within the slice.
    while (!stop_ && (err == RD_KAFKA_RESP_ERR__TIMED_OUT || err == RD_KAFKA_RESP_ERR__TRANSPORT) &&
           std::chrono::steady_clock::now() < deadline)
      owned = topicMetadata(consumer_.get(), g.topic, waitSliceMs(deadline), err);
    if (stop_) {
      log().info("global store restoration stopped by close() before it began");
      return false;
    }
    const rd_kafka_metadata_t* md = owned.get();
    if (err || md->topic_cnt != 1 || md->topics[0].err)
      throw MissingSourceTopicException("the topic of global table " + g.store + ", " + g.topic +
                                        ", cannot be read: " + rd_kafka_err2str(err ? err : md->topics[0].err));
    forgetOffsetsOutsideTheTopic(g, md->topics[0].partition_cnt, ends);
    for (int p = 0; p < md->topics[0].partition_cnt; ++p) {
      auto it = g.next.find(p);
      rd_kafka_topic_partition_list_add(assignment.get(), g.topic.c_str(), p)->offset =
          it == g.next.end() ? RD_KAFKA_OFFSET_BEGINNING : it->second;
      ends.try_emplace({g.topic, p});
    }
  }
  rd_kafka_assign(consumer_.get(), assignment.get());
  const int64_t before = restored_;
  askForTheEnds(ends);
  waitForTheEnds(ends);
  commit(true);  // also when stopped: a later start reads on from what was read
  if (stop_) {
    log().info("global store restoration stopped by close() after {} records", restored_ - before);
    return false;
  }
  for (auto& g : globals_) {
    readers_[g.store] = g.local->committedReader();
    registry_.add(g.store, TaskId{-1, 0}, readers_[g.store]);
  }
  log().info("global stores restored: {} records in {} ms", restored_ - before,
             std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started).count());
  return true;
}

// Each partition must make progress of its own, a record read or its end reached: one
// whose leader is unreachable makes none, and librdkafka retries it for ever without telling
// the consumer, while the other partitions may go on receiving records. As in Kafka Streams,
// task.timeout.ms without progress on some partition fails start() instead of hanging it.
void GlobalStreamThread::waitForTheEnds(PartitionEnds& ends) {
  using Clock = std::chrono::steady_clock;
  constexpr std::chrono::seconds kReportInterval{10};
  struct Progress {
    int64_t next;  // -1: nothing read yet
    Clock::time_point since;
  };
  auto nextOf = [&](const std::pair<std::string, int32_t>& tp) {
    const auto& next = byTopic_.at(tp.first)->next;
    auto it = next.find(tp.second);
    return it == next.end() ? int64_t{-1} : it->second;
  };
  auto describe = [&](const std::vector<std::pair<std::string, int32_t>>& partitions) {
    std::string out;
    for (size_t i = 0; i < partitions.size() && i < 5; ++i) {
      const auto& [topic, p] = partitions[i];
      int64_t low = -1, high = -1;
      rd_kafka_get_watermark_offsets(consumer_.get(), topic.c_str(), p, &low, &high);
      const int64_t next = nextOf(partitions[i]);
      out += fmt::format("{}{} (next offset {}, end {})", i ? ", " : "", partitionName(topic, p),
                         next < 0 ? "its beginning" : std::to_string(next),
                         high < 0 ? "not known: no fetch answered" : std::to_string(high));
    }
    if (partitions.size() > 5) out += fmt::format(" and {} more", partitions.size() - 5);
    return out;
  };
  const std::chrono::milliseconds timeout = config_.taskTimeout();
  auto lastReport = Clock::now();
  std::map<std::pair<std::string, int32_t>, Progress> waiting;
  for (const auto& [tp, end] : ends)
    if (!end.reached) waiting[tp] = {nextOf(tp), lastReport};
  while (!waiting.empty() && !stop_) {
    poll(100, &ends);
    const auto now = Clock::now();
    std::vector<std::pair<std::string, int32_t>> stuck, behind;
    for (auto it = waiting.begin(); it != waiting.end();) {
      PartitionEnd& end = ends[it->first];
      if (end.reached || (end.foundAt >= 0 && endConfirmed(it->first, end))) {
        it = waiting.erase(it);
        continue;
      }
      if (const int64_t next = nextOf(it->first); next != it->second.next) it->second = {next, now};
      else if (now - it->second.since >= timeout) stuck.push_back(it->first);
      behind.push_back(it->first);
      ++it;
    }
    if (!stuck.empty()) {
      commit(true);  // keep what was read
      throw StreamsException(fmt::format(
          "restoring the global tables made no progress for {} ms (task.timeout.ms) on {}; librdkafka's log says "
          "why (a broker that cannot be reached, a partition without a leader, a record batch larger than "
          "receive.message.max.bytes). Raise task.timeout.ms to wait longer",
          timeout.count(), describe(stuck)));
    }
    if (now - lastReport >= kReportInterval && !behind.empty()) {
      lastReport = now;
      log().info("restoring the global tables: {} records read, {} of {} partitions at their end; waiting for {}",
                 restored_, ends.size() - behind.size(), ends.size(), describe(behind));
    }
  }
}

namespace {
bool partitionGone(rd_kafka_resp_err_t err) {
  return err == RD_KAFKA_RESP_ERR__UNKNOWN_PARTITION || err == RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART ||
         err == RD_KAFKA_RESP_ERR__UNKNOWN_TOPIC;
}
}  // namespace

// A partition's log start and end, asked in slices that close() can end until its leader
// answers, the partition turns out to be gone, or `deadline` passes (the last error then).
rd_kafka_resp_err_t GlobalStreamThread::askWatermarks(const std::string& topic, int32_t partition,
                                                      std::chrono::steady_clock::time_point deadline, int64_t& low,
                                                      int64_t& high) {
  rd_kafka_resp_err_t err = RD_KAFKA_RESP_ERR__TIMED_OUT;
  while (!stop_) {
    err = queryWatermarks_(consumer_.get(), topic.c_str(), partition, &low, &high, waitSliceMs(deadline));
    if (!err || partitionGone(err) || std::chrono::steady_clock::now() >= deadline) break;
    if (err != RD_KAFKA_RESP_ERR__TIMED_OUT) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return err;
}

void GlobalStreamThread::askForTheEnds(PartitionEnds& ends) {
  const auto deadline = std::chrono::steady_clock::now() + config_.defaultApiTimeout();
  for (auto& [tp, end] : ends) {
    if (end.reported >= 0) continue;  // learnt while checking the checkpoint
    // A partition whose leader does not answer is read to the first end a fetch finds; one
    // that makes no progress fails after task.timeout.ms.
    int64_t low = 0, high = 0;
    const rd_kafka_resp_err_t err = askWatermarks(tp.first, tp.second, deadline, low, high);
    if (stop_) return;
    if (err == RD_KAFKA_RESP_ERR_NO_ERROR) end.reported = high;
    else
      log().warn("global table {}: its leader did not say where it ends ({}); reading it to the first end a fetch finds",
                 partitionName(tp.first, tp.second), rd_kafka_err2str(err));
  }
}

bool GlobalStreamThread::endConfirmed(const TopicPartition& tp, PartitionEnd& end) {
  const auto now = std::chrono::steady_clock::now();
  if (now - end.lastAsked < std::chrono::seconds(1)) return false;
  end.lastAsked = now;
  int64_t low = 0, high = 0;
  const rd_kafka_resp_err_t err =
      queryWatermarks_(consumer_.get(), tp.first.c_str(), tp.second, &low, &high, waitSliceMs(now + std::chrono::seconds(1)));
  if (err) return false;  // asked again in a second; task.timeout.ms bounds the wait
  if (high <= end.foundAt) {
    log().info("global table {} ends at {}, not at {} as first reported", partitionName(tp.first, tp.second),
               end.foundAt, end.reported);
    return true;
  }
  end.reported = high;
  return false;
}

// A checkpoint past a partition's end (the topic was deleted and created again) or before its
// start (records deleted before they were read) says nothing true about the store: reading
// on from it would keep rows the topic no longer has, or skip some. As Kafka Streams does, the
// store is wiped and the whole topic read again.
void GlobalStreamThread::forgetOffsetsOutsideTheTopic(Global& g, int partitions, PartitionEnds& ends) {
  if (g.next.empty()) return;
  const auto deadline = std::chrono::steady_clock::now() + config_.defaultApiTimeout();
  for (const auto& [p, next] : g.next) {
    int64_t low = 0, high = 0;
    // A partition's leader that does not answer (moving, restarting) says nothing about the
    // checkpoint: asked again until the deadline. Only a partition that is gone, or an
    // answer, decides.
    const rd_kafka_resp_err_t err =
        p < partitions ? askWatermarks(g.topic, p, deadline, low, high) : RD_KAFKA_RESP_ERR__UNKNOWN_PARTITION;
    if (stop_) return;
    if (err && !partitionGone(err))  // the deadline passed without an answer
      throw StreamsException(fmt::format(
          "global store {}: cannot learn where {} begins and ends, to check the store's checkpoint (offset {}), "
          "within {} ms (default.api.timeout.ms): {}. The store is kept as it is; start again once the partition's "
          "leader answers",
          g.store, partitionName(g.topic, p), next, config_.defaultApiTimeout().count(), rd_kafka_err2str(err)));
    if (!err) {
      ends[{g.topic, p}].reported = high;
      if (next >= low && next <= high) continue;
    }
    log().warn("global store {}: its checkpoint for {} is offset {}, {}; reading the whole topic again into an "
               "empty store", g.store, partitionName(g.topic, p), next,
               err ? std::string("the partition cannot be read: ") + rd_kafka_err2str(err)
                   : fmt::format("outside what the partition holds ({} to {})", low, high));
    g.local->wipe();
    g.next.clear();
    return;
  }
}

void GlobalStreamThread::poll(int timeoutMs, PartitionEnds* ends) {
  rd_kafka_message_t* m = rd_kafka_consumer_poll(consumer_.get(), timeoutMs);
  for (int n = 0; m != nullptr && n < 10000; ++n) {
    const std::string topic = m->rkt ? rd_kafka_topic_name(m->rkt) : "";
    if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
      if (ends) {
        // Short of the end reported before reading began (a new leader whose high watermark
        // has not caught up yet): finishing here would start the application without the
        // rows between. The consumer reads on; waitForTheEnds asks for the end again.
        PartitionEnd& end = (*ends)[{topic, m->partition}];
        if (m->offset < end.reported) {
          if (end.foundAt < 0) end.lastAsked = std::chrono::steady_clock::now();
          end.foundAt = m->offset;
        } else {
          end.reached = true;
        }
      }
    } else if (m->err) {
      // A topic gone or forbidden fails the thread; anything else (a connection torn down, a
      // coordinator look-up that failed) librdkafka retries itself: it is logged, and a
      // restoration it holds up fails after task.timeout.ms without progress.
      const bool fatal =
          m->rkt && (topicGoneOrForbidden(m->err) || m->err == RD_KAFKA_RESP_ERR__UNKNOWN_PARTITION);
      std::string text = m->rkt ? fmt::format("global table {} cannot be read at offset {}: {}",
                                              partitionName(topic, m->partition), m->offset, rd_kafka_message_errstr(m))
                                : fmt::format("global stream thread's consumer: {}", rd_kafka_message_errstr(m));
      if (fatal) {
        rd_kafka_message_destroy(m);
        throw StreamsException(text);
      }
      log().warn("{}", text);
    } else if (auto it = byTopic_.find(topic); it != byTopic_.end()) {
      Global& g = *it->second;
      if (m->key) {  // a record without a key cannot be a row
        RawRecord raw;
        raw.topic = topic;
        raw.partition = m->partition;
        raw.offset = m->offset;
        raw.timestamp = rd_kafka_message_timestamp(m, nullptr);
        raw.key = std::string_view(static_cast<const char*>(m->key), m->key_len);
        if (m->payload) raw.value = std::string_view(static_cast<const char*>(m->payload), m->len);
        bool readable;
        try {
          readable = g.reader->readable(raw);
        } catch (...) {
          rd_kafka_message_destroy(m);
          throw;
        }
        if (readable) g.local->put(*raw.key, raw.value, raw.timestamp);
        else skipped_.fetch_add(1, std::memory_order_relaxed);
      }
      g.next[m->partition] = m->offset + 1;
      ++restored_;
      if (ends) (*ends)[{topic, m->partition}].foundAt = -1;
    }
    rd_kafka_message_destroy(m);
    m = rd_kafka_consumer_poll(consumer_.get(), 0);
  }
  if (m) rd_kafka_message_destroy(m);
}

// A global store's offsets are in a file beside it, written only once the store is on disk
// (RocksDB keeps recent writes in memory, with no write-ahead log): a crash then leaves
// offsets at or behind the data, and reading the topic again from them over newer rows
// ends at the same rows. Offsets written with every commit outran the data, and a crash
// lost the rows between them for good.
void GlobalStreamThread::commit(bool checkpoint) {
  constexpr std::chrono::seconds kCheckpointInterval{30};
  const auto now = std::chrono::steady_clock::now();
  lastCommit_ = now;
  checkpoint = checkpoint || now - lastCheckpoint_ >= kCheckpointInterval;
  if (checkpoint) lastCheckpoint_ = now;
  for (auto& g : globals_) {
    g.local->commit(std::nullopt);
    if (!checkpoint || !g.local->persistent()) continue;
    g.local->persist();
    // A checkpoint file cut short (a full disk) would be read as fewer or smaller offsets,
    // which only reads more again; still, the store's position is lost, so it is an error.
    const std::string tmp = g.checkpointFile + ".tmp";
    std::ofstream out(tmp, std::ios::trunc);
    for (const auto& [p, offset] : g.next) out << p << ' ' << offset << '\n';
    out.close();
    std::error_code renamed;
    if (out) std::filesystem::rename(tmp, g.checkpointFile, renamed);
    if (!out || renamed)
      throw StreamsException("cannot write the checkpoint of global store " + g.store + " to " + g.checkpointFile +
                             ": " + (renamed ? renamed.message() : std::strerror(errno)) +
                             " (is the disk of state.dir full?)");
  }
}

void GlobalStreamThread::start() {
  thread_ = std::thread([this] {
    nameThisThread("ks-global");
    run();
  });
}

void GlobalStreamThread::join() {
  if (thread_.joinable()) thread_.join();
}

void GlobalStreamThread::run() {
  try {
    while (!stop_) {
      poll(static_cast<int>(config_.pollTime().count()), nullptr);
      if (std::chrono::steady_clock::now() - lastCommit_ >= std::chrono::milliseconds(100)) commit();
    }
    commit(true);
  } catch (const std::exception& e) {
    log().error("the global stream thread failed: {}", e.what());
    if (onError_) onError_(std::string("global stream thread: ") + e.what());
  }
}

}  // namespace kstreams::internal
