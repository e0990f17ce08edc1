// The C++ client (include/tessera/client.h) against an in-process cluster run by PD (label
// "pd"): routing across shards that split under it, batches and scans over many shards, the
// consistency levels, compare-and-swap, bad input, a leader killed under the client, and a
// deadline with no cluster at all.
#include "tessera/client.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <map>
#include <mutex>
#include <vector>

#include "../pd/pd_test_cluster.h"
#include "../server/kv_client.h"
#include "client/local_kv.h"
#include "multiraft/versioned_value.h"
#include "server/kv_handler.h"

namespace tessera::testing {
namespace {

using namespace std::chrono_literals;
using client::Code;
using client::Consistency;
using client::KeyValue;

std::string Key(int i) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "k%06d", i);
  return buf;
}

std::unique_ptr<client::Client> Connect(PdTestCluster& c, std::chrono::milliseconds timeout) {
  client::ClientOptions o;
  o.pd_endpoints = {c.pd_address(1)};
  o.timeout = timeout;
  std::unique_ptr<client::Client> cl;
  EXPECT_TRUE(client::Client::Connect(o, &cl).ok());
  return cl;
}

// A cluster whose shards split at 16 keys and never merge: a few hundred keys make many shards.
PdClusterOptions SmallShards() {
  PdClusterOptions o;
  o.tune_pd = [](pd::PdServerConfig& c) {
    c.pd.schedule.max_shard_keys = 16;
    c.pd.schedule.max_shard_size_bytes = 1 << 30;
    c.pd.schedule.enable_merge = false;
    c.pd.schedule.max_operators_per_kind = 16;
  };
  return o;
}

