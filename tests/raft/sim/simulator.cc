#include "tests/raft/sim/simulator.h"

#include <cstdio>
#include <map>
#include <memory>
#include <queue>
#include <set>
#include <sstream>
#include <vector>

#include "common/checksum.h"
#include "common/coding.h"
#include "common/random.h"
#include "raft/describe.h"
#include "raft/memory_storage.h"
#include "raft/raw_node.h"

namespace tessera::raft::sim {
namespace {

constexpr int kStepsPerTick = 10;
constexpr int kElectionTicks = 10;
constexpr int kHeartbeatTicks = 2;
constexpr uint64_t kMaxDelaySteps = 25;

// The replicated state machine: a hash chain over applied entries. Two nodes agree on everything
// applied up to `index` exactly when their hashes at `index` agree.
struct StateMachine {
  LogIndex index;
  uint64_t hash = 0;
};

std::string EncodeStateMachine(const StateMachine& sm) {
  std::string s;
  PutFixed64(&s, sm.index.value());
  PutFixed64(&s, sm.hash);
  return s;
}

StateMachine DecodeStateMachine(const std::string& data) {
  StateMachine sm;
  std::string_view in(data);
  uint64_t idx = 0, hash = 0;
  if (GetFixed64(&in, &idx) && GetFixed64(&in, &hash)) {
    sm.index = LogIndex(idx);
    sm.hash = hash;
  }
  return sm;
}

struct Node {
  NodeId id;
  MemoryStorage storage;  // the disk: survives crashes
  std::unique_ptr<SeededRandom> rng;
  std::unique_ptr<RawNode> raft;  // null while crashed
  StateMachine sm;                // volatile: rebuilt from the snapshot on restart
  ConfState conf;                 // membership as of sm.index
  int tick_phase = 0;
  bool alive() const { return raft != nullptr; }
};

struct Envelope {
  uint64_t deliver_at;
  uint64_t seq;
  Message msg;
  bool operator>(const Envelope& o) const {
    return deliver_at != o.deliver_at ? deliver_at > o.deliver_at : seq > o.seq;
  }
};

struct EntryId {
  Term prev_term;
  uint64_t data_hash;
  bool operator==(const EntryId&) const = default;
};

class Simulation {
 public:
  Simulation(uint64_t seed, const SimOptions& o) : seed_(seed), opt_(o), rng_(seed) {}

  SimResult Run() {
    Setup();
    for (int i = 0; i < opt_.chaos_steps && !failed(); ++i) ChaosStep();
    if (!failed()) Heal();
    result_.steps = now_;
    return result_;
  }

 private:
  bool failed() const { return !result_.ok; }

  void Fail(const std::string& what) {
    if (failed()) return;
    result_.ok = false;
    std::ostringstream os;
    os << what << " (seed " << seed_ << ", step " << now_ << ")";
    result_.failure = os.str();
  }

  template <typename... Args>
  void Trace(const char* fmt, Args... args) {
    if (!opt_.verbose) return;
    std::fprintf(stderr, "[%6llu] ", static_cast<unsigned long long>(now_));
    std::fprintf(stderr, fmt, args...);
    std::fputc('\n', stderr);
  }

  // ---- setup, crash, restart ----

  void Setup() {
    const uint64_t sizes[] = {0, 64, 256, 4096};
    msg_bytes_ = sizes[rng_.Uniform(4)];
    const int windows[] = {1, 4, 64};
    inflight_ = windows[rng_.Uniform(3)];
    const int total = opt_.voters + opt_.spare_nodes;
    ConfState initial;
    for (int i = 1; i <= opt_.voters; ++i) initial.voters.push_back(NodeId(i));
    for (int i = 1; i <= total; ++i) {
      auto n = std::make_unique<Node>();
      n->id = NodeId(i);
      // The initial members start from a bootstrap snapshot at index 1 holding the membership,
      // so the log starts at 2 and a node added later (which starts empty, with no membership,
      // like a real new replica) is always brought in by a snapshot.
      if (i <= opt_.voters) {
        Snapshot boot;
        boot.metadata = SnapshotMetadata{initial, LogIndex(1), Term(1)};
        boot.data = EncodeStateMachine(StateMachine{LogIndex(1), 0});
        (void)n->storage.ApplySnapshot(boot);
        n->storage.SetHardState(HardState{Term(1), NodeId(), LogIndex(1)});
      }
      n->tick_phase = static_cast<int>(rng_.Uniform(kStepsPerTick));
      nodes_.push_back(std::move(n));
      Start(*nodes_.back());
    }
  }

