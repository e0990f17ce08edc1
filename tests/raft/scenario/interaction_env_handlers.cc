// The commands of InteractionEnv: argument parsing and one handler per command.
#include <charconv>
#include <optional>

#include "interaction_env.h"
#include "raft/conf_change.h"
#include "raft/describe.h"

namespace tessera::raft::scenario {
namespace {

constexpr uint64_t kSeedBase = 0x7e55e7a;
enum TickKind { kTickN = 0, kTickHeartbeat = 1, kTickElection = 2 };

Result<uint64_t> ParseU64(std::string_view s) {
  uint64_t v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size()) {
    return Status::InvalidArgument("not a number: " + std::string(s));
  }
  return v;
}

Result<bool> ParseBool(std::string_view s) {
  if (s == "true") return true;
  if (s == "false") return false;
  return Status::InvalidArgument("not a bool: " + std::string(s));
}

const Arg* Find(const Directive& d, std::string_view key) {
  for (const Arg& a : d.args) {
    if (a.key == key && !a.vals.empty()) return &a;
  }
  return nullptr;
}

// Positional arguments (keys without values), in order. A double-quoted one is unquoted, so
// that "" passes an empty string.
std::vector<std::string> Positional(const Directive& d) {
  std::vector<std::string> out;
  for (const Arg& a : d.args) {
    if (!a.vals.empty()) continue;
    const std::string& k = a.key;
    const bool quoted = k.size() >= 2 && k.front() == '"' && k.back() == '"';
    out.push_back(quoted ? k.substr(1, k.size() - 2) : k);
  }
  return out;
}

Status CheckKeys(const Directive& d, std::initializer_list<std::string_view> allowed) {
  for (const Arg& a : d.args) {
    if (a.vals.empty()) continue;
    if (std::find(allowed.begin(), allowed.end(), a.key) == allowed.end()) {
      return Status::InvalidArgument("unknown argument " + a.key);
    }
  }
  return Status::OK();
}

Result<std::optional<uint64_t>> OptU64(const Directive& d, std::string_view key) {
  const Arg* a = Find(d, key);
  if (a == nullptr) return std::optional<uint64_t>();
  TESSERA_ASSIGN_OR_RETURN(uint64_t v, ParseU64(a->vals[0]));
  return std::optional<uint64_t>(v);
}

Result<std::optional<bool>> OptBool(const Directive& d, std::string_view key) {
  const Arg* a = Find(d, key);
  if (a == nullptr) return std::optional<bool>();
  TESSERA_ASSIGN_OR_RETURN(bool v, ParseBool(a->vals[0]));
  return std::optional<bool>(v);
}

Result<std::vector<NodeId>> IdList(const Directive& d, std::string_view key) {
  std::vector<NodeId> ids;
  if (const Arg* a = Find(d, key)) {
    for (const std::string& v : a->vals) {
      TESSERA_ASSIGN_OR_RETURN(uint64_t id, ParseU64(v));
      ids.push_back(NodeId(id));
    }
  }
  return ids;
}

Result<NodeId> RequiredId(const Directive& d, std::string_view key) {
  TESSERA_ASSIGN_OR_RETURN(std::optional<uint64_t> v, OptU64(d, key));
  if (!v) return Status::InvalidArgument("missing " + std::string(key) + "=");
  return NodeId(*v);
}

Result<MessageType> ParseMessageType(std::string_view s) {
  for (int t = 0; t <= static_cast<int>(MessageType::kReadIndexResp); ++t) {
    const auto mt = static_cast<MessageType>(t);
    if (s == MessageTypeName(mt)) return mt;
  }
  return Status::InvalidArgument("unknown message type " + std::string(s));
}

// Applies the option arguments of add-nodes to a config.
Status ApplyOptions(const Directive& d, Config* c) {
  auto set_int = [&](std::string_view key, int* field) -> Status {
    TESSERA_ASSIGN_OR_RETURN(std::optional<uint64_t> v, OptU64(d, key));
    if (v) *field = static_cast<int>(*v);
    return Status::OK();
  };
  auto set_u64 = [&](std::string_view key, uint64_t* field) -> Status {
    TESSERA_ASSIGN_OR_RETURN(std::optional<uint64_t> v, OptU64(d, key));
    if (v) *field = *v;
    return Status::OK();
  };
  auto set_bool = [&](std::string_view key, bool* field) -> Status {
    TESSERA_ASSIGN_OR_RETURN(std::optional<bool> v, OptBool(d, key));
    if (v) *field = *v;
    return Status::OK();
  };
  TESSERA_RETURN_IF_ERROR(set_int("election-ticks", &c->election_ticks));
  TESSERA_RETURN_IF_ERROR(set_int("heartbeat-ticks", &c->heartbeat_ticks));
  TESSERA_RETURN_IF_ERROR(set_int("lease-ticks", &c->lease_ticks));
  TESSERA_RETURN_IF_ERROR(set_int("max-inflight", &c->max_inflight_msgs));
  TESSERA_RETURN_IF_ERROR(set_u64("max-msg-bytes", &c->max_msg_bytes));
  TESSERA_RETURN_IF_ERROR(set_u64("max-inflight-bytes", &c->max_inflight_bytes));
  TESSERA_RETURN_IF_ERROR(set_u64("max-uncommitted-bytes", &c->max_uncommitted_entries_bytes));
  TESSERA_RETURN_IF_ERROR(set_u64("max-entry-bytes", &c->max_entry_bytes));
  TESSERA_RETURN_IF_ERROR(set_u64("max-committed-bytes", &c->max_committed_bytes_per_ready));
  TESSERA_RETURN_IF_ERROR(set_bool("prevote", &c->pre_vote));
  TESSERA_RETURN_IF_ERROR(set_bool("checkquorum", &c->check_quorum));
  if (const Arg* a = Find(d, "read-only")) {
    if (a->vals[0] == "safe") {
      c->read_only_option = ReadOnlyOption::kSafe;
    } else if (a->vals[0] == "lease") {
      c->read_only_option = ReadOnlyOption::kLeaseBased;
    } else {
      return Status::InvalidArgument("read-only must be safe or lease");
    }
  }
  return Status::OK();
}

}  // namespace

