// The system test's driver: writes keyed records to the input topic at a steady rate with
// an idempotent producer, and records each one (key, sequence number) in a file, in the
// order it was sent. Independent of the application under test.
#include <CLI/CLI.hpp>
#include <fmt/core.h>

#include <chrono>
#include <fstream>
#include <thread>

#include "kstreams.h"
#include "tests/system/model.h"

int main(int argc, char** argv) {
  std::string bootstrap, topic = "input", recordsFile;
  int64_t records = 1000000, keys = 20000, rate = 10000;
  CLI::App app{"system test driver"};
  app.add_option("--bootstrap-servers", bootstrap)->required();
  app.add_option("--topic", topic);
  app.add_option("--records", records);
  app.add_option("--keys", keys);
  app.add_option("--rate", rate, "records per second");
  app.add_option("--records-file", recordsFile)->required();
  CLI11_PARSE(app, argc, argv);
  try {
    std::ofstream out(recordsFile);
    kstreams::KafkaProducer producer(bootstrap, {{"acks", "all"}, {"linger.ms", "10"}});
    const auto start = std::chrono::steady_clock::now();
    for (int64_t seq = 0; seq < records; ++seq) {
      const std::string key = "k" + std::to_string(seq % keys);
      producer.send<std::string, int64_t>(topic, key, seq, kstreams::Serdes::String(), kstreams::Serdes::Int64());
      out << key << ',' << seq << '\n';
      if (seq % 1000 == 999) {
        // Keep to the rate: the test kills workers while data flows.
        auto due = start + std::chrono::microseconds((seq + 1) * 1000000 / rate);
        std::this_thread::sleep_until(due);
      }
    }
    producer.flush();
    out.close();
    fmt::print("driver: wrote {} records over {} keys in {:.1f} s\n", records, keys,
               std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  } catch (const std::exception& e) {
    fmt::print(stderr, "driver: {}\n", e.what());
    return 1;
  }
  return 0;
}