  void Start(Node& n) {
    n.rng = std::make_unique<SeededRandom>(rng_.Next64());
    Config c;
    c.id = n.id;
    c.election_ticks = kElectionTicks;
    c.heartbeat_ticks = kHeartbeatTicks;
    c.storage = &n.storage;
    c.random = n.rng.get();
    // Per-seed replication granularity: one entry per append lets an old-term entry reach a
    // majority before the new leader's entry does (the setup of figure 8).
    c.max_msg_bytes = msg_bytes_;
    c.max_inflight_msgs = inflight_;
    c.max_uncommitted_entries_bytes = 16 << 10;
    c.read_only_option = opt_.lease_reads ? ReadOnlyOption::kLeaseBased : ReadOnlyOption::kSafe;
    // The state machine restarts from the snapshot: tell Raft what is already applied.
    auto snap = n.storage.GetSnapshot();
    c.applied = snap->metadata.index;
    auto r = RawNode::Create(c);
    if (!r.ok()) return Fail("RawNode::Create failed: " + r.status().ToString());
    n.raft = std::move(r).value();
    n.sm = snap->IsEmpty() ? StateMachine{} : DecodeStateMachine(snap->data);
    n.conf = snap->metadata.conf_state;
  }

  void Crash(Node& n) {
    Trace("crash %llu", static_cast<unsigned long long>(n.id.value()));
    n.raft.reset();
    ++result_.crashes;
  }

  Node& node(NodeId id) { return *nodes_[id.value() - 1]; }
  Node& RandomNode() { return *nodes_[rng_.Uniform(nodes_.size())]; }

  // ---- the network ----

  bool Connected(NodeId a, NodeId b) const {
    if (partition_.empty()) return true;
    return partition_.count(a) == partition_.count(b);
  }

  void Send(const Message& m) {
    ++result_.messages;
    if (opt_.verbose && m.type != MessageType::kHeartbeat &&
        m.type != MessageType::kHeartbeatResp) {
      Trace("send %s", DescribeMessage(m).c_str());
    }
    if (!heal_ && rng_.Chance(0.05)) {
      DropSnapshot(m);
      return;
    }
    const int copies = (!heal_ && rng_.Chance(0.03)) ? 2 : 1;
    for (int i = 0; i < copies; ++i) {
      queue_.push(Envelope{now_ + rng_.Range(1, kMaxDelaySteps), seq_++, m});
    }
  }

  void DropSnapshot(const Message& m) {
    if (m.type != MessageType::kSnap) return;
    Node& from = node(m.from);
    if (from.alive()) from.raft->ReportSnapshot(m.to, false);
  }

  void Deliver() {
    while (!queue_.empty() && queue_.top().deliver_at <= now_ && !failed()) {
      Message m = queue_.top().msg;
      queue_.pop();
      Node& to = node(m.to);
      if (!to.alive() || !Connected(m.from, m.to)) {
        DropSnapshot(m);
        Node& from = node(m.from);
        if (from.alive() && rng_.Chance(0.5)) from.raft->ReportUnreachable(m.to);
        continue;
      }
      const bool snap = m.type == MessageType::kSnap;
      const NodeId from = m.from, dest = m.to;
      Status s = to.raft->Step(std::move(m));
      if (!s.ok() && !s.Is(Status::Code::kProposalDropped)) {
        return Fail("Step refused a network message: " + s.ToString());
      }
      if (snap && node(from).alive()) node(from).raft->ReportSnapshot(dest, true);
    }
  }

