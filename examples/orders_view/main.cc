// orders_view: a materialized view of the fraud example's orders — order count and total
// per customer — that you can query while it runs:
//
//   orders_view --http-port 8080 &
//   curl localhost:8080/customers/customer-42     # {"customer":"customer-42","orders":7,"total":803.5}
//   curl localhost:8080/customers                 # every customer this instance holds
//
// Run several instances (different ports and --state-dir) to share the work; each answers
// for the customers whose partition it owns and redirects (307) to the instance that owns
// the others: `curl -L` follows.
#include <CLI/CLI.hpp>
#include <fmt/core.h>
#include <httplib.h>

#include <cstdlib>
#include <thread>

#include "examples/orders_view/customer_totals.h"
#include "kstreams.h"

namespace {

std::string notHere(const std::string& customer, const kstreams::KafkaStreams::KeyQueryMetadata& m) {
  return nlohmann::json{{"customer", customer},
                        {"error", m.local ? "unknown customer" : "not held by this instance"},
                        {"partition", m.partition},
                        {"host", m.activeHost ? m.activeHost->toString() : ""}}
      .dump();
}

}  // namespace

int main(int argc, char** argv) {
  std::string bootstrap = std::getenv("KSTREAMS_BOOTSTRAP") ? std::getenv("KSTREAMS_BOOTSTRAP") : "localhost:9092";
  std::string applicationId = "orders-view", ordersTopic = "orders", stateDir = "/tmp/kstreams", host = "127.0.0.1";
  int port = 8080;
  CLI::App app{"A queryable view of order count and total per customer (a kstreams example)."};
  app.add_option("--bootstrap-servers", bootstrap, "Kafka brokers (default: $KSTREAMS_BOOTSTRAP or localhost:9092)");
  app.add_option("--application-id", applicationId)->capture_default_str();
  app.add_option("--orders-topic", ordersTopic)->capture_default_str();
  app.add_option("--state-dir", stateDir, "state.dir (one per instance on a machine)")->capture_default_str();
  app.add_option("--http-host", host)->capture_default_str();
  app.add_option("--http-port", port)->capture_default_str();
  CLI11_PARSE(app, argc, argv);

  kstreams::ShutdownSignal signal;
  try {
    kstreams::StreamsBuilder builder;
    orders_view::addCustomerTotals(builder, ordersTopic);
    kstreams::KafkaStreams streams(builder.build(), {{"application.id", applicationId},
                                                     {"bootstrap.servers", bootstrap},
                                                     {"state.dir", stateDir},
                                                     // Queries read committed state: commit
                                                     // often so the view is at most 1 s old.
                                                     {"commit.interval.ms", "1000"},
                                                     {"application.server", host + ":" + std::to_string(port)}});
    streams.start();
    auto view = streams.store<std::string, orders_view::CustomerTotals>(orders_view::kStore);

    httplib::Server server;
    server.Get(R"(/customers/([^/]+))", [&](const httplib::Request& req, httplib::Response& res) {
      const std::string customer = req.matches[1];
      if (auto totals = view->get(customer)) {
        res.set_content(nlohmann::json{{"customer", customer}, {"orders", totals->orders}, {"total", totals->total}}.dump(),
                        "application/json");
        return;
      }
      kstreams::KafkaStreams::KeyQueryMetadata where;
      try {
        where = streams.queryMetadataForKey<std::string>(orders_view::kStore, customer);
      } catch (const kstreams::StreamsException& e) {
        res.status = 503;
        res.set_content(nlohmann::json{{"customer", customer}, {"error", e.what()}}.dump(), "application/json");
        return;
      }
      // One redirect at most: during a rebalance two instances can each name the other for
      // up to a second (queryMetadataForKey's answer is that old at most).
      if (!where.local && where.activeHost && !req.has_param("redirected")) {
        res.set_redirect("http://" + where.activeHost->toString() + "/customers/" + customer + "?redirected=1", 307);
        return;
      }
      // Unknown here, or its task is between instances (a rebalance): ask again shortly.
      res.status = where.local ? 404 : 503;
      res.set_content(notHere(customer, where), "application/json");
    });
    server.Get("/customers", [&](const httplib::Request&, httplib::Response& res) {
      nlohmann::json all = nlohmann::json::object();
      for (const auto& kv : view->all()) all[kv.key] = {{"orders", kv.value.orders}, {"total", kv.value.total}};
      res.set_content(all.dump(), "application/json");
    });
    server.Get("/health", [&](const httplib::Request&, httplib::Response& res) {
      res.set_content(kstreams::KafkaStreams::toString(streams.state()), "text/plain");
    });
    std::thread http([&] { server.listen(host, port); });
    fmt::print(stderr, "orders_view: serving http://{}:{}/customers/<id>\n", host, port);

    while (!signal.waitFor(std::chrono::milliseconds(200)))
      if (streams.state() == kstreams::KafkaStreams::State::ERROR) break;
    server.stop();
    http.join();
    streams.close();
    if (streams.state() == kstreams::KafkaStreams::State::ERROR) {
      fmt::print(stderr, "orders_view stopped: {}\n", streams.lastError());
      return 1;
    }
  } catch (const std::exception& e) {
    fmt::print(stderr, "orders_view: {}\n", e.what());
    return 1;
  }
  return 0;
}
