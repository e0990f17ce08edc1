#include "server/config.h"

#include <gtest/gtest.h>

namespace tessera::server {
namespace {

TEST(ServerConfig, ParsesEveryTableAndValidates) {
  auto c = ParseServerConfig(R"(
node_id = 2
data_dir = "/tmp/x"
listen = "127.0.0.1:7000"
status_addr = "127.0.0.1:7080"
initial_cluster = "1=127.0.0.1:7001,2=127.0.0.1:7000"
engine = "lmdb"
[raft]
workers = 3
tick_ms = 50
lease_reads = false
[limits]
write_timeout_ms = 2000
[shard]
split_keys = 1000
log_gc_count_limit = 500
hibernate_after_ms = 0
node_dead_after_ms = 5000
)");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->node_id, NodeId(2));
  EXPECT_EQ(c->engine, "lmdb");
  EXPECT_EQ(c->status_addr, "127.0.0.1:7080");
  EXPECT_EQ(c->node.workers, 3);
  EXPECT_EQ(c->node.tick_ms, 50);
  EXPECT_FALSE(c->node.lease_reads);
  EXPECT_EQ(c->node.write_timeout_ms, 2000);
  EXPECT_EQ(c->node.split_keys, 1000u);
  EXPECT_EQ(c->node.log_gc_count_limit, 500u);
  EXPECT_EQ(c->node.hibernate_after_ms, 0);
  EXPECT_EQ(c->node.node_dead_after_ms, 5000);
  EXPECT_TRUE(c->Validate().ok());
  auto cluster = c->InitialCluster();
  ASSERT_TRUE(cluster.ok());
  EXPECT_EQ(cluster->at(NodeId(1)), "127.0.0.1:7001");
}

TEST(ServerConfig, RefusesBadInputWithClearErrors) {
  auto typo = ParseServerConfig("node_id = 1\nnode_idd = 2\n");
  ASSERT_FALSE(typo.ok());
  EXPECT_NE(typo.status().message().find("node_idd"), std::string_view::npos);
  auto typo_in_table = ParseServerConfig("[raft]\nworkerz = 2\n");
  ASSERT_FALSE(typo_in_table.ok());
  EXPECT_NE(typo_in_table.status().message().find("raft.workerz"), std::string_view::npos);
  EXPECT_FALSE(ParseServerConfig("node_id = \"one\"").ok());
  EXPECT_FALSE(ParseServerConfig("node_id = -1").ok());
  EXPECT_FALSE(ParseServerConfig("node_id = [").ok());

  ServerConfig c;
  EXPECT_TRUE(c.Validate().Is(Status::Code::kInvalidArgument));  // no node id
  c.node_id = NodeId(1);
  c.data_dir = "/tmp/x";
  EXPECT_TRUE(c.Validate().ok());
  c.initial_cluster = "2=127.0.0.1:1";  // does not list this node
  EXPECT_FALSE(c.Validate().ok());
  c.initial_cluster = "1=a:1,1=b:2";  // duplicate id
  EXPECT_FALSE(c.Validate().ok());
  c.initial_cluster = "1=a:1";
  c.engine = "leveldb";
  EXPECT_FALSE(c.Validate().ok());
  c.engine = "rocksdb";
  c.node.heartbeat_ticks = 20;  // not below election_ticks
  EXPECT_FALSE(c.Validate().ok());
  c.node.heartbeat_ticks = 2;
  c.node.log_gc_count_limit = 0;
  EXPECT_FALSE(c.Validate().ok());
  c.node.log_gc_count_limit = 10000;
  c.status_addr = "8080";  // no host
  EXPECT_FALSE(c.Validate().ok());
  c.status_addr = "127.0.0.1:0";
  EXPECT_TRUE(c.Validate().ok());
  EXPECT_FALSE(ParseServerConfig("[shard]\nsplit_keyz = 1\n").ok());
}

TEST(ServerConfigTest, PdSettings) {
  auto parsed = ParseServerConfig(
      "data_dir = \"/tmp/x\"\npd_endpoints = \"127.0.0.1:1,127.0.0.1:2\"\npd_heartbeat_ms = 200\n");
  ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
  EXPECT_EQ(parsed->pd_endpoints, "127.0.0.1:1,127.0.0.1:2");
  EXPECT_EQ(parsed->pd_heartbeat_ms, 200);
  EXPECT_TRUE(parsed->Validate().ok());  // with PD the node id may come from PD
  ServerConfig c = *parsed;
  c.initial_cluster = "1=a:1";  // PD bootstraps: a static cluster list contradicts it
  c.node_id = NodeId(1);
  EXPECT_TRUE(c.Validate().Is(Status::Code::kInvalidArgument));
  c.initial_cluster.clear();
  c.pd_heartbeat_ms = 5;
  EXPECT_TRUE(c.Validate().Is(Status::Code::kInvalidArgument));
  c.pd_heartbeat_ms = 1000;
  c.data_dir.clear();  // the node's identity is kept there
  c.engine = "memory";
  EXPECT_TRUE(c.Validate().Is(Status::Code::kInvalidArgument));
}

}  // namespace
}  // namespace tessera::server