  // ---- handling Ready ----

  void ProcessReady(Node& n) {
    for (int iter = 0; iter < 16 && n.alive() && n.raft->HasReady() && !failed(); ++iter) {
      Ready rd = n.raft->GetReady();
      if (rd.soft_state) OnSoftState(n, rd);
      for (const Message& m : rd.messages) Send(m);
      const bool writes = !rd.entries.empty() || rd.hard_state || rd.snapshot;
      if (writes && !heal_ && rng_.Chance(0.002)) {
        Crash(n);  // before the writes reach the disk
        return;
      }
      Persist(n, rd);
      for (const Message& m : rd.persisted_messages) {
        CheckVoteGrant(n, m);
        Send(m);
      }
      if (rd.snapshot) ApplySnapshot(n, *rd.snapshot);
      for (const Entry& e : rd.committed_entries) Apply(n, e);
      for (const ReadState& rs : rd.read_states) CheckRead(n, rs);
      if (failed()) return;
      n.raft->Advance();
    }
  }

  void OnSoftState(Node& n, const Ready& rd) {
    if (rd.soft_state->role != StateRole::kLeader) return;
    const Term term = rd.hard_state ? rd.hard_state->term : n.raft->GetStatus().hard_state.term;
    auto [it, inserted] = leaders_.emplace(term.value(), n.id);
    if (!inserted && it->second != n.id) {
      return Fail("two leaders in term " + std::to_string(term.value()) + ": " +
                  std::to_string(it->second.value()) + " and " + std::to_string(n.id.value()));
    }
    ++result_.leaders;
    Trace("node %llu leads term %llu", static_cast<unsigned long long>(n.id.value()),
          static_cast<unsigned long long>(term.value()));
    CheckLeaderCompleteness(n, rd);
  }

  // Leader completeness (section 3.6.3): a new leader holds every committed entry.
  void CheckLeaderCompleteness(Node& n, const Ready& rd) {
    const LogIndex first = n.storage.FirstIndex();
    const LogIndex unstable_from =
        rd.entries.empty() ? LogIndex(UINT64_MAX) : rd.entries.front().index;
    for (auto it = committed_.lower_bound(first.value()); it != committed_.end(); ++it) {
      const LogIndex i(it->first);
      Term t;
      if (i >= unstable_from) {
        if (i - unstable_from >= rd.entries.size()) return Fail("leader lacks a committed entry");
        t = rd.entries[i - unstable_from].term;
      } else {
        auto st = n.storage.TermAt(i);
        if (!st.ok()) return Fail("leader lacks committed entry " + std::to_string(i.value()));
        t = *st;
      }
      if (t != it->second.first) {
        return Fail("leader " + std::to_string(n.id.value()) +
                    " has a different entry at committed index " + std::to_string(i.value()));
      }
    }
  }

  void Persist(Node& n, const Ready& rd) {
    if (rd.snapshot) {
      Status s = n.storage.ApplySnapshot(*rd.snapshot);
      if (!s.ok()) return Fail("Ready carried a stale snapshot: " + s.ToString());
    }
    if (!rd.entries.empty()) {
      n.storage.Append(rd.entries);
      for (const Entry& e : rd.entries) CheckLogMatching(n, e);
    }
    if (rd.hard_state) {
      const HardState& hs = *rd.hard_state;
      Trace("node %llu persists %s", static_cast<unsigned long long>(n.id.value()),
            DescribeHardState(hs).c_str());
      if (hs.commit > n.storage.LastIndex())
        return Fail("hard state commits beyond the stored log");
      if (hs.vote) {
        auto [it, inserted] =
            votes_.emplace(std::make_pair(n.id.value(), hs.term.value()), hs.vote);
        if (!inserted && it->second != hs.vote) {
          return Fail("node " + std::to_string(n.id.value()) + " voted twice in term " +
                      std::to_string(hs.term.value()));
        }
      }
      if (hs.commit.value() > max_commit_seen_) max_commit_seen_ = hs.commit.value();
      n.storage.SetHardState(hs);
    }
  }

