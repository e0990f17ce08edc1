#include "cmd/pd_ctl.h"

#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "pd/pd_client.h"

namespace tessera::cmd {
namespace {

using pd::AdminRequest;

std::string Ids(const std::vector<NodeId>& ids) {
  std::string s;
  for (NodeId n : ids) s += (s.empty() ? "" : ",") + std::to_string(n.value());
  return s.empty() ? "-" : s;
}

std::string Bytes(uint64_t b) {
  char buf[32];
  if (b >= (1ull << 30)) {
    std::snprintf(buf, sizeof buf, "%.1fGiB", static_cast<double>(b) / (1ull << 30));
  } else if (b >= (1ull << 20)) {
    std::snprintf(buf, sizeof buf, "%.1fMiB", static_cast<double>(b) / (1ull << 20));
  } else {
    std::snprintf(buf, sizeof buf, "%lluKiB", static_cast<unsigned long long>(b >> 10));
  }
  return buf;
}

int Fail(const Status& s) {
  std::fprintf(stderr, "error: %s\n", s.ToString().c_str());
  return 1;
}

pd::PdClient Client(const PdCtlFlags& f) {
  pd::PdClientOptions o;
  o.endpoints = pd::SplitEndpoints(f.pd);
  o.call_deadline_ms = f.timeout_ms;
  return pd::PdClient(o);
}

int Members(pd::PdClient& c) {
  NodeId leader;
  auto m = c.Members(&leader);
  if (!m.ok()) return Fail(m.status());
  std::printf("%-8s %-24s %s\n", "MEMBER", "ADDRESS", "ROLE");
  for (const auto& [id, addr] : *m) {
    std::printf("%-8llu %-24s %s\n", static_cast<unsigned long long>(id.value()), addr.c_str(),
                id == leader ? "leader" : "follower");
  }
  return 0;
}

int Nodes(pd::PdClient& c) {
  auto nodes = c.GetNodes();
  if (!nodes.ok()) return Fail(nodes.status());
  std::printf("%-6s %-22s %-10s %-6s %-9s %-8s %-8s %-10s %-10s %s\n", "NODE", "ADDRESS", "STATE",
              "ALIVE", "HEARD", "REPLICAS", "LEADERS", "USED", "AVAILABLE", "WRITES/S");
  for (const auto& n : *nodes) {
    const auto& s = n.info.stats;
    const std::string heard =
        n.heartbeat_age_ms > 0 ? std::to_string(n.heartbeat_age_ms) + "ms" : std::string("never");
    std::printf("%-6llu %-22s %-10s %-6s %-9s %-8u %-8u %-10s %-10s %.0f\n",
                static_cast<unsigned long long>(n.info.id.value()), n.info.address.c_str(),
                pd::NodeStateName(n.info.state), n.down ? "down" : "yes", heard.c_str(),
                s.shard_count, s.leader_count, Bytes(s.used_bytes).c_str(),
                Bytes(s.available_bytes).c_str(), s.write_ops_per_sec);
  }
  return 0;
}

int Operators(pd::PdClient& c) {
  auto ops = c.ListOperators();
  if (!ops.ok()) return Fail(ops.status());
  if (ops->empty()) {
    std::printf("(no operator in flight)\n");
    return 0;
  }
  std::printf("%-8s %-16s %-6s %-8s %s\n", "SHARD", "KIND", "STEP", "AGE", "WHAT");
  for (const auto& o : *ops) {
    std::printf("%-8llu %-16s %u/%-4u %-8s %s\n", static_cast<unsigned long long>(o.shard.value()),
                o.kind.c_str(), o.current_step + 1, o.step_count,
                (std::to_string(o.age_ms) + "ms").c_str(), o.description.c_str());
  }
  return 0;
}

int Operator(pd::PdClient& c, const PdCtlFlags& f) {
  AdminRequest r;
  r.shard = ShardId(f.shard);
  r.node = NodeId(f.node);
  if (f.op == "transfer-leader") {
    r.kind = AdminRequest::Kind::kTransferLeader;
  } else if (f.op == "add-replica") {
    r.kind = AdminRequest::Kind::kAddReplica;
  } else if (f.op == "remove-replica") {
    r.kind = AdminRequest::Kind::kRemoveReplica;
  } else if (f.op == "split") {
    r.kind = f.key.empty() ? AdminRequest::Kind::kSplitMiddle : AdminRequest::Kind::kSplitAt;
    r.split_key = f.key;
  } else if (f.op == "merge") {
    r.kind = AdminRequest::Kind::kMerge;
    r.merge_target = ShardId(f.target);
  }
  auto what = c.Admin(r);
  if (!what.ok()) return Fail(what.status());
  std::printf("started: %s\n", what->c_str());
  return 0;
}

int NodeStateCmd(pd::PdClient& c, const PdCtlFlags& f) {
  pd::NodeState s = pd::NodeState::kUp;
  if (f.state == "draining") s = pd::NodeState::kDraining;
  if (f.state == "tombstone") s = pd::NodeState::kTombstone;
  Status st = c.SetNodeState(NodeId(f.node), s);
  if (!st.ok()) return Fail(st);
  std::printf("node %llu: %s\n", static_cast<unsigned long long>(f.node), pd::NodeStateName(s));
  return 0;
}

int Tso(pd::PdClient& c, const PdCtlFlags& f) {
  auto first = c.GetTimestamps(f.count);
  if (!first.ok()) return Fail(first.status());
  // A timestamp: milliseconds since the epoch above 18 logical bits (docs/pd.md, "Timestamps").
  std::printf("%llu (physical %llu ms, logical %llu)", static_cast<unsigned long long>(*first),
              static_cast<unsigned long long>(*first >> 18),
              static_cast<unsigned long long>(*first & ((1u << 18) - 1)));
  if (f.count > 1) {
    std::printf(" .. %llu", static_cast<unsigned long long>(*first + f.count - 1));
  }
  std::printf("\n");
  return 0;
}

int Schedule(pd::PdClient& c, const PdCtlFlags& f) {
  auto json = f.json.empty() ? c.GetScheduleConfig() : c.SetScheduleConfig(f.json);
  if (!json.ok()) return Fail(json.status());
  std::printf("%s\n", json->c_str());
  return 0;
}

}  // namespace

void AddPdCtlCommands(CLI::App* ctl, PdCtlFlags* f) {
  ctl->add_option("--pd", f->pd, "Comma-separated host:port of PD members (PD commands)");
  f->members = ctl->add_subcommand("members", "PD's members and its leader (needs --pd)");
  f->nodes = ctl->add_subcommand("nodes", "The nodes PD knows (needs --pd)");
  f->operators = ctl->add_subcommand("operators", "PD's operators in flight (needs --pd)");
  f->op_cmd = ctl->add_subcommand("operator", "Start an operator on a shard (needs --pd)");
  f->op_cmd->add_option("kind", f->op, "transfer-leader, add-replica, remove-replica, split, merge")
      ->required()
      ->check(
          CLI::IsMember({"transfer-leader", "add-replica", "remove-replica", "split", "merge"}));
  f->op_cmd->add_option("shard", f->shard, "The shard id")->required();
  f->op_cmd->add_option("arg", f->key,
                        "NODE (transfer-leader, add-replica, remove-replica), KEY (split, "
                        "optional), TARGET shard (merge)");
  f->node_state = ctl->add_subcommand("node-state", "Set a node's state (needs --pd)");
  f->node_state->add_option("node", f->node, "The node id")->required();
  f->node_state->add_option("state", f->state, "up, draining or tombstone")
      ->required()
      ->check(CLI::IsMember({"up", "draining", "tombstone"}));
  f->tso = ctl->add_subcommand("tso", "Timestamps from PD's oracle (needs --pd)");
  f->tso->add_option("--count", f->count, "How many")->check(CLI::Range(1u, 262143u));
  f->schedule = ctl->add_subcommand(
      "schedule", "PD's schedule configuration; with JSON, set the fields it names (needs --pd)");
  f->schedule->add_option("json", f->json, "e.g. '{\"replicas\": 5}'");
}

int RunPdShards(const PdCtlFlags& f) {
  pd::PdClient c = Client(f);
  auto shards = c.ScanShards("", "");
  if (!shards.ok()) return Fail(shards.status());
  std::printf("%-8s %-20s %-20s %-8s %-7s %-12s %-9s %-10s %s\n", "SHARD", "START", "END", "EPOCH",
              "LEADER", "VOTERS", "LEARNERS", "SIZE", "KEYS");
  for (const auto& s : *shards) {
    const auto& d = s.desc;
    const std::string epoch =
        std::to_string(d.epoch.conf_version) + "/" + std::to_string(d.epoch.version);
    std::printf("%-8llu %-20s %-20s %-8s %-7s %-12s %-9s %-10s %llu\n",
                static_cast<unsigned long long>(d.id.value()),
                d.start_key.empty() ? "-inf" : d.start_key.c_str(),
                d.end_key.empty() ? "+inf" : d.end_key.c_str(), epoch.c_str(),
                s.leader ? std::to_string(s.leader.value()).c_str() : "-", Ids(d.voters).c_str(),
                Ids(d.learners).c_str(), Bytes(s.stats.approximate_size_bytes).c_str(),
                static_cast<unsigned long long>(s.stats.approximate_keys));
  }
  return 0;
}

std::optional<int> RunPdCtl(const PdCtlFlags& f) {
  const bool any = f.members->parsed() || f.nodes->parsed() || f.operators->parsed() ||
                   f.op_cmd->parsed() || f.node_state->parsed() || f.tso->parsed() ||
                   f.schedule->parsed();
  if (!any) return std::nullopt;
  if (f.pd.empty()) {
    std::fprintf(stderr, "tessera ctl: this command needs --pd host:port[,host:port...]\n");
    return 2;
  }
  PdCtlFlags flags = f;
  if (f.op_cmd->parsed()) {
    // The third argument: a node id, a split key or a merge target.
    if (f.op == "transfer-leader" || f.op == "add-replica" || f.op == "remove-replica" ||
        f.op == "merge") {
      char* end = nullptr;
      const unsigned long long v = std::strtoull(f.key.c_str(), &end, 10);
      if (f.key.empty() || *end != '\0' || v == 0) {
        std::fprintf(stderr, "tessera ctl operator %s: the third argument is a %s id\n",
                     f.op.c_str(), f.op == "merge" ? "shard" : "node");
        return 2;
      }
      (f.op == "merge" ? flags.target : flags.node) = v;
      flags.key.clear();
    }
  }
  pd::PdClient c = Client(flags);
  if (f.members->parsed()) return Members(c);
  if (f.nodes->parsed()) return Nodes(c);
  if (f.operators->parsed()) return Operators(c);
  if (f.op_cmd->parsed()) return Operator(c, flags);
  if (f.node_state->parsed()) return NodeStateCmd(c, flags);
  if (f.tso->parsed()) return Tso(c, flags);
  return Schedule(c, flags);
}

}  // namespace tessera::cmd
