// The status port of an in-process server (status_http.h) over real HTTP on 127.0.0.1, the port
// picked by the OS: /healthz answers ok, /metrics follows the node's counters (the log syncs grow
// with writes) and lists every metric of docs/observability.md with its HELP and TYPE, /status
// shows the node and its shard with the applied index past the write; shutdown closes the port; a
// status address that cannot be bound stops Start. Every wait is on a condition with a deadline
// (CTest label "multiraft").
#include <gtest/gtest.h>
#include <httplib.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <sstream>
#include <string>

#include "multiraft/local_state.h"
#include "server/server.h"
#include "tests/server/kv_client.h"

namespace tessera::server {
namespace {

using testing::KvTestClient;

class TempDir {
 public:
  TempDir() {
    path_ = std::filesystem::temp_directory_path() /
            ("tessera-status-" + std::to_string(::getpid()) + "-" + std::to_string(counter_++));
    std::filesystem::create_directories(path_);
  }
  ~TempDir() { std::filesystem::remove_all(path_); }
  std::string sub(const std::string& name) const { return (path_ / name).string(); }

 private:
  static inline int counter_ = 0;
  std::filesystem::path path_;
};

// A one-node cluster: the client API on an OS-picked port (a node never dials itself, so its
// own entry in initial_cluster is not used), the status port too.
ServerConfig OneNode(const std::string& data_dir, const std::string& status_addr) {
  ServerConfig c;
  c.node_id = NodeId(1);
  c.data_dir = data_dir;
  c.listen = "127.0.0.1:0";
  c.initial_cluster = "1=127.0.0.1:0";
  c.status_addr = status_addr;
  c.node.tick_ms = 10;
  return c;
}

struct Page {
  int status = 0;
  std::string body, content_type;
};

// GET path from the status port; nullopt when no HTTP answer came (e.g. connection refused).
std::optional<Page> Get(int port, const std::string& path) {
  httplib::Client client("127.0.0.1", port);
  client.set_connection_timeout(5);
  client.set_read_timeout(5);
  auto res = client.Get(path);
  if (!res) return std::nullopt;
  return Page{res->status, res->body, res->get_header_value("Content-Type")};
}

// The value on the line "<name> <value>" of a /metrics page; nullopt when absent.
std::optional<double> MetricValue(const std::string& page, const std::string& name) {
  const std::string prefix = name + " ";
  for (size_t pos = 0; pos < page.size();) {
    const size_t eol = page.find('\n', pos);
    const std::string line = page.substr(pos, eol - pos);
    if (line.starts_with(prefix)) return std::stod(line.substr(prefix.size()));
    if (eol == std::string::npos) break;
    pos = eol + 1;
  }
  return std::nullopt;
}

// The families on a /metrics page, checking that each comes as HELP and TYPE lines and then its
// samples: "<name>[{labels}] <value>" lines (for a histogram, its _bucket lines, _sum and _count).
std::set<std::string> CheckedMetricNames(const std::string& page) {
  std::set<std::string> names;
  std::istringstream in(page);
  std::string line, name, type;
  int samples = 0;
  const auto family_done = [&] {
    if (!name.empty()) {
      EXPECT_GT(samples, 0) << name;
    }
  };
  while (std::getline(in, line)) {
    if (line.starts_with("# HELP ")) {
      family_done();
      EXPECT_TRUE(line.starts_with("# HELP tessera_")) << line;
      name = line.substr(7, line.find(' ', 7) - 7);
      EXPECT_TRUE(names.insert(name).second) << name;
      EXPECT_TRUE(std::getline(in, line) && line.starts_with("# TYPE " + name + " ")) << name;
      type = line.substr(("# TYPE " + name + " ").size());
      EXPECT_TRUE(type == "counter" || type == "gauge" || type == "histogram") << line;
      samples = 0;
      continue;
    }
    std::string sample = line.substr(0, line.find_first_of("{ "));
    if (type == "histogram") {
      for (const char* suffix : {"_bucket", "_sum", "_count"}) {
        if (sample == name + suffix) sample = name;
      }
    }
    EXPECT_EQ(sample, name) << line;
    EXPECT_NE(line.find(' '), std::string::npos) << line;
    ++samples;
  }
  family_done();
  return names;
}

// The metric names docs/observability.md lists for a node without front doors: `tessera_node_...`
// and `tessera_kv_...` at the start of a table row.
std::set<std::string> DocumentedMetricNames() {
  std::ifstream doc(TESSERA_OBSERVABILITY_DOC);
  EXPECT_TRUE(doc.is_open()) << TESSERA_OBSERVABILITY_DOC;
  std::set<std::string> names;
  for (std::string line; std::getline(doc, line);) {
    if (!line.starts_with("| `tessera_node_") && !line.starts_with("| `tessera_kv_")) continue;
    // A labelled family is documented as `name{label}`.
    const size_t end = line.find_first_of("`{", 3);
    names.insert(line.substr(3, end - 3));
  }
  return names;
}

std::optional<double> Scrape(int port, const std::string& name) {
  auto page = Get(port, "/metrics");
  if (!page || page->status != 200) return std::nullopt;
  return MetricValue(page->body, name);
}

TEST(StatusHttp, PagesFollowTheNodeAndStopWithIt) {
  TempDir dir;
  auto started = Server::Start(OneNode(dir.sub("n1"), "127.0.0.1:0"));
  ASSERT_TRUE(started.ok()) << started.status().ToString();
  std::unique_ptr<Server> server = std::move(started).value();
  const int port = server->status_port();
  ASSERT_GT(port, 0);

  auto health = Get(port, "/healthz");
  ASSERT_TRUE(health.has_value());
  EXPECT_EQ(health->status, 200);
  EXPECT_EQ(health->body, "ok");

  // A write: the log syncs grow with it (a second write shows the counter is live).
  KvTestClient client({{1, "127.0.0.1:" + std::to_string(server->port())}});
  v1::Error e = client.Put("k1", "v1");
  ASSERT_TRUE(e.message().empty() && !e.has_not_leader()) << e.DebugString();
  // A write is answered only after the round that synced it was counted: no wait is needed.
  const double syncs = Scrape(port, "tessera_node_log_syncs_total").value_or(0);
  EXPECT_GT(syncs, 0);
  e = client.Put("k2", "v2");
  ASSERT_TRUE(e.message().empty() && !e.has_not_leader()) << e.DebugString();
  EXPECT_GT(Scrape(port, "tessera_node_log_syncs_total").value_or(0), syncs);

  auto metrics = Get(port, "/metrics");
  ASSERT_TRUE(metrics.has_value());
  EXPECT_EQ(metrics->status, 200);
  EXPECT_EQ(metrics->content_type, "text/plain; version=0.0.4; charset=utf-8");
  const std::string& page = metrics->body;
  EXPECT_EQ(MetricValue(page, "tessera_node_shards"), 1);
  EXPECT_EQ(MetricValue(page, "tessera_node_replicas_hibernating"), 0);
  EXPECT_GE(MetricValue(page, "tessera_node_writes_applied_total").value_or(0), 2);
  EXPECT_GT(MetricValue(page, "tessera_node_worker_rounds_total").value_or(0), 0);
  // One node: nothing goes over the Raft transport, but its metrics are there.
  EXPECT_EQ(MetricValue(page, "tessera_node_transport_messages_sent_total"), 0);
  EXPECT_EQ(MetricValue(page, "tessera_node_transport_streams_active"), 0);
  EXPECT_EQ(MetricValue(page, "tessera_node_snapshots_sent_total"), 0);
  EXPECT_EQ(MetricValue(page, "tessera_node_snapshot_rate_wait_seconds_total"), 0);
  EXPECT_EQ(MetricValue(page, "tessera_node_leaders"), 1);
  EXPECT_GE(MetricValue(page, "tessera_node_proposals_total").value_or(0), 2);
  EXPECT_GE(MetricValue(page, "tessera_node_log_sync_seconds_count").value_or(0), syncs);
  EXPECT_GT(MetricValue(page, "tessera_node_log_sync_seconds_sum").value_or(0), 0);
  EXPECT_EQ(MetricValue(page, "tessera_node_round_entries_bucket{le=\"+Inf\"}"),
            MetricValue(page, "tessera_node_log_sync_seconds_count"));
  // The two puts came through the native API (after answers of NotLeader while the node had
  // not yet elected itself: the test client retries those).
  const double puts = MetricValue(page, "tessera_kv_requests_total{method=\"put\"}").value_or(0);
  EXPECT_EQ(puts - MetricValue(page, "tessera_kv_errors_total{method=\"put\"}").value_or(0), 2);
  EXPECT_EQ(MetricValue(page, "tessera_kv_request_seconds_count{method=\"put\"}"), puts);
  EXPECT_EQ(MetricValue(page, "tessera_kv_request_seconds_bucket{method=\"put\",le=\"+Inf\"}"),
            puts);
  EXPECT_FALSE(MetricValue(page, "tessera_kv_requests_total{method=\"get\"}").has_value())
      << "a method never called is left off";
  // Every metric has its HELP and TYPE lines and a value, and is documented, and every
  // documented metric is on the page.
  const std::set<std::string> rendered = CheckedMetricNames(page);
  EXPECT_EQ(rendered, DocumentedMetricNames());

  auto status = Get(port, "/status");
  ASSERT_TRUE(status.has_value());
  EXPECT_EQ(status->status, 200);
  EXPECT_EQ(status->content_type, "application/json");
  const nlohmann::json j = nlohmann::json::parse(status->body, nullptr, /*allow_exceptions=*/false);
  ASSERT_FALSE(j.is_discarded()) << status->body;
  EXPECT_EQ(j.at("node_id"), 1);
  EXPECT_EQ(j.at("address"), "127.0.0.1:" + std::to_string(server->port()));
  EXPECT_EQ(j.at("shard_count"), 1);
  EXPECT_EQ(j.at("hibernating"), 0);
  ASSERT_EQ(j.at("shards").size(), 1u);
  const nlohmann::json& shard = j.at("shards").at(0);
  EXPECT_EQ(shard.at("id"), 1);
  EXPECT_EQ(shard.at("start_key"), "");
  EXPECT_EQ(shard.at("end_key"), "");
  EXPECT_EQ(shard.at("epoch").at("conf_version"), 0);
  EXPECT_EQ(shard.at("epoch").at("version"), 0);
  EXPECT_EQ(shard.at("voters"), nlohmann::json::array({1}));
  // One voter: the node leads its shard, and knows it.
  EXPECT_EQ(shard.at("role"), "leader");
  EXPECT_EQ(shard.at("leader"), 1);
  // After the bootstrap snapshot: the leader's empty entry and the two writes, all applied
  // before they were acknowledged.
  const uint64_t applied = shard.at("applied_index").get<uint64_t>();
  EXPECT_GE(applied, multiraft::kBootstrapIndex.value() + 3);
  EXPECT_FALSE(shard.contains("commit_index"));
  EXPECT_GE(shard.at("last_index").get<uint64_t>(), applied);
  EXPECT_GE(shard.at("term").get<uint64_t>(), multiraft::kBootstrapTerm.value());

  auto missing = Get(port, "/nope");
  ASSERT_TRUE(missing.has_value());
  EXPECT_EQ(missing->status, 404);

  // Shutdown closes the status port with the rest.
  server->Shutdown(100);
  EXPECT_FALSE(Get(port, "/healthz").has_value());
}

TEST(StatusHttp, AStatusAddressThatCannotBeBoundStopsStart) {
  TempDir dir;
  auto first = Server::Start(OneNode(dir.sub("n1"), "127.0.0.1:0"));
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  const std::string taken = "127.0.0.1:" + std::to_string((*first)->status_port());
  auto second = Server::Start(OneNode(dir.sub("n2"), taken));
  ASSERT_FALSE(second.ok());
  EXPECT_TRUE(second.status().Is(Status::Code::kIOError)) << second.status().ToString();
  auto malformed = Server::Start(OneNode(dir.sub("n3"), "127.0.0.1:http"));
  ASSERT_FALSE(malformed.ok());
  EXPECT_TRUE(malformed.status().Is(Status::Code::kInvalidArgument))
      << malformed.status().ToString();
  // The first server still serves.
  auto health = Get((*first)->status_port(), "/healthz");
  ASSERT_TRUE(health.has_value());
  EXPECT_EQ(health->status, 200);
}

}  // namespace
}  // namespace tessera::server
