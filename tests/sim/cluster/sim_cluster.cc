#include "tests/sim/cluster/sim_cluster.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>

#include "common/assert.h"
#include "storage/memory_engine.h"

namespace tessera::sim {
namespace {

// Bounds on one simulated instant: events run, and polling rounds until the nodes are quiet.
// Network delays are positive, so an instant's work is finite; these only catch a runaway.
constexpr int kMaxEventsPerInstant = 1'000'000;
constexpr int kMaxPollRounds = 1000;

uint64_t MixSeed(uint64_t a, uint64_t b) {
  uint64_t x = a ^ (b * 0x9e3779b97f4a7c15ULL);
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return (x ^ (x >> 31)) | 1;  // never 0: 0 asks the node for system entropy
}

}  // namespace

std::string ShardPrefix(uint64_t i) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "s%06llu/", static_cast<unsigned long long>(i));
  return buf;
}

SimCluster::SimCluster(const ClusterOptions& opts, uint64_t seed, Trace* trace)
    : opts_(opts),
      seed_(seed),
      trace_(trace),
      net_rng_(MixSeed(seed, 0x4e4554)),
      net_(&events_, &clock_, &net_rng_, trace),
      snap_net_(&events_, &clock_, &net_, MixSeed(seed, 0x534e4150), trace) {
  TESSERA_ASSERT(opts.nodes >= 1 && opts.shards >= 1, "a cluster needs nodes and shards");
  TESSERA_ASSERT(opts.replicas >= 0 && opts.replicas <= opts.nodes, "bad replication factor");
  char tmpl[] = "/tmp/tessera-sim-XXXXXX";
  TESSERA_ASSERT(mkdtemp(tmpl) != nullptr, "mkdtemp");
  data_dir_ = tmpl;
  for (int i = 1; i <= opts.nodes; ++i) ids_.push_back(NodeId(i));
  const int replicas = opts.replicas == 0 ? opts.nodes : opts.replicas;
  for (int s = 1; s <= opts.shards; ++s) {
    ShardDescriptor d;
    d.id = ShardId(s);
    d.start_key = s == 1 ? "" : ShardPrefix(s);
    d.end_key = s == opts.shards ? "" : ShardPrefix(s + 1);
    for (int k = 0; k < replicas; ++k) d.voters.push_back(NodeId((s - 1 + k) % opts.nodes + 1));
    std::sort(d.voters.begin(), d.voters.end());
    shards_.push_back(d);
  }
  slots_.resize(ids_.size());
  for (NodeId id : ids_) {
    auto e = storage::OpenMemoryEngine(storage::MemoryEngineOptions{.track_durable_state = true});
    TESSERA_ASSERT(e.ok(), e.status().ToString().c_str());
    slot(id).engine = std::move(e).value();
    slot(id).data_dir = data_dir_ + "/node" + std::to_string(id.value());
    const Status st = Restart(id);
    TESSERA_ASSERT(st.ok(), st.ToString().c_str());
    for (const ShardDescriptor& d : shards_) {
      if (std::find(d.voters.begin(), d.voters.end(), id) == d.voters.end()) continue;
      const Status b = node(id)->Bootstrap(d);
      TESSERA_ASSERT(b.ok(), b.ToString().c_str());
    }
  }
}

SimCluster::~SimCluster() {
  // Nodes first (their stop answers callbacks that may schedule events), then the engines.
  for (NodeId id : ids_) {
    if (up(id)) {
      net_.Detach(id);
      snap_net_.Detach(id);
      slot(id).node->Stop();
      slot(id).node.reset();
    }
  }
  std::error_code ec;
  std::filesystem::remove_all(data_dir_, ec);
}

std::vector<NodeId> SimCluster::UpNodes() const {
  std::vector<NodeId> out;
  for (NodeId id : ids_) {
    if (up(id)) out.push_back(id);
  }
  return out;
}

