// The system test's verifier: reads what the application wrote (read_committed, as a
// downstream exactly-once consumer would) and checks it against what the driver recorded.
//
//   echo: every partition holds the input records of that partition, in order;
//   aggregates: the n-th record of a key is the running aggregate of its first n inputs.
//
// Under exactly_once_v2 nothing may be lost or repeated. Under at_least_once nothing may be
// lost; repeats are counted and reported. With --reorders-allowed (at_least_once through a
// broker outage: docs/guarantees.md) echo records out of input order are reported, not failed.
#include <CLI/CLI.hpp>
#include <fmt/core.h>

#include <fstream>
#include <map>
#include <set>
#include <thread>
#include <unordered_map>
#include <unordered_set>

#include "kstreams.h"
#include "streams/default_partitioner.h"
#include "tests/system/model.h"

using system_test::Aggregate;
using system_test::kPartitions;

int main(int argc, char** argv) {
  std::string bootstrap, recordsFile, guarantee = "exactly_once_v2";
  int64_t timeoutS = 300;
  bool reordersAllowed = false;
  CLI::App app{"system test verifier"};
  app.add_option("--bootstrap-servers", bootstrap)->required();
  app.add_option("--records-file", recordsFile)->required();
  app.add_option("--guarantee", guarantee);
  app.add_option("--timeout-s", timeoutS, "how long to wait for the application's output");
  app.add_flag("--reorders-allowed", reordersAllowed, "report echo records out of input order without failing");
  CLI11_PARSE(app, argc, argv);
  const bool exactlyOnce = guarantee == "exactly_once_v2";

  // What the driver wrote, per partition and per key, in order.
  std::vector<std::vector<int64_t>> inputByPartition(kPartitions);
  std::unordered_map<std::string, std::vector<int64_t>> inputByKey;
  int64_t total = 0;
  {
    std::ifstream in(recordsFile);
    std::string line;
    while (std::getline(in, line)) {
      const auto comma = line.find(',');
      const std::string key = line.substr(0, comma);
      const int64_t seq = std::stoll(line.substr(comma + 1));
      inputByPartition[kstreams::defaultPartition(key, kPartitions)].push_back(seq);
      inputByKey[key].push_back(seq);
      ++total;
    }
  }

  kstreams::TopicReader::Options committed;
  committed.readCommitted = true;
  // Wait until the echo holds every input record and every key's latest aggregate counts
  // all of its inputs. Not counts of records read: under at_least_once the repeats of a redo
  // reach the input's count while the tail still to be redone (one repartition hop behind
  // the echo) is missing, and a verifier that stopped there reported that tail as lost.
  {
    kstreams::TopicReader echoReader(bootstrap, "echo", committed), aggReader(bootstrap, "aggregates", committed);
    std::unordered_set<int64_t> echoed;
    std::unordered_map<std::string, int64_t> latestCount;
    size_t keysComplete = 0;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(timeoutS);
    while ((echoed.size() < static_cast<size_t>(total) || keysComplete < inputByKey.size()) &&
           std::chrono::steady_clock::now() < deadline) {
      for (const auto& r : echoReader.read(100000, std::chrono::milliseconds(200)))
        if (r.value) echoed.insert(kstreams::Serdes::Int64()->deserialize(*r.value));
      for (const auto& r : aggReader.read(100000, std::chrono::milliseconds(200))) {
        if (!r.key || !r.value) continue;
        const auto input = inputByKey.find(*r.key);
        if (input == inputByKey.end()) continue;
        const int64_t n = static_cast<int64_t>(input->second.size());
        int64_t& latest = latestCount[*r.key];
        const bool wasComplete = latest >= n;
        latest = kstreams::Serdes::Json<Aggregate>()->deserialize(*r.value).count;
        keysComplete += (latest >= n) - wasComplete;
      }
    }
  }
  // Then everything up to the end, duplicates written after that point included.
  std::vector<kstreams::TopicRecord> echo =
      kstreams::TopicReader(bootstrap, "echo", committed).readToEnd(std::chrono::seconds(120));
  std::vector<kstreams::TopicRecord> aggregates =
      kstreams::TopicReader(bootstrap, "aggregates", committed).readToEnd(std::chrono::seconds(120));

  // Echo: per partition, first occurrences in input order; repeats counted.
  int64_t echoLost = 0, echoDuplicates = 0, echoOutOfOrder = 0;
  {
    std::vector<std::vector<int64_t>> outputByPartition(kPartitions);
    for (const auto& r : echo) outputByPartition[r.partition].push_back(kstreams::Serdes::Int64()->deserialize(*r.value));
    for (int p = 0; p < kPartitions; ++p) {
      const auto& expected = inputByPartition[p];
      std::unordered_map<int64_t, size_t> position;
      for (size_t i = 0; i < expected.size(); ++i) position[expected[i]] = i;
      std::set<int64_t> seen;
      size_t next = 0;
      for (int64_t seq : outputByPartition[p]) {
        if (!seen.insert(seq).second) {
          ++echoDuplicates;
          continue;
        }
        auto it = position.find(seq);
        if (it == position.end() || it->second != next) ++echoOutOfOrder;
        next = it == position.end() ? next : it->second + 1;
      }
      for (int64_t seq : expected)
        if (!seen.count(seq)) ++echoLost;
    }
  }

  // Aggregates: the n-th output of a key must equal the aggregate of its first n inputs.
  int64_t aggLost = 0, aggDuplicates = 0, aggWrong = 0;
  {
    // A key's aggregates in output order, each with where it was written.
    struct Output {
      Aggregate value;
      const kstreams::TopicRecord* record;
    };
    std::unordered_map<std::string, std::vector<Output>> outputByKey;
    for (const auto& r : aggregates)
      outputByKey[*r.key].push_back({kstreams::Serdes::Json<Aggregate>()->deserialize(*r.value), &r});
    // Where a key's aggregates first went wrong, for the first few keys: what a diagnosis
    // starts from (which partition, from which offset on, state behind or ahead).
    int keysShown = 0;
    const auto showFirstWrong = [&](const std::string& key, size_t i, size_t outputs, const Output& got,
                                    const Aggregate& want) {
      if (keysShown++ >= 5) return;
      fmt::print(stderr,
                 "verifier: key {}: output {} of {} wrong, aggregates partition {} offset {}: got count {} sum {}, "
                 "expected count {} sum {}\n",
                 key, i + 1, outputs, got.record->partition, got.record->offset, got.value.count, got.value.sum,
                 want.count, want.sum);
    };
    for (const auto& [key, seqs] : inputByKey) {
      std::vector<Aggregate> expected;
      Aggregate running;
      for (int64_t seq : seqs) expected.push_back(running = running.add(seq));
      const auto& got = outputByKey[key];
      if (exactlyOnce) {
        bool shown = false;
        for (size_t i = 0; i < std::min(got.size(), expected.size()); ++i)
          if (!(got[i].value == expected[i])) {
            if (!shown) showFirstWrong(key, i, got.size(), got[i], expected[i]);
            shown = true;
            ++aggWrong;
          }
        if (got.size() < expected.size()) aggLost += static_cast<int64_t>(expected.size() - got.size());
        if (got.size() > expected.size()) aggDuplicates += static_cast<int64_t>(got.size() - expected.size());
      } else {
        // A replayed input counts twice: the final count tells repeats from losses.
        const int64_t finalCount = got.empty() ? 0 : got.back().value.count;
        const int64_t n = static_cast<int64_t>(seqs.size());
        if (finalCount < n) aggLost += n - finalCount;
        if (finalCount > n) aggDuplicates += finalCount - n;
      }
    }
  }

  const bool pass = echoLost == 0 && aggLost == 0 && (echoOutOfOrder == 0 || reordersAllowed) &&
                    (!exactlyOnce || (echoDuplicates == 0 && aggDuplicates == 0 && aggWrong == 0));
  fmt::print("verifier ({}): {} input records; echo: {} records read, {} lost, {} duplicated, {} out of order; "
             "aggregates: {} records read, {} lost, {} duplicated, {} wrong. {}\n",
             guarantee, total, echo.size(), echoLost, echoDuplicates, echoOutOfOrder, aggregates.size(), aggLost,
             aggDuplicates, aggWrong, pass ? "PASS" : "FAIL");
  return pass ? 0 : 1;
}