  // Log matching (section 3.5): an (index, term) pair names one entry, whose predecessor is also
  // always the same; by induction the logs agree on the whole prefix.
  void CheckLogMatching(Node& n, const Entry& e) {
    auto prev = n.storage.TermAt(e.index.prev());
    if (!prev.ok()) return;  // compacted under us: the snapshot covers it
    const EntryId id{*prev, Checksum64(e.data) ^ static_cast<uint64_t>(e.type)};
    auto [it, inserted] = log_ids_.emplace(std::make_pair(e.index.value(), e.term.value()), id);
    if (!inserted && !(it->second == id)) {
      Fail("log matching violated at index " + std::to_string(e.index.value()) + " term " +
           std::to_string(e.term.value()) + " on node " + std::to_string(n.id.value()));
    }
  }

  // A granted vote must be durable before it is sent: the stored hard state is at a later term
  // (which forbids voting in this one again) or at this term with this vote. And no node grants
  // two candidates in one term.
  void CheckVoteGrant(Node& n, const Message& m) {
    if (m.type != MessageType::kVoteResp || m.reject) return;
    const HardState& hs = n.storage.hard_state();
    if (hs.term < m.term || (hs.term == m.term && hs.vote != m.to)) {
      return Fail("node " + std::to_string(n.id.value()) + " granted a vote in term " +
                  std::to_string(m.term.value()) + " to " + std::to_string(m.to.value()) +
                  " that is not durable (stored " + DescribeHardState(hs) + ")");
    }
    auto [it, inserted] = granted_.emplace(std::make_pair(n.id.value(), m.term.value()), m.to);
    if (!inserted && it->second != m.to) {
      Fail("node " + std::to_string(n.id.value()) + " granted votes to two candidates in term " +
           std::to_string(m.term.value()));
    }
  }

  void ApplySnapshot(Node& n, const Snapshot& s) {
    StateMachine sm = DecodeStateMachine(s.data);
    if (sm.index != s.metadata.index) return Fail("snapshot data does not match its index");
    auto it = chain_.find(sm.index.value());
    if (it != chain_.end() && it->second != sm.hash)
      return Fail("snapshot diverges from applied state");
    n.sm = sm;
    n.conf = s.metadata.conf_state;
    ++result_.snapshots;
  }

  void Apply(Node& n, const Entry& e) {
    if (e.index != n.sm.index.next()) {
      return Fail("node " + std::to_string(n.id.value()) + " applied index " +
                  std::to_string(e.index.value()) + " after " + std::to_string(n.sm.index.value()));
    }
    const uint64_t h = Checksum64(e.data) ^ static_cast<uint64_t>(e.type);
    auto [it, inserted] = committed_.emplace(e.index.value(), std::make_pair(e.term, h));
    if (!inserted && (it->second.first != e.term || it->second.second != h)) {
      return Fail("committed entry changed at index " + std::to_string(e.index.value()));
    }
    if (inserted) ++result_.committed;
    n.sm.index = e.index;
    n.sm.hash = Checksum64(e.data, n.sm.hash ^ e.term.value());
    auto [ct, cinserted] = chain_.emplace(e.index.value(), n.sm.hash);
    if (!cinserted && ct->second != n.sm.hash) return Fail("applied sequences diverge");
    if (e.type == EntryType::kConfChange) ApplyConfChange(n, e);
    if (e.data.view().rfind("heal", 0) == 0) healed_.insert(e.index.value());
  }