Result<std::unique_ptr<Node>> SimCluster::OpenNode(NodeId id) {
  multiraft::NodeOptions o;
  o.node_id = id;
  o.workers = opts_.workers;
  o.apply_threads = opts_.apply_threads;
  o.tick_ms = opts_.tick_ms;
  o.election_ticks = opts_.election_ticks;
  o.heartbeat_ticks = opts_.heartbeat_ticks;
  o.lease_reads = opts_.lease_reads;
  o.write_timeout_ms = opts_.write_timeout_ms;
  o.sync_log = opts_.sync_log;
  o.random_seed = MixSeed(seed_, id.value() << 20 | slot(id).incarnation);
  o.clock = &clock_;
  o.log_gc_interval_ms = opts_.log_gc_interval_ms;
  o.log_gc_threshold = opts_.log_gc_threshold;
  o.hibernate_after_ms = opts_.hibernate_after_ms;
  o.node_heartbeat_interval_ms = opts_.node_heartbeat_interval_ms;
  o.node_dead_after_ms = opts_.node_dead_after_ms;
  o.log_gc_count_limit = opts_.log_gc_count_limit;
  Slot& s = slot(id);
  s.snap_dirs = std::make_unique<multiraft::SnapshotDirs>(s.data_dir);
  TESSERA_RETURN_IF_ERROR(s.snap_dirs->Open());
  return Node::Open(o, engine(id), net_.TransportFor(id),
                    multiraft::SnapshotServices{snap_net_.SenderFor(id), s.snap_dirs.get()});
}

uint64_t SimCluster::Hibernations() const {
  uint64_t n = stats_.hibernations;
  for (NodeId id : UpNodes()) n += node(id)->stats().hibernations;
  return n;
}

void SimCluster::Crash(NodeId id) {
  TESSERA_ASSERT(up(id), "crash of a node that is down");
  net_.Detach(id);
  snap_net_.Detach(id);
  slot(id).node->Stop();
  stats_.hibernations += slot(id).node->stats().hibernations;
  slot(id).node.reset();
  const Status s = storage::CrashLoseUnsynced(engine(id));
  TESSERA_ASSERT(s.ok(), s.ToString().c_str());
  ++stats_.crashes;
  trace_->Note(now(), "node {} crashes (unsynced writes lost)", id.value());
}

Status SimCluster::Restart(NodeId id) {
  TESSERA_ASSERT(!up(id), "restart of a node that is up");
  ++slot(id).incarnation;
  auto n = OpenNode(id);
  if (!n.ok()) return n.status();
  slot(id).node = std::move(n).value();
  net_.Attach(id, slot(id).node.get());
  snap_net_.Attach(id, slot(id).incarnation, slot(id).node.get(), slot(id).snap_dirs.get());
  if (slot(id).incarnation > 1) {
    ++stats_.restarts;
    trace_->Note(now(), "node {} restarts (incarnation {})", id.value(), slot(id).incarnation);
  }
  return Status::OK();
}

void SimCluster::PollUntilQuiet() {
  for (int round = 0; round < kMaxPollRounds; ++round) {
    bool more = false;
    for (NodeId id : ids_) {
      Node* n = node(id);
      if (n == nullptr) continue;
      ++stats_.polls;
      more = n->Poll() || more;
    }
    if (!more) return;
  }
  ++stats_.busy_instants;  // still busy: time moves on anyway, as on a loaded machine
}

void SimCluster::Step(int64_t limit_nanos) {
  ++stats_.steps;
  int n = 0;
  while (events_.RunOne(now())) {
    TESSERA_ASSERT(++n < kMaxEventsPerInstant, "runaway: too many events in one instant");
  }
  PollUntilQuiet();
  int64_t next = limit_nanos;
  if (!events_.empty()) next = std::min(next, events_.next_time());
  for (NodeId id : ids_) {
    if (Node* nd = node(id)) next = std::min(next, nd->NextTickNanos());
  }
  if (next > now()) clock_.Advance(next - now());
}

void SimCluster::RunUntil(int64_t until_nanos) {
  while (now() < until_nanos && !exhausted()) Step(until_nanos);
}

bool SimCluster::RunUntil(const std::function<bool()>& done, int64_t deadline_nanos,
                          int64_t every_nanos) {
  TESSERA_ASSERT(every_nanos > 0, "a condition must be checked at positive intervals");
  while (!done()) {
    if (now() >= deadline_nanos || exhausted()) return false;
    RunUntil(std::min(deadline_nanos, now() + every_nanos));
  }
  return true;
}

}  // namespace tessera::sim
