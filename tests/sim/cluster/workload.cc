#include "tests/sim/cluster/workload.h"

#include <charconv>

#include "common/assert.h"
#include "storage/engine.h"

namespace tessera::sim {

using check::Outcome;
using multiraft::ReadConsistency;
using multiraft::ShardDescriptor;
using multiraft::WriteOp;

Workload::Workload(SimCluster* cluster, const WorkloadOptions& opts, uint64_t seed)
    : cluster_(cluster),
      opts_(opts),
      rng_(seed),
      client_inflight_(opts.clients, 0),
      alive_(std::make_shared<bool>(true)) {
  const auto& shards = cluster->bootstrap_shards();
  for (int j = 0; j < opts.keys; ++j) {
    keys_.push_back(ShardPrefix(j % shards.size() + 1) + "k" + std::to_string(j));
  }
  routes_.UpdateAll(shards);
}

int64_t Workload::RpcDelay() {
  return static_cast<int64_t>(rng_.Range(static_cast<uint64_t>(opts_.min_rpc_nanos),
                                         static_cast<uint64_t>(opts_.max_rpc_nanos)));
}

void Workload::Start(int64_t stop_nanos) {
  stop_nanos_ = stop_nanos;
  for (int c = 0; c < opts_.clients; ++c) {
    for (int k = 0; k < opts_.max_inflight; ++k) {
      const int64_t at =
          cluster_->now() +
          static_cast<int64_t>(rng_.Uniform(static_cast<uint64_t>(opts_.max_think_nanos) + 1));
      cluster_->events().At(at, [this, c] { Wake(c); });
    }
  }
}

void Workload::Wake(int client) {
  if (cluster_->now() >= stop_nanos_ || client_inflight_[client] >= opts_.max_inflight) return;
  ++client_inflight_[client];
  Invoke(NewOp(client));
}

Workload::Op Workload::NewOp(int client) {
  Op op;
  op.id = next_id_++;
  op.client = client;
  op.input.key = keys_[rng_.Uniform(keys_.size())];
  const int dice = static_cast<int>(rng_.Uniform(100));
  if (dice < opts_.get_pct) {
    op.input.op = KvOp::kGet;
    op.follower_read = static_cast<int>(rng_.Uniform(100)) < opts_.follower_read_pct;
  } else if (dice < opts_.get_pct + opts_.put_pct) {
    op.input.op = KvOp::kPut;
    op.input.value = static_cast<int64_t>(op.id);
  } else if (dice < opts_.get_pct + opts_.put_pct + opts_.cas_pct) {
    op.input.op = KvOp::kCas;
    // Mostly the value this client last saw, so that many swaps succeed.
    auto seen = last_seen_.find({client, op.input.key});
    if (seen != last_seen_.end() && rng_.Chance(0.8)) {
      op.input.expected = seen->second;
    } else if (rng_.Chance(0.5)) {
      op.input.expected = static_cast<int64_t>(rng_.Range(1, op.id));
    }
    if (!rng_.Chance(0.15)) op.input.value = static_cast<int64_t>(op.id);  // else delete on match
  } else {
    op.input.op = KvOp::kDelete;
  }
  return op;
}

void Workload::Invoke(Op op) {
  ++stats_.invoked;
  op.call = cluster_->now();
  op.deadline = op.call + opts_.op_timeout_nanos;
  const uint64_t id = op.id;
  inflight_.emplace(id, std::move(op));
  cluster_->events().At(inflight_.at(id).deadline, [this, id] { Expire(id); });
  Attempt(id);
}

void Workload::RefreshRoutes() {
  const std::vector<NodeId> up = cluster_->UpNodes();
  if (up.empty()) return;
  routes_.UpdateAll(cluster_->node(up[rng_.Uniform(up.size())])->Shards());
}

void Workload::Attempt(uint64_t id) {
  auto it = inflight_.find(id);
  if (it == inflight_.end()) return;
  Op& op = it->second;
  if (cluster_->now() >= op.deadline) return;  // Expire finishes it
  std::optional<ShardDescriptor> route = routes_.Lookup(op.input.key);
  if (!route) {
    RefreshRoutes();
    route = routes_.Lookup(op.input.key);
  }
  if (!route || route->voters.empty()) {
    Retry(op);  // a gap in the routes; Expire bounds the wait
    return;
  }
  NodeId target = route->voters[rng_.Uniform(route->voters.size())];
  if (!op.follower_read) {
    if (auto leader = routes_.Leader(route->id); leader && rng_.Chance(0.9)) target = *leader;
  }
  const uint32_t attempt = ++op.attempt;
  op.outstanding = true;
  ++stats_.attempts;
  cluster_->events().At(
      cluster_->now() + RpcDelay(),
      [this, id, attempt, target, r = std::move(*route)] { Send(id, attempt, target, r); });
}

void Workload::Send(uint64_t id, uint32_t attempt, NodeId target, ShardDescriptor route) {
  auto it = inflight_.find(id);
  if (it == inflight_.end() || it->second.attempt != attempt) return;
  const Op& op = it->second;
  const ShardId shard = route.id;
  Node* node = cluster_->node(target);
  std::weak_ptr<bool> alive = alive_;
  // Answers travel back with a delay; callbacks may run while the node stops (a crash).
  auto reply = [this, alive, id, attempt, target, shard](Answer a) {
    if (alive.expired()) return;
    cluster_->events().At(cluster_->now() + RpcDelay(),
                          [this, id, attempt, target, shard, a = std::move(a)]() mutable {
                            OnAnswer(id, attempt, target, shard, std::move(a));
                          });
  };
  if (node == nullptr) {
    reply(Answer{Status::Unavailable("connection refused: the node is down"), {}, {}, false});
    return;
  }
  if (op.input.op == KvOp::kGet) {
    multiraft::ReadRequest q;
    q.shard = shard;
    q.epoch = route.epoch;
    q.consistency = op.follower_read ? ReadConsistency::kFollower : ReadConsistency::kStrong;
    q.start_key = op.input.key;
    q.point = true;
    storage::Engine* engine = node->engine();
    node->Read(std::move(q),
               [this, alive, engine, key = op.input.key, reply](multiraft::ReadResponse r) {
                 if (alive.expired()) return;
                 Answer a{r.status, r.hint, {}, false};
                 if (r.status.ok()) {
                   // As the KV service does: an OK answer means the engine may be read now.
                   auto v = engine->Get(storage::Cf::kData, key);
                   if (v.ok()) {
                     a.value = ParseValue(*v);
                   } else if (!v.status().Is(Status::Code::kNotFound)) {
                     a.status = v.status();
                   }
                 }
                 reply(std::move(a));
               });
    return;
  }
  multiraft::WriteCommand cmd;
  cmd.epoch = route.epoch;
  WriteOp w;
  w.key = op.input.key;
  switch (op.input.op) {
    case KvOp::kPut:
      w.type = WriteOp::Type::kPut;
      w.value = std::to_string(*op.input.value);
      break;
    case KvOp::kDelete:
      w.type = WriteOp::Type::kDelete;
      break;
    case KvOp::kCas:
      w.type = WriteOp::Type::kCompareAndSwap;
      if (op.input.expected) w.expected = std::to_string(*op.input.expected);
      if (op.input.value) {
        w.value = std::to_string(*op.input.value);
      } else {
        w.delete_on_match = true;
      }
      break;
    case KvOp::kGet:
      TESSERA_UNREACHABLE("a get is not a write");
  }
  cmd.ops.push_back(std::move(w));
  node->Write(shard, std::move(cmd), [this, alive, reply](multiraft::WriteResponse r) {
    if (alive.expired()) return;
    Answer a{r.status, r.hint, {}, false};
    if (r.status.ok() && r.results.size() == 1 && !r.results[0].succeeded) {
      a.cas_failed = true;
      if (r.results[0].previous) a.value = ParseValue(*r.results[0].previous);
    }
    reply(std::move(a));
  });
}

std::optional<int64_t> Workload::ParseValue(const std::string& bytes) {
  int64_t v = 0;
  auto [end, ec] = std::from_chars(bytes.data(), bytes.data() + bytes.size(), v);
  if (ec != std::errc() || end != bytes.data() + bytes.size()) {
    violations_.push_back("a read returned bytes no client wrote: '" + bytes + "'");
    return -1;
  }
  return v;
}

void Workload::OnAnswer(uint64_t id, uint32_t attempt, NodeId target, ShardId shard, Answer a) {
  auto it = inflight_.find(id);
  if (it == inflight_.end() || it->second.attempt != attempt) return;
  Op& op = it->second;
  op.outstanding = false;
  const bool write = IsWrite(op);
  if (a.status.ok()) {
    if (!op.follower_read) routes_.SetLeader(shard, target);
    if (op.input.op == KvOp::kCas && a.cas_failed) {
      Complete(op, Outcome::kFail, a.value);
    } else {
      Complete(op, Outcome::kOk, write ? std::nullopt : a.value);
    }
    return;
  }
  switch (a.status.code()) {
    case Status::Code::kTimeout:
      // The write may still apply: never retry it.
      if (write) {
        Complete(op, Outcome::kUnknown, std::nullopt);
      } else {
        Retry(op);
      }
      return;
    case Status::Code::kNotLeader:
      if (a.hint.leader) {
        routes_.SetLeader(shard, a.hint.leader);
      } else {
        routes_.ForgetLeader(shard);
      }
      Retry(op);
      return;
    case Status::Code::kEpochNotMatch:
    case Status::Code::kKeyNotInShard:
      routes_.UpdateAll(a.hint.current);  // the shard's view, then any shards split off it
      routes_.ForgetLeader(shard);
      Retry(op);
      return;
    case Status::Code::kShardNotFound:
      RefreshRoutes();
      routes_.ForgetLeader(shard);
      Retry(op);
      return;
    case Status::Code::kBusy:
    case Status::Code::kProposalDropped:
    case Status::Code::kUnavailable:
      Retry(op);
      return;
    default:
      violations_.push_back("unexpected answer to " +
                            SimKvModel().Describe(op.input, KvOutput{Outcome::kUnknown, {}}) +
                            " from node " + std::to_string(target.value()) + ": " +
                            a.status.ToString());
      if (write) {
        Complete(op, Outcome::kUnknown, std::nullopt);
      } else {
        Drop(op);
      }
  }
}

void Workload::Retry(Op& op) {
  ++stats_.retries;
  const uint64_t id = op.id;
  const int64_t backoff =
      1'000'000 +
      static_cast<int64_t>(rng_.Uniform(static_cast<uint64_t>(opts_.max_backoff_nanos)));
  cluster_->events().At(cluster_->now() + backoff, [this, id] { Attempt(id); });
}

void Workload::Expire(uint64_t id) {
  auto it = inflight_.find(id);
  if (it == inflight_.end()) return;
  Op& op = it->second;
  if (op.outstanding && IsWrite(op)) {
    Complete(op, Outcome::kUnknown, std::nullopt);
  } else {
    Drop(op);  // certainly no effect: every attempt so far was refused
  }
}

void Workload::Complete(Op& op, Outcome outcome, std::optional<int64_t> value) {
  const int64_t now = cluster_->now();
  KvOutput out{outcome, value};
  cluster_->trace().Note(now, "client {} op {}: {}", op.client, op.id,
                         SimKvModel().Describe(op.input, out));
  switch (outcome) {
    case Outcome::kOk:
      ++stats_.ok;
      break;
    case Outcome::kFail:
      ++stats_.failed;
      break;
    case Outcome::kUnknown:
      ++stats_.unknown;
      break;
  }
  if (op.final_read && outcome == Outcome::kOk) ++stats_.final_reads_ok;
  // What this client saw last, for its next compare-and-swap.
  auto& seen = last_seen_[{op.client, op.input.key}];
  if (outcome == Outcome::kOk) {
    if (op.input.op == KvOp::kGet) seen = value;
    if (op.input.op == KvOp::kPut || op.input.op == KvOp::kCas) seen = op.input.value;
    if (op.input.op == KvOp::kDelete) seen = std::nullopt;
  } else if (outcome == Outcome::kFail) {
    seen = value;
  }
  history_.push_back(
      {op.client, op.call, outcome == Outcome::kUnknown ? check::kNever : now, op.input, out});
  Finish(op);
}

void Workload::Drop(Op& op) {
  ++stats_.dropped;
  cluster_->trace().Note(cluster_->now(), "client {} op {}: {} gave up (no effect)", op.client,
                         op.id, KvOpName(op.input.op));
  if (op.final_read) final_failures_.push_back(op.input.key);
  Finish(op);
}

void Workload::Finish(Op& op) {
  const int client = op.client;
  const bool final_read = op.final_read;
  inflight_.erase(op.id);  // `op` is gone from here on
  if (final_read) return;
  --client_inflight_[client];
  const int64_t think =
      static_cast<int64_t>(rng_.Uniform(static_cast<uint64_t>(opts_.max_think_nanos) + 1));
  cluster_->events().At(cluster_->now() + think, [this, client] { Wake(client); });
}

void Workload::IssueFinalReads(int64_t deadline_nanos) {
  for (const std::string& key : keys_) {
    Op op;
    op.id = next_id_++;
    op.client = opts_.clients;  // the checker's own client
    op.final_read = true;
    op.input.key = key;
    op.input.op = KvOp::kGet;
    ++stats_.invoked;
    op.call = cluster_->now();
    op.deadline = deadline_nanos;
    const uint64_t id = op.id;
    inflight_.emplace(id, std::move(op));
    cluster_->events().At(deadline_nanos, [this, id] { Expire(id); });
    Attempt(id);
  }
}

}  // namespace tessera::sim