TEST(ClientTest, EveryOperationWorksAcrossShardsThatSplitUnderTheClient) {
  PdTestCluster c(SmallShards());
  auto cl = Connect(c, 30s);
  constexpr int kKeys = 240;
  // Half by Put, half by BatchPut in batches that span shards as they split.
  for (int i = 0; i < kKeys; i += 2) {
    auto s = cl->Put(Key(i), "v" + std::to_string(i));
    ASSERT_TRUE(s.ok()) << s.ToString();
  }
  for (int i = 1; i < kKeys; i += 40) {
    std::vector<KeyValue> batch;
    for (int j = i; j < std::min(kKeys, i + 40); j += 2) {
      batch.push_back({Key(j), "v" + std::to_string(j)});
    }
    auto s = cl->BatchPut(batch);
    ASSERT_TRUE(s.ok()) << s.ToString();
  }
  ASSERT_TRUE(c.WaitUntil([&] { return c.Shards().size() >= 6; }, 60s))
      << "only " << c.Shards().size() << " shards";

  // BatchGet over every shard, with keys repeated and one absent.
  std::vector<std::string> keys;
  for (int i = kKeys - 1; i >= 0; --i) keys.push_back(Key(i));
  keys.push_back(Key(7));
  keys.push_back("absent");
  std::vector<std::optional<std::string>> values;
  auto s = cl->BatchGet(keys, &values);
  ASSERT_TRUE(s.ok()) << s.ToString();
  ASSERT_EQ(values.size(), keys.size());
  for (int i = 0; i < kKeys; ++i) {
    ASSERT_TRUE(values[kKeys - 1 - i].has_value()) << Key(i);
    EXPECT_EQ(*values[kKeys - 1 - i], "v" + std::to_string(i));
  }
  EXPECT_EQ(values[kKeys], "v7");
  EXPECT_FALSE(values[kKeys + 1].has_value());

  // Scans over every shard, forward and reverse, whole, bounded, limited, keys only.
  std::vector<KeyValue> out;
  ASSERT_TRUE(cl->Scan("", "", &out).ok());
  ASSERT_EQ(out.size(), static_cast<size_t>(kKeys));
  for (int i = 0; i < kKeys; ++i) {
    ASSERT_EQ(out[i].key, Key(i));
    ASSERT_EQ(out[i].value, "v" + std::to_string(i));
  }
  ASSERT_TRUE(cl->Scan(Key(100), Key(200), &out).ok());
  ASSERT_EQ(out.size(), 100u);
  EXPECT_EQ(out.front().key, Key(100));
  EXPECT_EQ(out.back().key, Key(199));
  client::ScanOptions limited;
  limited.limit = 50;
  limited.keys_only = true;
  ASSERT_TRUE(cl->Scan(Key(10), "", &out, limited).ok());
  ASSERT_EQ(out.size(), 50u);
  EXPECT_EQ(out.back().key, Key(59));
  EXPECT_TRUE(out.back().value.empty());
  ASSERT_TRUE(cl->ReverseScan("", "", &out).ok());
  ASSERT_EQ(out.size(), static_cast<size_t>(kKeys));
  for (int i = 0; i < kKeys; ++i) ASSERT_EQ(out[i].key, Key(kKeys - 1 - i));
  ASSERT_TRUE(cl->ReverseScan(Key(20), Key(230), &out, limited).ok());
  ASSERT_EQ(out.size(), 50u);
  EXPECT_EQ(out.front().key, Key(229));
  EXPECT_EQ(out.back().key, Key(180));

  // Follower and stale reads see a committed write (the stale one once it is applied there).
  ASSERT_TRUE(cl->Put("fresh", "1").ok());
  std::optional<std::string> v;
  client::ReadOptions follower;
  follower.consistency = Consistency::kFollower;
  for (int i = 0; i < 6; ++i) {  // several replicas in turn
    ASSERT_TRUE(cl->Get("fresh", &v, follower).ok());
    EXPECT_EQ(v, "1");
  }
  client::ReadOptions stale;
  stale.consistency = Consistency::kStale;
  stale.max_staleness = 5s;
  ASSERT_TRUE(cl->Get(Key(3), &v, stale).ok());
  EXPECT_EQ(v, "v3");

  // Compare-and-swap: create, refuse a wrong expectation (reporting what it saw), replace, delete.
  client::CasResult r;
  ASSERT_TRUE(cl->CompareAndSwap("cas", std::nullopt, "a", &r).ok());
  EXPECT_TRUE(r.succeeded);
  EXPECT_FALSE(r.previous.has_value());
  ASSERT_TRUE(cl->CompareAndSwap("cas", std::nullopt, "b", &r).ok());
  EXPECT_FALSE(r.succeeded);
  EXPECT_EQ(r.previous, "a");
  ASSERT_TRUE(cl->CompareAndSwap("cas", "a", "b", &r).ok());
  EXPECT_TRUE(r.succeeded);
  ASSERT_TRUE(cl->CompareAndSwap("cas", "b", std::nullopt, &r).ok());
  EXPECT_TRUE(r.succeeded);
  ASSERT_TRUE(cl->Get("cas", &v).ok());
  EXPECT_FALSE(v.has_value());

  // Atomic: versioned puts stamped with growing revisions, guarded by assertions.
  using Op = client::AtomicOp;
  client::AtomicResult ar;
  s = cl->Atomic({Op{Op::Type::kPutVersioned, Key(5), "", "x1"}}, &ar);
  ASSERT_TRUE(s.ok()) << s.ToString();
  ASSERT_TRUE(ar.applied);
  const uint64_t r1 = ar.revision;
  uint64_t scan_revision = 0;
  ASSERT_TRUE(cl->Scan(Key(5), Key(6), &out, {}, &scan_revision).ok());
  EXPECT_GE(scan_revision, r1);
  ASSERT_EQ(out.size(), 1u);
  auto stamped = multiraft::DecodeVersionedValue(out[0].value);
  ASSERT_TRUE(stamped.has_value());
  // The plain value the key held counts as absent: a creation.
  EXPECT_EQ(stamped->create_revision, r1);
  EXPECT_EQ(stamped->mod_revision, r1);
  EXPECT_EQ(stamped->version, 1u);
  const Op guard{Op::Type::kAssertModRevision, Key(5), "", "", r1};
  s = cl->Atomic({guard, Op{Op::Type::kPutVersioned, Key(5), "", "x2", 0, true}}, &ar);
  ASSERT_TRUE(s.ok()) << s.ToString();
  ASSERT_TRUE(ar.applied);
  EXPECT_GT(ar.revision, r1);
  ASSERT_EQ(ar.results.size(), 2u);
  ASSERT_TRUE(ar.results[1].previous.has_value());
  EXPECT_EQ(multiraft::DecodeVersionedValue(*ar.results[1].previous)->payload, "x1");
  // The same guard again fails (the key moved on): nothing changes.
  ASSERT_TRUE(cl->Atomic({guard, Op{Op::Type::kPutVersioned, Key(5), "", "x3"}}, &ar).ok());
  EXPECT_FALSE(ar.applied);
  ASSERT_TRUE(cl->Get(Key(5), &v).ok());
  ASSERT_TRUE(v.has_value());
  stamped = multiraft::DecodeVersionedValue(*v);
  EXPECT_EQ(stamped->payload, "x2");
  EXPECT_EQ(stamped->version, 2u);
  // Operations in two shards are refused, and nothing applies.
  s = cl->Atomic({Op{Op::Type::kPut, Key(1), "", "x"}, Op{Op::Type::kPut, Key(239), "", "x"}}, &ar);
  EXPECT_EQ(s.code(), Code::kFailedPrecondition) << s.ToString();
  ASSERT_TRUE(cl->Get(Key(1), &v).ok());
  EXPECT_EQ(v, "v1");

  // Delete and DeleteRange across shards (reporting what it deleted).
  ASSERT_TRUE(cl->Delete(Key(0)).ok());
  ASSERT_TRUE(cl->Get(Key(0), &v).ok());
  EXPECT_FALSE(v.has_value());
  client::DeleteRangeResult deleted;
  ASSERT_TRUE(cl->DeleteRange(Key(50), Key(230), {}, &deleted).ok());
  ASSERT_EQ(deleted.deleted.size(), 180u);
  EXPECT_EQ(deleted.deleted.front(), (KeyValue{Key(50), "v50"}));
  EXPECT_EQ(deleted.deleted.back(), (KeyValue{Key(229), "v229"}));
  EXPECT_GT(deleted.revision, 0u);
  ASSERT_TRUE(cl->Scan(Key(0), Key(999999), &out).ok());
  ASSERT_EQ(out.size(), static_cast<size_t>(kKeys - 1 - 180));
  EXPECT_EQ(out[48].key, Key(49));
  EXPECT_EQ(out[49].key, Key(230));
}