  void ApplyConfChange(Node& n, const Entry& e) {
    auto cc = DecodeConfChange(e.data);
    if (!cc.ok()) return Fail("a committed conf change does not decode");
    auto cs = n.raft->ApplyConfChange(*cc);
    const std::string desc = cs.ok() ? DescribeConfState(*cs) : "refused";
    if (cs.ok()) n.conf = *cs;
    auto [it, inserted] = conf_at_.emplace(e.index.value(), desc);
    if (!inserted && it->second != desc) return Fail("replicas disagree on a membership change");
    if (inserted) {
      ++result_.conf_changes;
      Trace("conf change at %llu: %s", static_cast<unsigned long long>(e.index.value()),
            desc.c_str());
    }
  }

  // A read index must cover every commit known anywhere when the read was requested.
  void CheckRead(Node& n, const ReadState& rs) {
    auto it = reads_.find(rs.request_ctx);
    if (it == reads_.end()) return Fail("read state for an unknown request");
    if (rs.index.value() < it->second) {
      Fail("stale read on node " + std::to_string(n.id.value()) + ": read index " +
           std::to_string(rs.index.value()) + " < commit " + std::to_string(it->second) +
           " known when the read started");
    }
    ++result_.reads;
  }

  // ---- one step ----

  void ChaosStep() {
    ++now_;
    Faults();
    ClientActions();
    TickAndRun();
  }

  void TickAndRun() {
    for (auto& n : nodes_) {
      if (n->alive() && now_ % kStepsPerTick == static_cast<uint64_t>(n->tick_phase))
        n->raft->Tick();
    }
    Deliver();
    for (auto& n : nodes_) ProcessReady(*n);
  }

  void Faults() {
    if (partition_.empty() && rng_.Chance(0.006)) {
      Node* l = Leader();
      if (l != nullptr && rng_.Chance(0.5)) {
        // Isolate the leader, alone or with one other node: the classic stale-leader setup.
        partition_.insert(l->id);
        if (rng_.Chance(0.5)) partition_.insert(RandomNode().id);
      } else {
        for (auto& n : nodes_) {
          if (rng_.Chance(0.5)) partition_.insert(n->id);
        }
      }
      partition_until_ = now_ + rng_.Range(50, 500);
      Trace("partition (%zu nodes on one side)", partition_.size());
    } else if (!partition_.empty() && now_ >= partition_until_) {
      partition_.clear();
      Trace("partition healed");
    }
    if (rng_.Chance(0.003)) {
      Node* l = Leader();
      Node& n = (l != nullptr && rng_.Chance(0.5)) ? *l : RandomNode();
      if (n.alive()) Crash(n);
    }
    for (auto& n : nodes_) {
      if (!n->alive() && rng_.Chance(0.01)) Start(*n);
    }
  }

  Node* Leader() {
    Node* best = nullptr;
    for (auto& n : nodes_) {
      if (n->alive() && n->raft->soft_state().role == StateRole::kLeader) {
        if (best == nullptr ||
            n->raft->GetStatus().hard_state.term > best->raft->GetStatus().hard_state.term) {
          best = n.get();
        }
      }
    }
    return best;
  }

  void ClientActions() {
    if (rng_.Chance(0.15)) {
      Node& n = RandomNode();
      if (n.alive()) {
        std::string data = "p" + std::to_string(proposals_++);
        if (rng_.Chance(0.1)) data.append(rng_.Uniform(300), 'x');
        (void)n.raft->Propose(std::move(data));  // ProposalDropped is an expected outcome
      }
    }
    if (rng_.Chance(0.1)) {
      Node& n = RandomNode();
      if (n.alive()) {
        const std::string ctx = "r" + std::to_string(read_seq_++);
        reads_[ctx] = max_commit_seen_;
        n.raft->ReadIndex(ctx);
      }
    }
    if (rng_.Chance(0.006)) ProposeConfChange();
    if (rng_.Chance(0.002)) {
      Node* l = Leader();
      if (l != nullptr) l->raft->TransferLeader(NodeId(rng_.Range(1, nodes_.size())));
    }
    if (rng_.Chance(0.01)) Compact(RandomNode());
  }

