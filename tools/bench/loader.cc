// --load: (re)creates the benchmark topics and writes the input data once, for both systems.
//   table topic: one record per key, key-0 .. key-(K-1), in order;
//   input and second input: N records each, written interleaved (so a stream-stream join's
//     1-minute window finds partners), keys key-<n> with n uniform in [0, K) or Zipf(S);
//   output: empty.
// Values are random bytes. Keys are placed by murmur2, as Java producers place them.
#include <fmt/core.h>

#include <algorithm>
#include <random>
#include <thread>

#include "kstreams.h"
#include "tools/bench/bench.h"

namespace bench {
namespace {

// Draws key indexes from a Zipf distribution of exponent s over [0, n).
class Zipf {
 public:
  Zipf(int64_t n, double s) : cdf_(static_cast<size_t>(n)) {
    double sum = 0;
    for (int64_t i = 0; i < n; ++i) cdf_[i] = sum += 1.0 / std::pow(static_cast<double>(i + 1), s);
    for (auto& c : cdf_) c /= sum;
  }
  int64_t operator()(std::mt19937_64& rng) {
    const double u = std::uniform_real_distribution<double>(0, 1)(rng);
    return std::lower_bound(cdf_.begin(), cdf_.end(), u) - cdf_.begin();
  }

 private:
  std::vector<double> cdf_;
};

}  // namespace

int load(const Options& o) {
  const int64_t keys = o.keys.value_or(o.records);
  const auto started = std::chrono::steady_clock::now();
  kstreams::Admin admin(o.bootstrapServers);
  const std::vector<std::string> topics = {o.inputTopic, o.secondInputTopic, o.tableTopic, o.outputTopic};
  auto existing = admin.listTopics();
  std::vector<std::string> old;
  for (const auto& t : topics)
    if (existing.count(t)) old.push_back(t);
  admin.deleteTopics(old);
  for (const auto& t : topics) {
    // A deleted topic takes a moment to disappear.
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    while (!admin.createTopic(t, o.partitions)) {
      if (std::chrono::steady_clock::now() > deadline) throw kstreams::StreamsException("cannot recreate topic " + t);
      std::this_thread::sleep_for(std::chrono::milliseconds(500));
    }
  }
  kstreams::KafkaProducer producer(o.bootstrapServers, {{"linger.ms", "20"}, {"batch.size", "262144"}});
  std::mt19937_64 rng(42);
  std::string value(static_cast<size_t>(o.valueBytes), '\0');
  auto randomValue = [&]() -> const std::string& {
    for (auto& c : value) c = static_cast<char>(rng());
    return value;
  };
  std::optional<Zipf> zipf;
  if (o.skew > 0) zipf.emplace(keys, o.skew);
  std::uniform_int_distribution<int64_t> uniform(0, keys - 1);
  auto nextKey = [&] { return "key-" + std::to_string(zipf ? (*zipf)(rng) : uniform(rng)); };

  for (int64_t k = 0; k < keys; ++k) producer.send(o.tableTopic, "key-" + std::to_string(k), randomValue());
  for (int64_t i = 0; i < o.records; ++i) {
    producer.send(o.inputTopic, nextKey(), randomValue());
    producer.send(o.secondInputTopic, nextKey(), randomValue());
  }
  producer.flush();
  fmt::print(stderr, "kstreams-bench: loaded {} records into {} and {}, {} into {} ({} partitions, {}-byte values{}) in {:.1f} s\n",
             o.records, o.inputTopic, o.secondInputTopic, keys, o.tableTopic, o.partitions, o.valueBytes,
             o.skew > 0 ? fmt::format(", Zipf {}", o.skew) : std::string(),
             std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
  return 0;
}

}  // namespace bench