TEST(ClientTest, BadInputIsRefusedWithInvalidArgument) {
  client::ClientOptions none;
  std::unique_ptr<client::Client> cl;
  EXPECT_EQ(client::Client::Connect(none, &cl).code(), Code::kInvalidArgument);
  none.pd_endpoints = {"no-port"};
  EXPECT_EQ(client::Client::Connect(none, &cl).code(), Code::kInvalidArgument);

  PdTestCluster c({});
  cl = Connect(c, 30s);
  std::optional<std::string> v;
  EXPECT_EQ(cl->Get("", &v).code(), Code::kInvalidArgument);
  EXPECT_EQ(cl->Put("", "x").code(), Code::kInvalidArgument);
  std::vector<KeyValue> out;
  EXPECT_EQ(cl->Scan("b", "a", &out).code(), Code::kInvalidArgument);
  EXPECT_EQ(cl->ReverseScan("b", "b", &out).code(), Code::kInvalidArgument);
  EXPECT_EQ(cl->DeleteRange("b", "a").code(), Code::kInvalidArgument);
  // Limits the node enforces come back as InvalidArgument, not as a retry until the deadline.
  auto s = cl->Put(std::string(4096, 'k'), "x");
  EXPECT_EQ(s.code(), Code::kInvalidArgument) << s.ToString();
  s = cl->Put("big", std::string(9 << 20, 'v'));
  EXPECT_EQ(s.code(), Code::kInvalidArgument) << s.ToString();
  // The cluster still serves.
  ASSERT_TRUE(cl->Put("after", "bad input").ok());
}

// Waits until the one shard has 3 voters and a leader; the slot of the node leading it (0 when
// that did not happen within 30 s).
int WaitForLeaderSlot(PdTestCluster& c) {
  const bool ready = c.WaitUntil(
      [&] {
        auto shards = c.Shards();
        return shards.size() == 1 && shards[0].desc.voters.size() == 3 && shards[0].leader;
      },
      30s);
  if (!ready) return 0;
  const NodeId leader = c.Shards()[0].leader;
  for (int i = 1; i <= 3; ++i) {
    if (c.node_id(i) == leader) return i;
  }
  return 0;
}

