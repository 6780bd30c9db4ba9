// kstreams: the command line around kstreams applications.
//
//   kstreams topics                            list topics and their partition counts
//   kstreams create-topic NAME -p 3 [-c k=v]   create a topic
//   kstreams delete-topic NAME...              delete topics
//   kstreams produce TOPIC                     write stdin lines "key<TAB>value" (or "value")
//   kstreams consume TOPIC [--max N]           print records as "key<TAB>value"
//   kstreams config                            print every StreamsConfig key with its default
//
// --bootstrap-servers defaults to $KSTREAMS_BOOTSTRAP, then localhost:9092.
#include <CLI/CLI.hpp>
#include <fmt/core.h>

#include <cstdlib>
#include <iostream>

#include "kstreams.h"

int main(int argc, char** argv) {
  std::string bootstrap = std::getenv("KSTREAMS_BOOTSTRAP") ? std::getenv("KSTREAMS_BOOTSTRAP") : "localhost:9092";
  CLI::App app{"kstreams: topics, records and configuration around kstreams applications"};
  app.add_option("-b,--bootstrap-servers", bootstrap, "Kafka brokers (default: $KSTREAMS_BOOTSTRAP or localhost:9092)");
  app.require_subcommand(1);

  auto* topics = app.add_subcommand("topics", "list topics and their partition counts");

  std::string name;
  int32_t partitions = 1;
  int16_t replication = -1;
  std::vector<std::string> configs;
  auto* create = app.add_subcommand("create-topic", "create a topic");
  create->add_option("name", name)->required();
  create->add_option("-p,--partitions", partitions)->capture_default_str();
  create->add_option("-r,--replication-factor", replication, "-1: the broker's default")->capture_default_str();
  create->add_option("-c,--config", configs, "topic config key=value (repeatable)");

  std::vector<std::string> names;
  auto* del = app.add_subcommand("delete-topic", "delete topics");
  del->add_option("names", names)->required();

  std::string topic;
  auto* produce = app.add_subcommand("produce", "write stdin lines \"key<TAB>value\" (or \"value\") to a topic");
  produce->add_option("topic", topic)->required();

  int64_t max = -1;
  int64_t timeoutMs = 10000;
  bool readCommitted = false, showPartition = false;
  auto* consume = app.add_subcommand("consume", "print a topic's records from the beginning as \"key<TAB>value\"");
  consume->add_option("topic", topic)->required();
  consume->add_option("--max", max, "stop after this many records");
  consume->add_option("--timeout-ms", timeoutMs, "stop when no record came for this long")->capture_default_str();
  consume->add_flag("--read-committed", readCommitted, "skip records of aborted transactions");
  consume->add_flag("--show-partition", showPartition, "print partition and offset first");

  auto* config = app.add_subcommand("config", "print every StreamsConfig key, its default and meaning");

  CLI11_PARSE(app, argc, argv);
  try {
    if (*topics) {
      for (const auto& [t, n] : kstreams::Admin(bootstrap).listTopics()) fmt::print("{}\t{}\n", t, n);
    } else if (*create) {
      std::map<std::string, std::string> cfg;
      for (const auto& c : configs) {
        auto eq = c.find('=');
        if (eq == std::string::npos) throw kstreams::ConfigException("--config takes key=value, not '" + c + "'");
        cfg[c.substr(0, eq)] = c.substr(eq + 1);
      }
      bool created = kstreams::Admin(bootstrap).createTopic(name, partitions, replication, cfg);
      fmt::print("{} {}\n", name, created ? "created" : "exists already");
    } else if (*del) {
      kstreams::Admin(bootstrap).deleteTopics(names);
    } else if (*produce) {
      kstreams::KafkaProducer producer(bootstrap);
      std::string line;
      int64_t n = 0;
      while (std::getline(std::cin, line)) {
        auto tab = line.find('\t');
        if (tab == std::string::npos) producer.send(topic, std::nullopt, line);
        else producer.send(topic, std::string_view(line).substr(0, tab), std::string_view(line).substr(tab + 1));
        ++n;
      }
      producer.flush();
      fmt::print(stderr, "wrote {} records to {}\n", n, topic);
    } else if (*consume) {
      kstreams::TopicReader::Options options;
      options.readCommitted = readCommitted;
      kstreams::TopicReader reader(bootstrap, topic, options);
      for (int64_t n = 0; max < 0 || n < max; ++n) {
        auto r = reader.poll(std::chrono::milliseconds(timeoutMs));
        if (!r) break;
        if (showPartition) fmt::print("{}\t{}\t", r->partition, r->offset);
        fmt::print("{}\t{}\n", r->key.value_or("null"), r->value.value_or("null"));
        std::fflush(stdout);
      }
    } else if (*config) {
      fmt::print("| key | default | meaning |\n|---|---|---|\n");
      for (const auto& k : kstreams::StreamsConfig::keys())
        fmt::print("| `{}` | {} | {} |\n", k.name, *k.defaultValue ? k.defaultValue : "(none)", k.doc);
    }
  } catch (const std::exception& e) {
    fmt::print(stderr, "kstreams: {}\n", e.what());
    return 1;
  }
  return 0;
}