  void ProposeConfChange() {
    Node* l = Leader();
    if (l == nullptr) return;
    const ConfState cs = l->raft->GetStatus().conf_state;
    ConfChange cc;
    if (!cs.voters_outgoing.empty()) {
      if (!cs.auto_leave) (void)l->raft->ProposeConfChange(cc);  // leave the joint config
      return;
    }
    std::set<NodeId> voters(cs.voters.begin(), cs.voters.end());
    std::set<NodeId> learners(cs.learners.begin(), cs.learners.end());
    std::vector<NodeId> others;
    for (auto& n : nodes_) {
      if (!voters.count(n->id) && !learners.count(n->id)) others.push_back(n->id);
    }
    auto pick = [&](const auto& set) {
      auto it = set.begin();
      std::advance(it, rng_.Uniform(set.size()));
      return *it;
    };
    switch (rng_.Uniform(5)) {
      case 0:
        if (others.empty()) return;
        cc.changes.push_back({ConfChangeType::kAddLearnerNode, pick(others)});
        break;
      case 1:
        if (learners.empty()) return;
        cc.changes.push_back({ConfChangeType::kAddNode, pick(learners)});
        break;
      case 2: {
        std::set<NodeId> members = voters;
        members.insert(learners.begin(), learners.end());
        const NodeId victim = pick(members);
        if (voters.count(victim) && voters.size() <= 2) return;  // keep the group alive
        cc.changes.push_back({ConfChangeType::kRemoveNode, victim});
        break;
      }
      case 3:
        if (others.empty()) return;
        cc.changes.push_back({ConfChangeType::kAddNode, pick(others)});
        cc.changes.push_back({ConfChangeType::kRemoveNode, pick(voters)});
        cc.transition = static_cast<ConfChangeTransition>(rng_.Uniform(3));
        break;
      default:
        if (voters.size() <= 2) return;
        cc.changes.push_back({ConfChangeType::kAddLearnerNode, pick(voters)});
        cc.transition = rng_.Chance(0.5) ? ConfChangeTransition::kJointExplicit
                                         : ConfChangeTransition::kJointImplicit;
        break;
    }
    (void)l->raft->ProposeConfChange(cc);
  }

  void Compact(Node& n) {
    if (!n.alive() || n.sm.index <= n.storage.FirstIndex()) return;
    auto snap = n.storage.GetSnapshot();
    if (n.sm.index <= snap->metadata.index) return;
    if (!n.storage.CreateSnapshot(n.sm.index, &n.conf, EncodeStateMachine(n.sm)).ok()) {
      return Fail("CreateSnapshot refused");
    }
    const uint64_t keep = rng_.Uniform(4);
    const LogIndex to = n.sm.index - std::min<uint64_t>(keep, n.sm.index.value() - 1);
    if (to > n.storage.FirstIndex()) (void)n.storage.Compact(to);
  }

  // ---- healing and liveness ----

  void Heal() {
    heal_ = true;
    partition_.clear();
    for (auto& n : nodes_) {
      if (!n->alive()) Start(*n);
    }
    // Liveness: a leader commits a new proposal within heal_steps...
    uint64_t deadline = now_ + static_cast<uint64_t>(opt_.heal_steps);
    int attempt = 0;
    while (healed_.empty() && now_ < deadline && !failed()) {
      ++now_;
      if (now_ % 50 == 0) {
        Node* l = Leader();
        if (l != nullptr) (void)l->raft->Propose("heal" + std::to_string(attempt++));
      }
      TickAndRun();
    }
    if (failed()) return;
    if (healed_.empty()) return Fail("no leader committed a proposal after healing" + Dump());
    // ... and every member catches up. The bound is wider: a seed may replicate one entry per
    // round trip (max_msg_bytes 0, one message in flight).
    const uint64_t heal_index = *healed_.begin();
    deadline = now_ + 4 * static_cast<uint64_t>(opt_.heal_steps);
    while (!AllMembersApplied(heal_index) && now_ < deadline && !failed()) {
      ++now_;
      TickAndRun();
    }
    if (failed() || AllMembersApplied(heal_index)) return;
    Fail("members did not all apply the heal entry " + std::to_string(heal_index) +
         " after healing" + Dump());
  }