Result<std::vector<NodeId>> InteractionEnv::NodeIds(const Directive& d, bool all_if_none) {
  std::vector<NodeId> ids;
  for (const std::string& p : Positional(d)) {
    TESSERA_ASSIGN_OR_RETURN(uint64_t id, ParseU64(p));
    TESSERA_RETURN_IF_ERROR(Node(NodeId(id)).status());
    ids.push_back(NodeId(id));
  }
  if (ids.empty() && all_if_none) {
    for (size_t i = 0; i < nodes_.size(); ++i) ids.push_back(NodeId(i + 1));
  }
  if (ids.empty()) return Status::InvalidArgument("no node ids given");
  return ids;
}

std::string InteractionEnv::Handle(const Directive& d) {
  out_.clear();
  indent_ = 0;
  Status s;
  const std::string& c = d.cmd;
  if (c == "add-nodes") {
    s = HandleAddNodes(d);
  } else if (c == "campaign") {
    s = HandleCampaign(d);
  } else if (c == "propose") {
    s = HandlePropose(d);
  } else if (c == "propose-conf-change") {
    s = HandleProposeConfChange(d);
  } else if (c == "read-index") {
    s = HandleReadIndex(d);
  } else if (c == "transfer-leadership") {
    s = HandleTransferLeadership(d);
  } else if (c == "report-unreachable") {
    s = HandleReportUnreachable(d);
  } else if (c == "report-snapshot") {
    s = HandleReportSnapshot(d);
  } else if (c == "tick") {
    s = HandleTick(d, kTickN);
  } else if (c == "tick-heartbeat") {
    s = HandleTick(d, kTickHeartbeat);
  } else if (c == "tick-election") {
    s = HandleTick(d, kTickElection);
  } else if (c == "process-ready") {
    s = HandleProcessReady(d);
  } else if (c == "deliver-msgs") {
    s = HandleDeliverMsgs(d);
  } else if (c == "stabilize") {
    s = HandleStabilize(d);
  } else if (c == "step") {
    s = HandleStep(d);
  } else if (c == "isolate") {
    s = HandleIsolate(d);
  } else if (c == "heal") {
    s = HandleHeal(d);
  } else if (c == "restart") {
    s = HandleRestart(d);
  } else if (c == "compact") {
    s = HandleCompact(d);
  } else if (c == "resume-after-pause") {
    s = HandleResumeAfterPause(d);
  } else if (c == "raft-log") {
    s = HandleRaftLog(d);
  } else if (c == "raft-state") {
    s = HandleRaftState(d);
  } else if (c == "status") {
    s = HandleStatus(d);
  } else if (c == "log-level") {
    s = HandleLogLevel(d);
  } else {
    s = Status::InvalidArgument("unknown command " + c);
  }
  if (!s.ok()) {
    indent_ = 0;
    out_ += "error: " + s.ToString() + "\n";
  }
  return std::exchange(out_, {});
}

