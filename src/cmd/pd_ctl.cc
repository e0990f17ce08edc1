#include "cmd/pd_ctl.h"

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "common/utf8.h"
#include "pd/pd_client.h"

namespace tessera::cmd {
namespace {

using nlohmann::json;
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

bool Json(const PdCtlFlags& f) { return f.output == "json"; }

void Print(const json& j) {
  std::printf("%s\n", j.dump(2, ' ', false, json::error_handler_t::replace).c_str());
}

json IdArray(const std::vector<NodeId>& ids) {
  json a = json::array();
  for (NodeId n : ids) a.push_back(n.value());
  return a;
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

int Members(pd::PdClient& c, const PdCtlFlags& f) {
  NodeId leader;
  auto m = c.Members(&leader);
  if (!m.ok()) return Fail(m.status());
  if (Json(f)) {
    json a = json::array();
    for (const auto& [id, addr] : *m) {
      a.push_back({{"member", id.value()}, {"address", addr}, {"leader", id == leader}});
    }
    Print(a);
    return 0;
  }
  std::printf("%-8s %-24s %s\n", "MEMBER", "ADDRESS", "ROLE");
  for (const auto& [id, addr] : *m) {
    std::printf("%-8llu %-24s %s\n", static_cast<unsigned long long>(id.value()), addr.c_str(),
                id == leader ? "leader" : "follower");
  }
  return 0;
}

int Nodes(pd::PdClient& c, const PdCtlFlags& f) {
  auto nodes = c.GetNodes();
  if (!nodes.ok()) return Fail(nodes.status());
  if (Json(f)) {
    json a = json::array();
    for (const auto& n : *nodes) {
      const auto& s = n.info.stats;
      a.push_back({{"node", n.info.id.value()},
                   {"address", n.info.address},
                   {"state", pd::NodeStateName(n.info.state)},
                   {"down", n.down},
                   {"heartbeat_age_ms", n.heartbeat_age_ms},
                   {"replicas", s.shard_count},
                   {"leaders", s.leader_count},
                   {"used_bytes", s.used_bytes},
                   {"available_bytes", s.available_bytes},
                   {"write_ops_per_sec", s.write_ops_per_sec}});
    }
    Print(a);
    return 0;
  }
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

int Operators(pd::PdClient& c, const PdCtlFlags& f) {
  auto ops = c.ListOperators();
  if (!ops.ok()) return Fail(ops.status());
  if (Json(f)) {
    json a = json::array();
    for (const auto& o : *ops) {
      a.push_back({{"shard", o.shard.value()},
                   {"kind", o.kind},
                   {"step", o.current_step + 1},
                   {"steps", o.step_count},
                   {"age_ms", o.age_ms},
                   {"description", o.description}});
    }
    Print(a);
    return 0;
  }
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
  if (Json(f)) {
    Print({{"started", *what}});
  } else {
    std::printf("started: %s\n", what->c_str());
  }
  return 0;
}

int CancelOperator(pd::PdClient& c, const PdCtlFlags& f) {
  auto what = c.CancelOperator(ShardId(f.shard));
  if (!what.ok()) return Fail(what.status());
  if (Json(f)) {
    Print({{"cancelled", *what}});
  } else {
    std::printf("cancelled: %s\n", what->c_str());
  }
  return 0;
}

// The schedulers ctl can switch, by name, and their configuration fields.
constexpr std::pair<const char*, const char*> kSchedulers[] = {
    {"replica-checker", "enable_replica_checker"},
    {"split", "enable_split"},
    {"merge", "enable_merge"},
    {"balance-replicas", "enable_balance_replicas"},
    {"balance-leaders", "enable_balance_leaders"},
    {"hot-shards", "enable_hot_shards"},
};

int SchedulerList(pd::PdClient& c, const PdCtlFlags& f) {
  auto text = c.GetScheduleConfig();
  if (!text.ok()) return Fail(text.status());
  const json config = json::parse(*text, nullptr, false);
  if (config.is_discarded()) return Fail(Status::Corruption("PD sent malformed JSON"));
  json a = json::array();
  for (const auto& [name, field] : kSchedulers) {
    a.push_back({{"scheduler", name}, {"enabled", config.value(field, false)}});
  }
  if (Json(f)) {
    Print(a);
    return 0;
  }
  std::printf("%-18s %s\n", "SCHEDULER", "STATE");
  for (const auto& s : a) {
    std::printf("%-18s %s\n", s["scheduler"].get<std::string>().c_str(),
                s["enabled"].get<bool>() ? "enabled" : "disabled");
  }
  return 0;
}

int SchedulerSet(pd::PdClient& c, const PdCtlFlags& f, bool enable) {
  for (const auto& [name, field] : kSchedulers) {
    if (f.scheduler != name) continue;
    auto r = c.SetScheduleConfig(json{{field, enable}}.dump());
    if (!r.ok()) return Fail(r.status());
    if (Json(f)) {
      Print({{"scheduler", name}, {"enabled", enable}});
    } else {
      std::printf("%s: %s\n", name, enable ? "enabled" : "disabled");
    }
    return 0;
  }
  return 2;  // CLI11 checked the name
}

struct HealthReport {
  std::vector<std::string> problems;
  NodeId leader;
  size_t nodes = 0, up = 0, shards = 0, led = 0;
};

// Healthy: PD has a leader, every node is up, every shard has a leader and its full replica
// count with none down.
HealthReport CheckHealth(pd::PdClient& c) {
  HealthReport h;
  std::vector<std::string>& problems = h.problems;
  NodeId& leader = h.leader;
  auto members = c.Members(&leader);
  if (!members.ok() || !leader) problems.push_back("PD has no leader");
  auto nodes = c.GetNodes();
  auto shards = c.ScanShards("", "");
  auto config = c.GetScheduleConfig();
  if (!nodes.ok() || !shards.ok() || !config.ok()) {
    problems.push_back("PD does not answer: " + (!nodes.ok()    ? nodes.status()
                                                 : !shards.ok() ? shards.status()
                                                                : config.status())
                                                    .ToString());
  }
  size_t& up = h.up;
  size_t& led = h.led;
  if (problems.empty()) {
    h.nodes = nodes->size();
    h.shards = shards->size();
    for (const auto& n : *nodes) {
      if (n.down && n.info.state != pd::NodeState::kTombstone) {
        problems.push_back("node " + std::to_string(n.info.id.value()) + " is down");
      } else {
        ++up;
      }
    }
    const json cfg = json::parse(*config, nullptr, false);
    const size_t want = cfg.is_discarded() ? 3 : cfg.value("replicas", 3u);
    const size_t reachable = std::min(want, up);
    for (const auto& s : *shards) {
      const std::string id = "shard " + std::to_string(s.desc.id.value());
      if (s.leader) {
        ++led;
      } else {
        problems.push_back(id + " has no leader");
      }
      if (s.desc.voters.size() < reachable) {
        problems.push_back(id + " has " + std::to_string(s.desc.voters.size()) + " of " +
                           std::to_string(want) + " replicas");
      }
      if (!s.down_replicas.empty()) problems.push_back(id + " has replicas down");
    }
  }
  return h;
}

// `health [--wait-ms N]`: with a wait, checks again until healthy or the wait is over (health
// dips for a moment during elections and replica moves).
int Health(pd::PdClient& c, const PdCtlFlags& f) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(f.wait_ms);
  HealthReport h = CheckHealth(c);
  while (!h.problems.empty() && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(200));  // a remote state: poll it
    h = CheckHealth(c);
  }
  const bool healthy = h.problems.empty();
  if (Json(f)) {
    Print({{"healthy", healthy},
           {"pd_leader", h.leader.value()},
           {"nodes_up", h.up},
           {"nodes", h.nodes},
           {"shards", h.shards},
           {"shards_with_leader", h.led},
           {"problems", h.problems}});
  } else {
    std::printf("%s: PD leader %llu, %zu/%zu nodes up, %zu/%zu shards with a leader\n",
                healthy ? "healthy" : "UNHEALTHY",
                static_cast<unsigned long long>(h.leader.value()), h.up, h.nodes, h.led, h.shards);
    for (const auto& p : h.problems) std::printf("  %s\n", p.c_str());
  }
  return healthy ? 0 : 1;
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
  f->pd_cmd = ctl->add_subcommand("pd", "The placement driver itself (needs --pd)");
  f->pd_cmd->require_subcommand(1);
  f->members = f->pd_cmd->add_subcommand("members", "PD's members and its leader");
  f->nodes = ctl->add_subcommand("nodes", "The nodes PD knows (needs --pd)");
  f->op_cmd = ctl->add_subcommand("operator", "PD's operators: list, add, cancel (needs --pd)");
  f->op_cmd->require_subcommand(1);
  f->op_list = f->op_cmd->add_subcommand("list", "Operators in flight");
  f->op_add = f->op_cmd->add_subcommand("add", "Start an operator on a shard");
  f->op_add->add_option("kind", f->op, "transfer-leader, add-replica, remove-replica, split, merge")
      ->required()
      ->check(
          CLI::IsMember({"transfer-leader", "add-replica", "remove-replica", "split", "merge"}));
  f->op_add->add_option("shard", f->shard, "The shard id")->required();
  f->op_add->add_option("arg", f->key,
                        "NODE (transfer-leader, add-replica, remove-replica), KEY (split, "
                        "optional), TARGET shard (merge)");
  f->op_cancel = f->op_cmd->add_subcommand(
      "cancel", "Stop driving a shard's operator (a step a node started may still complete)");
  f->op_cancel->add_option("shard", f->shard, "The shard id")->required();
  f->scheduler_cmd =
      ctl->add_subcommand("scheduler", "PD's schedulers: list, enable, disable (needs --pd)");
  f->scheduler_cmd->require_subcommand(1);
  f->scheduler_list = f->scheduler_cmd->add_subcommand("list", "Each scheduler and its state");
  std::vector<std::string> names;
  for (const auto& [name, field] : kSchedulers) names.push_back(name);
  f->scheduler_enable = f->scheduler_cmd->add_subcommand("enable", "Let a scheduler run");
  f->scheduler_enable->add_option("name", f->scheduler)->required()->check(CLI::IsMember(names));
  f->scheduler_disable = f->scheduler_cmd->add_subcommand("disable", "Stop a scheduler");
  f->scheduler_disable->add_option("name", f->scheduler)->required()->check(CLI::IsMember(names));
  f->health = ctl->add_subcommand("health", "PD, nodes and shards at a glance (needs --pd)");
  f->health->add_option("--wait-ms", f->wait_ms,
                        "Check again until healthy or this long has passed (default 0)");
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
  if (Json(f)) {
    json a = json::array();
    for (const auto& s : *shards) {
      const auto& d = s.desc;
      a.push_back({{"shard", d.id.value()},
                   // Escaped as /status escapes them (etcd's keys start with 0xFF).
                   {"start", EscapeKey(d.start_key)},
                   {"end", EscapeKey(d.end_key)},
                   {"conf_version", d.epoch.conf_version},
                   {"version", d.epoch.version},
                   {"leader", s.leader.value()},
                   {"voters", IdArray(d.voters)},
                   {"learners", IdArray(d.learners)},
                   {"down_replicas", IdArray(s.down_replicas)},
                   {"size_bytes", s.stats.approximate_size_bytes},
                   {"keys", s.stats.approximate_keys}});
    }
    Print(a);
    return 0;
  }
  std::printf("%-8s %-20s %-20s %-8s %-7s %-12s %-9s %-10s %s\n", "SHARD", "START", "END", "EPOCH",
              "LEADER", "VOTERS", "LEARNERS", "SIZE", "KEYS");
  const auto key_text = [](const std::string& key, const char* empty) {
    return key.empty() ? std::string(empty) : EscapeKey(key);
  };
  for (const auto& s : *shards) {
    const auto& d = s.desc;
    const std::string epoch =
        std::to_string(d.epoch.conf_version) + "/" + std::to_string(d.epoch.version);
    std::printf("%-8llu %-20s %-20s %-8s %-7s %-12s %-9s %-10s %llu\n",
                static_cast<unsigned long long>(d.id.value()),
                key_text(d.start_key, "-inf").c_str(), key_text(d.end_key, "+inf").c_str(),
                epoch.c_str(), s.leader ? std::to_string(s.leader.value()).c_str() : "-",
                Ids(d.voters).c_str(), Ids(d.learners).c_str(),
                Bytes(s.stats.approximate_size_bytes).c_str(),
                static_cast<unsigned long long>(s.stats.approximate_keys));
  }
  return 0;
}

std::optional<int> RunPdCtl(const PdCtlFlags& f) {
  const bool any = f.pd_cmd->parsed() || f.nodes->parsed() || f.op_cmd->parsed() ||
                   f.node_state->parsed() || f.tso->parsed() || f.schedule->parsed() ||
                   f.scheduler_cmd->parsed() || f.health->parsed();
  if (!any) return std::nullopt;
  if (f.pd.empty()) {
    std::fprintf(stderr, "tessera ctl: this command needs --pd host:port[,host:port...]\n");
    return 2;
  }
  PdCtlFlags flags = f;
  if (f.op_add->parsed()) {
    // The third argument: a node id, a split key or a merge target.
    if (f.op == "transfer-leader" || f.op == "add-replica" || f.op == "remove-replica" ||
        f.op == "merge") {
      char* end = nullptr;
      const unsigned long long v = std::strtoull(f.key.c_str(), &end, 10);
      if (f.key.empty() || *end != '\0' || v == 0) {
        std::fprintf(stderr, "tessera ctl operator add %s: the third argument is a %s id\n",
                     f.op.c_str(), f.op == "merge" ? "shard" : "node");
        return 2;
      }
      (f.op == "merge" ? flags.target : flags.node) = v;
      flags.key.clear();
    }
  }
  pd::PdClient c = Client(flags);
  if (f.members->parsed()) return Members(c, flags);
  if (f.nodes->parsed()) return Nodes(c, flags);
  if (f.op_list->parsed()) return Operators(c, flags);
  if (f.op_add->parsed()) return Operator(c, flags);
  if (f.op_cancel->parsed()) return CancelOperator(c, flags);
  if (f.scheduler_list->parsed()) return SchedulerList(c, flags);
  if (f.scheduler_enable->parsed()) return SchedulerSet(c, flags, true);
  if (f.scheduler_disable->parsed()) return SchedulerSet(c, flags, false);
  if (f.health->parsed()) return Health(c, flags);
  if (f.node_state->parsed()) return NodeStateCmd(c, flags);
  if (f.tso->parsed()) return Tso(c, flags);
  return Schedule(c, flags);
}

}  // namespace tessera::cmd