  // Every node's state, for failure reports.
  std::string Dump() {
    std::ostringstream os;
    for (auto& n : nodes_) {
      os << "\n  node " << n->id << ": ";
      if (!n->alive()) {
        os << "down";
        continue;
      }
      const NodeStatus st = n->raft->GetStatus();
      os << StateRoleName(st.soft_state.role) << " lead " << st.soft_state.lead << " "
         << DescribeHardState(st.hard_state) << " applied " << n->sm.index << " last "
         << st.last_index << " first " << n->storage.FirstIndex() << " "
         << DescribeConfState(st.conf_state);
      for (const auto& p : st.progress) {
        os << "\n    progress " << p.id << ": match " << p.match << " next " << p.next << " "
           << p.state << (p.recent_active ? " active" : "");
      }
    }
    return os.str();
  }

  bool AllMembersApplied(uint64_t index) {
    Node* l = Leader();
    if (l == nullptr) return false;
    const ConfState cs = l->raft->GetStatus().conf_state;
    std::set<NodeId> members(cs.voters.begin(), cs.voters.end());
    members.insert(cs.learners.begin(), cs.learners.end());
    members.insert(cs.voters_outgoing.begin(), cs.voters_outgoing.end());
    for (NodeId id : members) {
      if (node(id).sm.index.value() < index) return false;
    }
    return true;
  }

  uint64_t seed_;
  SimOptions opt_;
  uint64_t msg_bytes_ = 256;
  int inflight_ = 4;
  SeededRandom rng_;
  SimResult result_;
  uint64_t now_ = 0;
  uint64_t seq_ = 0;
  bool heal_ = false;
  std::vector<std::unique_ptr<Node>> nodes_;
  std::priority_queue<Envelope, std::vector<Envelope>, std::greater<Envelope>> queue_;
  std::set<NodeId> partition_;
  uint64_t partition_until_ = 0;
  uint64_t proposals_ = 0;
  uint64_t read_seq_ = 0;
  uint64_t max_commit_seen_ = 0;

  std::map<uint64_t, NodeId> leaders_;                        // term -> leader
  std::map<std::pair<uint64_t, uint64_t>, NodeId> votes_;     // (node, term) -> persisted vote
  std::map<std::pair<uint64_t, uint64_t>, NodeId> granted_;   // (node, term) -> vote granted
  std::map<std::pair<uint64_t, uint64_t>, EntryId> log_ids_;  // (index, term) -> entry
  std::map<uint64_t, std::pair<Term, uint64_t>> committed_;   // index -> (term, hash)
  std::map<uint64_t, uint64_t> chain_;                        // index -> state hash
  std::map<uint64_t, std::string> conf_at_;                   // index -> membership
  std::map<std::string, uint64_t> reads_;                     // ctx -> commit at request
  std::set<uint64_t> healed_;
};

}  // namespace

SimResult RunSimulation(uint64_t seed, const SimOptions& options) {
  return Simulation(seed, options).Run();
}

SimOptions OptionsForSeed(uint64_t seed) {
  SimOptions o;
  SeededRandom r(seed ^ 0x5eed);
  o.voters = r.Chance(0.5) ? 3 : 5;
  o.lease_reads = r.Chance(0.5);
  return o;
}

std::string ReplayCommand(uint64_t seed, const SimOptions& o) {
  std::ostringstream os;
  os << "raft_sim --seed " << seed << " --voters " << o.voters << " --chaos-steps " << o.chaos_steps
     << (o.lease_reads ? " --lease-reads" : "") << " --verbose";
  return os.str();
}

}  // namespace tessera::raft::sim