Status InteractionEnv::HandleAddNodes(const Directive& d) {
  TESSERA_RETURN_IF_ERROR(CheckKeys(
      d, {"voters", "learners", "index", "prevote", "checkquorum", "read-only", "election-ticks",
          "heartbeat-ticks", "lease-ticks", "max-msg-bytes", "max-inflight", "max-inflight-bytes",
          "max-uncommitted-bytes", "max-entry-bytes", "max-committed-bytes"}));
  const auto pos = Positional(d);
  if (pos.size() != 1) return Status::InvalidArgument("add-nodes takes one count");
  TESSERA_ASSIGN_OR_RETURN(uint64_t count, ParseU64(pos[0]));
  TESSERA_ASSIGN_OR_RETURN(std::vector<NodeId> voters, IdList(d, "voters"));
  TESSERA_ASSIGN_OR_RETURN(std::vector<NodeId> learners, IdList(d, "learners"));
  TESSERA_ASSIGN_OR_RETURN(std::optional<uint64_t> index, OptU64(d, "index"));
  std::sort(voters.begin(), voters.end());
  std::sort(learners.begin(), learners.end());
  for (uint64_t k = 0; k < count; ++k) {
    auto n = std::make_unique<EnvNode>();
    const NodeId id(nodes_.size() + 1);
    n->storage = std::make_unique<MemoryStorage>();
    n->random = std::make_unique<SeededRandom>(kSeedBase + id.value());
    n->config.id = id;
    n->config.election_ticks = 3;
    n->config.heartbeat_ticks = 1;
    n->config.storage = n->storage.get();
    n->config.random = n->random.get();
    TESSERA_RETURN_IF_ERROR(ApplyOptions(d, &n->config));
    ConfState cs{voters, learners, {}, {}, false};
    Snapshot snap;
    snap.metadata.conf_state = cs;
    if (index.value_or(0) > 0) {
      snap.metadata.index = LogIndex(*index);
      snap.metadata.term = Term(1);
      TESSERA_RETURN_IF_ERROR(n->storage->ApplySnapshot(snap));
    } else {
      n->storage->SetConfState(cs);
    }
    RestoreStateMachine(*n, snap);
    TESSERA_RETURN_IF_ERROR(CreateRawNode(*n));
    const NodeStatus st = n->raw->GetStatus();
    Print("INFO " + std::to_string(id.value()) + " created: " + DescribeConfState(st.conf_state) +
          " " + DescribeHardState(st.hard_state) +
          " Applied:" + std::to_string(st.applied.value()) +
          " LastIndex:" + std::to_string(st.last_index.value()));
    nodes_.push_back(std::move(n));
  }
  return Status::OK();
}

Status InteractionEnv::HandleCampaign(const Directive& d) {
  TESSERA_ASSIGN_OR_RETURN(std::vector<NodeId> ids, NodeIds(d, false));
  for (NodeId id : ids) {
    TESSERA_ASSIGN_OR_RETURN(EnvNode * n, Node(id));
    n->raw->Campaign();
  }
  return Status::OK();
}

// resume-after-pause ID...: the application stopped ticking these nodes for a while
// (hibernation) and resumes them.
Status InteractionEnv::HandleResumeAfterPause(const Directive& d) {
  TESSERA_ASSIGN_OR_RETURN(std::vector<NodeId> ids, NodeIds(d, false));
  for (NodeId id : ids) {
    TESSERA_ASSIGN_OR_RETURN(EnvNode * n, Node(id));
    n->raw->ResumeAfterPause();
  }
  return Status::OK();
}