TEST(ClientTest, WritesAndReadsContinueAcrossALeaderKill) {
  PdTestCluster c({});
  ASSERT_NE(WaitForLeaderSlot(c), 0);
  auto cl = Connect(c, 30s);
  for (int i = 0; i < 50; ++i) ASSERT_TRUE(cl->Put(Key(i), "before").ok());
  const int slot = WaitForLeaderSlot(c);  // the leader now, after the writes
  ASSERT_NE(slot, 0);
  c.StopNode(slot);
  // The client's cached leader is gone: it must find the new one within its deadline.
  for (int i = 0; i < 50; ++i) {
    auto s = cl->Put(Key(i), "after");
    ASSERT_TRUE(s.ok()) << Key(i) << ": " << s.ToString();
  }
  std::vector<KeyValue> out;
  ASSERT_TRUE(cl->Scan("", "", &out).ok());
  ASSERT_EQ(out.size(), 50u);
  for (const auto& kv : out) EXPECT_EQ(kv.value, "after") << kv.key;
  c.StartNode(slot);
}

// A LocalKv that counts the requests it serves through a node's KvHandler, or holds them
// unanswered (a node that does not answer in time).
class CountingLocal final : public client::LocalKv {
 public:
  explicit CountingLocal(multiraft::Node* node) : handler_(node) {}
  ~CountingLocal() override {
    // Requests the handler took may still be in the node (a caller that gave up at its attempt
    // deadline leaves its request there): wait for their answers, which call back into it.
    EXPECT_EQ(handler_.Drain(/*timeout_ms=*/30000), 0);
    // The held requests' callers gave up at their deadlines; answer them now (their requests and
    // responses belong to the callback's shared state, alive until it runs).
    for (auto& d : held_) d();
  }

  int served() const { return served_.load(); }
  void set_hold(bool hold) { hold_ = hold; }

  NodeId node_id() const override { return handler_.node_id(); }
  void Serve(const v1::GetRequest* q, v1::GetResponse* r, Done d) override { Do(q, r, d); }
  void Serve(const v1::BatchGetRequest* q, v1::BatchGetResponse* r, Done d) override {
    Do(q, r, d);
  }
  void Serve(const v1::ScanRequest* q, v1::ScanResponse* r, Done d) override { Do(q, r, d); }
  void Serve(const v1::PutRequest* q, v1::PutResponse* r, Done d) override { Do(q, r, d); }
  void Serve(const v1::BatchPutRequest* q, v1::BatchPutResponse* r, Done d) override {
    Do(q, r, d);
  }
  void Serve(const v1::DeleteRequest* q, v1::DeleteResponse* r, Done d) override { Do(q, r, d); }
  void Serve(const v1::DeleteRangeRequest* q, v1::DeleteRangeResponse* r, Done d) override {
    Do(q, r, d);
  }
  void Serve(const v1::CompareAndSwapRequest* q, v1::CompareAndSwapResponse* r, Done d) override {
    Do(q, r, d);
  }
  void Serve(const v1::AtomicRequest* q, v1::AtomicResponse* r, Done d) override { Do(q, r, d); }

 private:
  template <typename Req, typename Resp>
  void Do(const Req* q, Resp* r, Done d) {
    if (hold_) {
      std::lock_guard lock(mu_);
      held_.push_back(std::move(d));
      return;
    }
    ++served_;
    handler_.Serve(q, r, std::move(d));
  }

  server::KvHandler handler_;
  std::atomic<int> served_{0};
  std::atomic<bool> hold_{false};
  std::mutex mu_;
  std::vector<Done> held_;  // guarded by mu_
};

