// The machinery of InteractionEnv: node creation, Ready handling, the network, stabilize.
#include "interaction_env.h"

#include <algorithm>

#include "raft/conf_change.h"
#include "raft/describe.h"

namespace tessera::raft::scenario {
namespace {

// Every loop in the environment is bounded; a scenario that does not settle is a failure.
constexpr int kMaxStabilizeRounds = 10000;

// The state machine's snapshot format: the applied data items joined by ','.
std::string EncodeStateMachine(const std::vector<std::pair<LogIndex, std::string>>& applied,
                               LogIndex upto) {
  std::string s;
  for (const auto& [index, data] : applied) {
    if (index > upto) break;
    if (!s.empty()) s += ',';
    s += data;
  }
  return s;
}

}  // namespace

void InteractionEnv::Print(std::string_view text) {
  if (quiet_) return;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t end = text.find('\n', pos);
    if (end == std::string_view::npos) end = text.size();
    out_.append(static_cast<size_t>(indent_), ' ');
    out_.append(text.substr(pos, end - pos));
    out_ += '\n';
    pos = end + 1;
  }
}

Result<EnvNode*> InteractionEnv::Node(NodeId id) {
  if (!id || id.value() > nodes_.size()) {
    return Status::InvalidArgument("no node " + std::to_string(id.value()));
  }
  return nodes_[id.value() - 1].get();
}

Status InteractionEnv::CreateRawNode(EnvNode& n) {
  auto raw = RawNode::Create(n.config);
  if (!raw.ok()) return raw.status();
  n.raw = std::move(raw).value();
  return Status::OK();
}

void InteractionEnv::RestoreStateMachine(EnvNode& n, const Snapshot& s) {
  n.applied.clear();
  std::string_view data = s.data;
  while (!data.empty()) {
    const size_t comma = std::min(data.find(','), data.size());
    n.applied.emplace_back(s.metadata.index, std::string(data.substr(0, comma)));
    data.remove_prefix(std::min(comma + 1, data.size()));
  }
  n.conf_history.clear();
  n.conf_history[s.metadata.index] = s.metadata.conf_state;
}

Snapshot InteractionEnv::SnapshotAt(const EnvNode& n, LogIndex index) const {
  Snapshot s;
  s.metadata.index = index;
  auto it = n.conf_history.upper_bound(index);
  if (it != n.conf_history.begin()) s.metadata.conf_state = std::prev(it)->second;
  s.data = EncodeStateMachine(n.applied, index);
  return s;
}

void InteractionEnv::ApplyCommitted(EnvNode& n, const Entry& e) {
  if (e.type == EntryType::kNormal) {
    if (!e.data.empty()) n.applied.emplace_back(e.index, e.data);
    return;
  }
  auto cc = DecodeConfChange(e.data);
  if (!cc.ok()) {
    Print("malformed conf change at " + DescribeEntry(e) + ": " + cc.status().ToString());
    return;
  }
  auto cs = n.raw->ApplyConfChange(*cc);
  if (!cs.ok()) {
    Print("conf change " + DescribeConfChange(*cc) + " refused: " + cs.status().ToString());
    return;
  }
  n.conf_history[e.index] = *cs;
  Print("INFO " + std::to_string(n.config.id.value()) + " switched to configuration " +
        DescribeConfState(*cs));
}

Status InteractionEnv::ProcessReady(EnvNode& n) {
  Ready rd = n.raw->GetReady();
  Print(std::string("Ready MustSync=") + (rd.must_sync ? "true" : "false") + ":");
  Print(DescribeReady(rd));
  // 1. Persist: the snapshot, the entries, the hard state.
  if (rd.snapshot) {
    Status s = n.storage->ApplySnapshot(*rd.snapshot);
    if (!s.ok()) return s;
  }
  n.storage->Append(rd.entries);
  if (rd.hard_state) n.storage->SetHardState(*rd.hard_state);
  // 2. Send: everything is durable now, so both kinds of messages may leave.
  for (const Message& m : rd.messages) Send(m);
  for (const Message& m : rd.persisted_messages) Send(m);
  // 3. Apply the snapshot, then the committed entries.
  if (rd.snapshot) RestoreStateMachine(n, *rd.snapshot);
  for (const Entry& e : rd.committed_entries) ApplyCommitted(n, e);
  n.raw->Advance();
  return Status::OK();
}

bool InteractionEnv::Blocked(const Message& m) const {
  return isolated_.count(m.from) > 0 || isolated_.count(m.to) > 0;
}

void InteractionEnv::Send(const Message& m) {
  if (Blocked(m)) return;  // lost in the partition
  network_.push_back(m);
}

size_t InteractionEnv::DeliverMsgs(NodeId to, std::optional<MessageType> type, bool drop) {
  std::vector<Message> mine;
  std::deque<Message> rest;
  for (Message& m : network_) {
    if (m.to == to && (!type || m.type == *type)) {
      mine.push_back(std::move(m));
    } else {
      rest.push_back(std::move(m));
    }
  }
  network_ = std::move(rest);
  auto node = Node(to);
  for (Message& m : mine) {
    if (drop || !node.ok()) {
      Print("dropped: " + DescribeMessage(m));
      continue;
    }
    Print(DescribeMessage(m));
    Status s = (*node)->raw->Step(std::move(m));
    if (!s.ok()) {
      indent_ += 2;
      Print("error: " + s.ToString());
      indent_ -= 2;
    }
  }
  return mine.size();
}

Status InteractionEnv::Stabilize(const std::vector<NodeId>& ids) {
  for (int round = 0; round < kMaxStabilizeRounds; ++round) {
    bool done = true;
    for (NodeId id : ids) {
      TESSERA_ASSIGN_OR_RETURN(EnvNode * n, Node(id));
      if (!n->raw->HasReady()) continue;
      done = false;
      Print("> " + std::to_string(id.value()) + " handling Ready");
      indent_ += 2;
      Status s = ProcessReady(*n);
      indent_ -= 2;
      TESSERA_RETURN_IF_ERROR(s);
    }
    for (NodeId id : ids) {
      const bool any = std::any_of(network_.begin(), network_.end(),
                                   [&](const Message& m) { return m.to == id; });
      if (!any) continue;
      done = false;
      Print("> " + std::to_string(id.value()) + " receiving messages");
      indent_ += 2;
      DeliverMsgs(id, std::nullopt, false);
      indent_ -= 2;
    }
    if (done) return Status::OK();
  }
  return Status::Aborted("stabilize did not settle");
}

}  // namespace tessera::raft::scenario