Status InteractionEnv::HandlePropose(const Directive& d) {
  const auto pos = Positional(d);
  if (pos.size() != 2) return Status::InvalidArgument("propose ID DATA");
  TESSERA_ASSIGN_OR_RETURN(uint64_t id, ParseU64(pos[0]));
  TESSERA_ASSIGN_OR_RETURN(EnvNode * n, Node(NodeId(id)));
  // DATA "size:N" proposes N bytes of 'x' (limits tests).
  std::string data = pos[1];
  if (data.rfind("size:", 0) == 0) {
    TESSERA_ASSIGN_OR_RETURN(uint64_t size, ParseU64(data.substr(5)));
    data.assign(size, 'x');
  }
  Status s = n->raw->Propose(std::move(data));
  if (!s.ok()) Print(s.ToString());
  return Status::OK();
}

Status InteractionEnv::HandleProposeConfChange(const Directive& d) {
  TESSERA_RETURN_IF_ERROR(CheckKeys(d, {"transition"}));
  TESSERA_ASSIGN_OR_RETURN(std::vector<NodeId> ids, NodeIds(d, false));
  TESSERA_ASSIGN_OR_RETURN(EnvNode * n, Node(ids[0]));
  ConfChange cc;
  if (const Arg* a = Find(d, "transition")) {
    const std::string& t = a->vals[0];
    if (t == "auto") {
      cc.transition = ConfChangeTransition::kAuto;
    } else if (t == "implicit") {
      cc.transition = ConfChangeTransition::kJointImplicit;
    } else if (t == "explicit") {
      cc.transition = ConfChangeTransition::kJointExplicit;
    } else {
      return Status::InvalidArgument("transition must be auto, implicit or explicit");
    }
  }
  auto changes = ParseConfChanges(d.input);
  if (!changes.ok()) {
    Print("cannot parse conf change: " + changes.status().ToString());
    return Status::OK();
  }
  cc.changes = std::move(changes).value();
  Status s = n->raw->ProposeConfChange(cc);
  if (!s.ok()) Print(s.ToString());
  return Status::OK();
}

Status InteractionEnv::HandleReadIndex(const Directive& d) {
  const auto pos = Positional(d);
  if (pos.size() != 2) return Status::InvalidArgument("read-index ID CTX");
  TESSERA_ASSIGN_OR_RETURN(uint64_t id, ParseU64(pos[0]));
  TESSERA_ASSIGN_OR_RETURN(EnvNode * n, Node(NodeId(id)));
  n->raw->ReadIndex(pos[1]);
  return Status::OK();
}

Status InteractionEnv::HandleTransferLeadership(const Directive& d) {
  TESSERA_RETURN_IF_ERROR(CheckKeys(d, {"from", "to"}));
  TESSERA_ASSIGN_OR_RETURN(NodeId from, RequiredId(d, "from"));
  TESSERA_ASSIGN_OR_RETURN(NodeId to, RequiredId(d, "to"));
  TESSERA_ASSIGN_OR_RETURN(EnvNode * n, Node(from));
  n->raw->TransferLeader(to);
  return Status::OK();
}

Status InteractionEnv::HandleReportUnreachable(const Directive& d) {
  const auto pos = Positional(d);
  if (pos.size() != 2) return Status::InvalidArgument("report-unreachable ID PEER");
  TESSERA_ASSIGN_OR_RETURN(uint64_t id, ParseU64(pos[0]));
  TESSERA_ASSIGN_OR_RETURN(uint64_t peer, ParseU64(pos[1]));
  TESSERA_ASSIGN_OR_RETURN(EnvNode * n, Node(NodeId(id)));
  n->raw->ReportUnreachable(NodeId(peer));
  return Status::OK();
}