TEST(ClientTest, AClientInsideANodeServesTheShardsItLeadsInProcess) {
  PdTestCluster c(SmallShards());
  CountingLocal local(c.node(1)->node());
  client::ClientOptions o;
  o.pd_endpoints = {c.pd_address(1)};
  o.timeout = 30s;
  std::unique_ptr<client::Client> cl;
  ASSERT_TRUE(client::NewClientWithLocal(o, &local, &cl).ok());
  constexpr int kKeys = 160;
  for (int i = 0; i < kKeys; ++i) {
    auto s = cl->Put(Key(i), "v" + std::to_string(i));
    ASSERT_TRUE(s.ok()) << s.ToString();
  }
  ASSERT_TRUE(c.WaitUntil([&] { return c.Shards().size() >= 4; }, 60s));
  // Leaders spread over the nodes: some requests went to node 1 in-process, the rest over gRPC,
  // and every answer is right whichever way it came.
  const int before = local.served();
  EXPECT_GT(before, 0);
  for (int i = 0; i < kKeys; ++i) {
    std::optional<std::string> v;
    auto s = cl->Get(Key(i), &v);
    ASSERT_TRUE(s.ok()) << s.ToString();
    EXPECT_EQ(v, "v" + std::to_string(i));
  }
  std::vector<std::string> keys;
  for (int i = 0; i < kKeys; ++i) keys.push_back(Key(i));
  std::vector<std::optional<std::string>> values;
  ASSERT_TRUE(cl->BatchGet(keys, &values).ok());
  for (int i = 0; i < kKeys; ++i) EXPECT_EQ(values[i], "v" + std::to_string(i));
  std::vector<KeyValue> out;
  ASSERT_TRUE(cl->Scan("", "", &out).ok());
  EXPECT_EQ(out.size(), static_cast<size_t>(kKeys));
  client::CasResult cas;
  ASSERT_TRUE(cl->CompareAndSwap(Key(3), std::string("v3"), std::string("w3"), &cas).ok());
  EXPECT_TRUE(cas.succeeded);
  client::DeleteRangeResult deleted;
  ASSERT_TRUE(cl->DeleteRange(Key(100), Key(120), {}, &deleted).ok());
  EXPECT_EQ(deleted.deleted.size(), 20u);
  EXPECT_GT(local.served(), before);
  ASSERT_TRUE(cl->Scan("", "", &out).ok());
  EXPECT_EQ(out.size(), static_cast<size_t>(kKeys - 20));
  EXPECT_EQ(out[3].value, "w3");
}

TEST(ClientTest, ALocalNodeThatDoesNotAnswerIsGivenUpAtTheDeadline) {
  PdTestCluster c({});
  const int slot = WaitForLeaderSlot(c);
  ASSERT_NE(slot, 0);
  CountingLocal local(c.node(slot)->node());
  local.set_hold(true);
  client::ClientOptions o;
  o.pd_endpoints = {c.pd_address(1)};
  o.timeout = 2s;
  o.attempt_timeout = 300ms;
  std::unique_ptr<client::Client> cl;
  ASSERT_TRUE(client::NewClientWithLocal(o, &local, &cl).ok());
  // A write whose attempt got no answer may still apply: its outcome is unknown.
  auto s = cl->Put("k", "v");
  EXPECT_EQ(s.code(), Code::kTimeout) << s.ToString();
  // A read is retried elsewhere: the other replicas say who leads, which is the silent node.
  std::optional<std::string> v;
  s = cl->Get("k", &v);
  EXPECT_TRUE(s.code() == Code::kTimeout || s.code() == Code::kUnavailable) << s.ToString();
  // Once the node answers again, so does the client.
  local.set_hold(false);
  ASSERT_TRUE(cl->Put("k", "v2").ok());
  ASSERT_TRUE(cl->Get("k", &v).ok());
  EXPECT_EQ(v, "v2");
}

TEST(ClientTest, NoClusterEndsAtTheDeadlineAsUnavailable) {
  client::ClientOptions o;
  o.pd_endpoints = {"127.0.0.1:" + std::to_string(FreePort())};
  o.timeout = 300ms;
  o.attempt_timeout = 100ms;  // bounds each PD lookup too
  std::unique_ptr<client::Client> cl;
  ASSERT_TRUE(client::Client::Connect(o, &cl).ok());
  const auto start = std::chrono::steady_clock::now();
  auto s = cl->Put("k", "v");
  // Nothing was sent to any node: the write certainly did not apply.
  EXPECT_EQ(s.code(), Code::kUnavailable) << s.ToString();
  EXPECT_FALSE(s.outcome_unknown());
  EXPECT_LT(std::chrono::steady_clock::now() - start, 3s) << "the deadline was not honoured";
}

}  // namespace
}  // namespace tessera::testing