Status InteractionEnv::HandleReportSnapshot(const Directive& d) {
  const auto pos = Positional(d);
  if (pos.size() != 2 && pos.size() != 3) {
    return Status::InvalidArgument("report-snapshot ID PEER [failure]");
  }
  TESSERA_ASSIGN_OR_RETURN(uint64_t id, ParseU64(pos[0]));
  TESSERA_ASSIGN_OR_RETURN(uint64_t peer, ParseU64(pos[1]));
  TESSERA_ASSIGN_OR_RETURN(EnvNode * n, Node(NodeId(id)));
  n->raw->ReportSnapshot(NodeId(peer), pos.size() == 2);
  return Status::OK();
}

Status InteractionEnv::HandleTick(const Directive& d, int kind) {
  const auto pos = Positional(d);
  if (pos.empty()) return Status::InvalidArgument("tick needs a node id");
  TESSERA_ASSIGN_OR_RETURN(uint64_t id, ParseU64(pos[0]));
  TESSERA_ASSIGN_OR_RETURN(EnvNode * n, Node(NodeId(id)));
  uint64_t ticks = 1;
  if (kind == kTickN && pos.size() > 1) {
    TESSERA_ASSIGN_OR_RETURN(ticks, ParseU64(pos[1]));
  } else if (kind == kTickHeartbeat) {
    ticks = static_cast<uint64_t>(n->config.heartbeat_ticks);
  } else if (kind == kTickElection) {
    ticks = static_cast<uint64_t>(2 * n->config.election_ticks - 1);
  }
  for (uint64_t i = 0; i < ticks; ++i) n->raw->Tick();
  return Status::OK();
}

Status InteractionEnv::HandleProcessReady(const Directive& d) {
  TESSERA_ASSIGN_OR_RETURN(std::vector<NodeId> ids, NodeIds(d, false));
  for (NodeId id : ids) {
    TESSERA_ASSIGN_OR_RETURN(EnvNode * n, Node(id));
    if (ids.size() > 1) Print("> " + std::to_string(id.value()) + " handling Ready");
    indent_ += ids.size() > 1 ? 2 : 0;
    Status s = n->raw->HasReady() ? ProcessReady(*n) : Status::OK();
    indent_ -= ids.size() > 1 ? 2 : 0;
    TESSERA_RETURN_IF_ERROR(s);
  }
  return Status::OK();
}

Status InteractionEnv::HandleDeliverMsgs(const Directive& d) {
  TESSERA_RETURN_IF_ERROR(CheckKeys(d, {"type", "drop"}));
  TESSERA_ASSIGN_OR_RETURN(std::vector<NodeId> ids, NodeIds(d, false));
  std::optional<MessageType> type;
  if (const Arg* a = Find(d, "type")) {
    TESSERA_ASSIGN_OR_RETURN(MessageType t, ParseMessageType(a->vals[0]));
    type = t;
  }
  TESSERA_ASSIGN_OR_RETURN(std::optional<bool> drop, OptBool(d, "drop"));
  for (NodeId id : ids) DeliverMsgs(id, type, drop.value_or(false));
  return Status::OK();
}

Status InteractionEnv::HandleStabilize(const Directive& d) {
  TESSERA_ASSIGN_OR_RETURN(std::vector<NodeId> ids, NodeIds(d, true));
  return Stabilize(ids);
}

Status InteractionEnv::HandleStep(const Directive& d) {
  TESSERA_RETURN_IF_ERROR(
      CheckKeys(d, {"type", "from", "term", "log-term", "index", "commit", "reject", "reject-hint",
                    "context", "entries", "entry-type", "data"}));
  TESSERA_ASSIGN_OR_RETURN(std::vector<NodeId> ids, NodeIds(d, false));
  TESSERA_ASSIGN_OR_RETURN(EnvNode * n, Node(ids[0]));
  const Arg* type = Find(d, "type");
  if (type == nullptr) return Status::InvalidArgument("missing type=");
  Message m;
  TESSERA_ASSIGN_OR_RETURN(m.type, ParseMessageType(type->vals[0]));
  m.to = ids[0];
  TESSERA_ASSIGN_OR_RETURN(m.from, RequiredId(d, "from"));
  TESSERA_ASSIGN_OR_RETURN(std::optional<uint64_t> term, OptU64(d, "term"));
  TESSERA_ASSIGN_OR_RETURN(std::optional<uint64_t> log_term, OptU64(d, "log-term"));
  TESSERA_ASSIGN_OR_RETURN(std::optional<uint64_t> index, OptU64(d, "index"));
  TESSERA_ASSIGN_OR_RETURN(std::optional<uint64_t> commit, OptU64(d, "commit"));
  TESSERA_ASSIGN_OR_RETURN(std::optional<uint64_t> hint, OptU64(d, "reject-hint"));
  TESSERA_ASSIGN_OR_RETURN(std::optional<bool> reject, OptBool(d, "reject"));
  m.term = Term(term.value_or(0));
  m.log_term = Term(log_term.value_or(0));
  m.index = LogIndex(index.value_or(0));
  m.commit = LogIndex(commit.value_or(0));
  m.reject_hint = LogIndex(hint.value_or(0));
  m.reject = reject.value_or(false);
  if (const Arg* a = Find(d, "context")) m.context = a->vals[0];
  const Arg* data = Find(d, "data");
  const Arg* et = Find(d, "entry-type");
  if (const Arg* a = Find(d, "entries")) {
    for (const std::string& v : a->vals) {
      const size_t slash = v.find('/');
      if (slash == std::string::npos) return Status::InvalidArgument("entries are TERM/INDEX");
      TESSERA_ASSIGN_OR_RETURN(uint64_t t, ParseU64(std::string_view(v).substr(0, slash)));
      TESSERA_ASSIGN_OR_RETURN(uint64_t i, ParseU64(std::string_view(v).substr(slash + 1)));
      Entry e{Term(t), LogIndex(i), EntryType::kNormal, data ? data->vals[0] : ""};
      if (et != nullptr && et->vals[0] == "conf") e.type = EntryType::kConfChange;
      m.entries.push_back(std::move(e));
    }
  }
  Print(DescribeMessage(m));
  Status s = n->raw->Step(std::move(m));
  if (!s.ok()) Print("  error: " + s.ToString());
  return Status::OK();
}

Status InteractionEnv::HandleIsolate(const Directive& d) {
  TESSERA_ASSIGN_OR_RETURN(std::vector<NodeId> ids, NodeIds(d, false));
  for (NodeId id : ids) isolated_.insert(id);
  std::deque<Message> kept;
  for (Message& m : network_) {
    if (Blocked(m)) {
      Print("dropped: " + DescribeMessage(m));
    } else {
      kept.push_back(std::move(m));
    }
  }
  network_ = std::move(kept);
  return Status::OK();
}

Status InteractionEnv::HandleHeal(const Directive&) {
  isolated_.clear();
  return Status::OK();
}

Status InteractionEnv::HandleRestart(const Directive& d) {
  TESSERA_ASSIGN_OR_RETURN(std::vector<NodeId> ids, NodeIds(d, false));
  for (NodeId id : ids) {
    TESSERA_ASSIGN_OR_RETURN(EnvNode * n, Node(id));
    n->raw.reset();  // the crash: everything not in storage is lost
    auto snap = n->storage->GetSnapshot();
    if (!snap.ok()) return snap.status();
    RestoreStateMachine(*n, *snap);
    TESSERA_RETURN_IF_ERROR(CreateRawNode(*n));
    const NodeStatus st = n->raw->GetStatus();
    Print("INFO " + std::to_string(id.value()) + " restarted: " + DescribeConfState(st.conf_state) +
          " " + DescribeHardState(st.hard_state) +
          " Applied:" + std::to_string(st.applied.value()) +
          " LastIndex:" + std::to_string(st.last_index.value()));
  }
  return Status::OK();
}

Status InteractionEnv::HandleCompact(const Directive& d) {
  const auto pos = Positional(d);
  if (pos.size() != 2) return Status::InvalidArgument("compact ID INDEX");
  TESSERA_ASSIGN_OR_RETURN(uint64_t id, ParseU64(pos[0]));
  TESSERA_ASSIGN_OR_RETURN(uint64_t index, ParseU64(pos[1]));
  TESSERA_ASSIGN_OR_RETURN(EnvNode * n, Node(NodeId(id)));
  const LogIndex at(index);
  if (at > n->raw->GetStatus().applied || at > n->storage->LastIndex()) {
    return Status::InvalidArgument("can only compact applied, stored entries");
  }
  Snapshot s = SnapshotAt(*n, at);
  TESSERA_RETURN_IF_ERROR(n->storage->CreateSnapshot(at, &s.metadata.conf_state, s.data));
  TESSERA_RETURN_IF_ERROR(n->storage->Compact(at));
  auto snap = n->storage->GetSnapshot();
  if (!snap.ok()) return snap.status();
  Print("snapshot " + DescribeSnapshot(*snap) + " Data:\"" + snap->data + "\"");
  return HandleRaftLog(d);
}

Status InteractionEnv::HandleRaftLog(const Directive& d) {
  const auto pos = Positional(d);
  if (pos.empty()) return Status::InvalidArgument("raft-log ID");
  TESSERA_ASSIGN_OR_RETURN(uint64_t id, ParseU64(pos[0]));
  TESSERA_ASSIGN_OR_RETURN(EnvNode * n, Node(NodeId(id)));
  const LogIndex first = n->storage->FirstIndex();
  const LogIndex last = n->storage->LastIndex();
  if (last < first) {
    Print("log is empty: first index=" + std::to_string(first.value()) +
          ", last index=" + std::to_string(last.value()));
    return Status::OK();
  }
  auto ents = n->storage->Entries(first, last.next(), UINT64_MAX);
  if (!ents.ok()) return ents.status();
  for (const Entry& e : *ents) Print(DescribeEntry(e));
  return Status::OK();
}

Status InteractionEnv::HandleRaftState(const Directive&) {
  for (const auto& n : nodes_) {
    const NodeStatus st = n->raw->GetStatus();
    const ConfState& cs = st.conf_state;
    auto has = [&](const std::vector<NodeId>& v) {
      return std::find(v.begin(), v.end(), st.id) != v.end();
    };
    const char* kind = has(cs.voters) || has(cs.voters_outgoing)   ? "Voter"
                       : has(cs.learners) || has(cs.learners_next) ? "Learner"
                                                                   : "Non-Member";
    Print(std::to_string(st.id.value()) + ": " + StateRoleName(st.soft_state.role) + " (" + kind +
          ") Term:" + std::to_string(st.hard_state.term.value()) +
          " Lead:" + std::to_string(st.soft_state.lead.value()) +
          " Commit:" + std::to_string(st.hard_state.commit.value()) +
          " Applied:" + std::to_string(st.applied.value()));
  }
  return Status::OK();
}

Status InteractionEnv::HandleStatus(const Directive& d) {
  TESSERA_ASSIGN_OR_RETURN(std::vector<NodeId> ids, NodeIds(d, false));
  TESSERA_ASSIGN_OR_RETURN(EnvNode * n, Node(ids[0]));
  const NodeStatus st = n->raw->GetStatus();
  Print(std::string(StateRoleName(st.soft_state.role)) + " " + DescribeHardState(st.hard_state) +
        " Applied:" + std::to_string(st.applied.value()) +
        " LastIndex:" + std::to_string(st.last_index.value()) +
        (n->raw->LeaseValid() ? " LeaseValid" : "") + (n->raw->Quiescent() ? " Quiescent" : ""));
  Print("ConfState " + DescribeConfState(st.conf_state));
  for (const PeerProgress& p : st.progress) {
    Print(std::to_string(p.id.value()) + ": " + p.state +
          " match=" + std::to_string(p.match.value()) + " next=" + std::to_string(p.next.value()) +
          (p.learner ? " learner" : "") + (p.recent_active ? "" : " inactive"));
  }
  if (st.lead_transferee) {
    Print("transferring leadership to " + std::to_string(st.lead_transferee.value()));
  }
  return Status::OK();
}

Status InteractionEnv::HandleLogLevel(const Directive& d) {
  const auto pos = Positional(d);
  if (pos.size() != 1) return Status::InvalidArgument("log-level none|info");
  if (pos[0] == "none") {
    quiet_ = true;
  } else if (pos[0] == "info" || pos[0] == "debug") {
    quiet_ = false;
  } else {
    return Status::InvalidArgument("log-level none|info");
  }
  return Status::OK();
}

}  // namespace tessera::raft::scenario
