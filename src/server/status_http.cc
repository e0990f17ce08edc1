#include "server/status_http.h"

#include <httplib.h>
#include <sys/socket.h>

#include <algorithm>
#include <charconv>
#include <map>
#include <nlohmann/json.hpp>

#include "common/assert.h"
#include "common/logging.h"
#include "common/utf8.h"
#include "multiraft/local_state.h"
#include "multiraft/node.h"
#include "server/grpc_transport.h"
#include "server/raft_transport_service.h"
#include "server/snapshot_sender.h"

namespace tessera::server {
namespace {

using Json = nlohmann::ordered_json;  // keys in the order written, as documented

Json NodeIds(const std::vector<NodeId>& ids) {
  Json out = Json::array();
  for (NodeId id : ids) out.push_back(id.value());
  return out;
}

struct HostPort {
  std::string host;
  int port = 0;
};

// "host:port" or "[v6 address]:port"; port in [0, 65535].
Result<HostPort> ParseHostPort(const std::string& addr) {
  const size_t colon = addr.rfind(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == addr.size()) {
    return Status::InvalidArgument("status_addr must be host:port, got '" + addr + "'");
  }
  HostPort hp;
  hp.host = addr.substr(0, colon);
  if (hp.host.size() >= 2 && hp.host.front() == '[' && hp.host.back() == ']') {
    hp.host = hp.host.substr(1, hp.host.size() - 2);
  }
  const char* first = addr.data() + colon + 1;
  const char* last = addr.data() + addr.size();
  const auto [end, ec] = std::from_chars(first, last, hp.port);
  if (ec != std::errc() || end != last || hp.port < 0 || hp.port > 65535 || hp.host.empty()) {
    return Status::InvalidArgument("status_addr must be host:port, got '" + addr + "'");
  }
  return hp;
}

// Replicas (the node's shard ranges) and their workers (multiraft::WorkerStats, summed).
void AddReplicaMetrics(multiraft::Node& node, std::vector<Metric>* out) {
  using T = MetricType;
  const multiraft::Node::Stats n = node.stats();
  const auto shards = static_cast<int64_t>(node.ranges().size());
  // Leaders as each replica's worker sees them (a worker that does not answer within 500 ms is
  // left out).
  int64_t leaders = 0;
  for (const auto& r : node.Report(/*timeout_ms=*/500)) leaders += r.leader ? 1 : 0;
  out->insert(
      out->end(),
      {
          {"tessera_node_shards",
           "Replicas on this node, one per shard (some may await a snapshot).", T::kGauge, shards},
          {"tessera_node_leaders", "Replicas on this node that lead their shard.", T::kGauge,
           leaders},
          {"tessera_node_mailbox_tasks", "Tasks waiting in the workers' mailboxes now.", T::kGauge,
           n.mailbox_tasks},
          {"tessera_node_proposals_total",
           "Raft entries proposed by this node's leaders (writes, admin commands, membership "
           "changes).",
           T::kCounter, n.proposals},
          {"tessera_node_entries_committed_total",
           "Committed Raft entries handed to the state machine, all replicas (empty and admin "
           "entries included).",
           T::kCounter, n.entries_committed},
          {"tessera_node_log_sync_seconds",
           "Duration of synced Raft log writes (the write and its fsync), seconds.", T::kHistogram,
           n.log_sync_seconds},
          {"tessera_node_round_entries", "Raft log entries persisted per synced log write.",
           T::kHistogram, n.round_entries},
          {"tessera_node_replicas_hibernating", "Replicas asleep now (no ticks, no heartbeats).",
           T::kGauge, n.hibernating},
          {"tessera_node_replica_hibernations_total", "Times a replica fell asleep.", T::kCounter,
           n.hibernations},
          {"tessera_node_replica_wakes_total", "Times a sleeping replica woke (or was destroyed).",
           T::kCounter, n.wakes},
          {"tessera_node_worker_rounds_total", "Worker rounds run, all workers.", T::kCounter,
           n.rounds},
          {"tessera_node_log_writes_total", "Raft log store writes (at most one per worker round).",
           T::kCounter, n.log_writes},
          {"tessera_node_log_syncs_total", "Raft log fsyncs (at most one per worker round).",
           T::kCounter, n.log_syncs},
          {"tessera_node_log_entries_persisted_total", "Raft log entries written, all replicas.",
           T::kCounter, n.entries_persisted},
          {"tessera_node_writes_applied_total",
           "Write commands applied, all replicas (empty and admin entries not counted).",
           T::kCounter, n.entries_applied},
          {"tessera_node_raft_messages_sent_total",
           "Raft messages the workers handed to the transport.", T::kCounter, n.messages_sent},
          {"tessera_node_raft_batches_sent_total",
           "Batches of Raft messages the workers handed to the transport (one per destination node "
           "and round).",
           T::kCounter, n.batches_sent},
      });
}

// The gRPC Raft transport: sending side (GrpcTransportMetrics), receiving side
// (RaftTransportServiceMetrics).
void AddTransportMetrics(const GrpcTransport& transport, const RaftTransportService& service,
                         std::vector<Metric>* out) {
  using T = MetricType;
  const GrpcTransportMetrics t = transport.metrics();
  const RaftTransportServiceMetrics r = service.metrics();
  out->insert(
      out->end(),
      {
          {"tessera_node_transport_batches_sent_total", "Raft batches written to a stream.",
           T::kCounter, t.batches_sent},
          {"tessera_node_transport_messages_sent_total", "Shard messages written to a stream.",
           T::kCounter, t.messages_sent},
          {"tessera_node_transport_bytes_sent_total", "Encoded bytes written to Raft streams.",
           T::kCounter, t.bytes_sent},
          {"tessera_node_transport_stream_writes_total",
           "Stream messages written (after coalescing and splitting batches).", T::kCounter,
           t.stream_writes},
          {"tessera_node_transport_batches_dropped_total",
           "Raft batches dropped entirely or in part.", T::kCounter, t.batches_dropped},
          {"tessera_node_transport_messages_dropped_total", "Shard messages dropped.", T::kCounter,
           t.messages_dropped},
          {"tessera_node_transport_connects_total", "Raft streams opened to other nodes.",
           T::kCounter, t.connects},
          {"tessera_node_transport_reconnects_total",
           "Raft streams opened to a node after an earlier one failed.", T::kCounter, t.reconnects},
          {"tessera_node_transport_connect_failures_total", "Failed connection attempts.",
           T::kCounter, t.connect_failures},
          {"tessera_node_transport_unreachable_reports_total",
           "Times the transport reported a node unreachable to the replicas.", T::kCounter,
           t.unreachable_reports},
          {"tessera_node_transport_streams_opened_total",
           "Raft streams other nodes opened to this one.", T::kCounter, r.streams_opened},
          {"tessera_node_transport_streams_active", "Raft streams from other nodes open now.",
           T::kGauge, static_cast<int64_t>(r.streams_active)},
          {"tessera_node_transport_batches_received_total",
           "Stream messages received, decoded and handed to the replicas.", T::kCounter,
           r.batches_received},
          {"tessera_node_transport_messages_received_total", "Shard messages received.",
           T::kCounter, r.messages_received},
          {"tessera_node_transport_bytes_received_total", "Encoded bytes received on Raft streams.",
           T::kCounter, r.bytes_received},
          {"tessera_node_transport_decode_errors_total",
           "Received batches refused as malformed or misaddressed.", T::kCounter, r.decode_errors},
      });
}

// Shard snapshots, sending side (GrpcSnapshotSenderMetrics).
void AddSnapshotMetrics(const GrpcSnapshotSender& sender, std::vector<Metric>* out) {
  using T = MetricType;
  const GrpcSnapshotSenderMetrics snap = sender.metrics();
  out->insert(
      out->end(),
      {
          {"tessera_node_snapshots_sent_total", "Shard snapshots the receiving node accepted.",
           T::kCounter, snap.sent},
          {"tessera_node_snapshot_send_failures_total", "Shard snapshot sends that failed.",
           T::kCounter, snap.failed},
          {"tessera_node_snapshot_bytes_sent_total", "Snapshot file bytes written to streams.",
           T::kCounter, snap.bytes_sent},
          {"tessera_node_snapshot_rate_waits_total",
           "Snapshot chunks held back by the send rate limit.", T::kCounter, snap.rate_waits},
          {"tessera_node_snapshot_rate_wait_seconds_total",
           "Time snapshot chunks were held back by the send rate limit.", T::kCounter,
           static_cast<double>(snap.rate_wait_nanos) / 1e9},
      });
}

}  // namespace

std::vector<Metric> NodeMetrics(const StatusSources& s) {
  std::vector<Metric> out;
  AddReplicaMetrics(*s.node, &out);
  AddTransportMetrics(*s.transport, *s.raft_service, &out);
  AddSnapshotMetrics(*s.snapshot_sender, &out);
  for (const RequestMetrics* r : s.requests) r->AppendTo(&out);
  if (s.extra) s.extra(&out);
  return out;
}

Result<std::string> NodeStatusJson(const StatusSources& s) {
  multiraft::Node& node = *s.node;
  std::vector<multiraft::ShardDescriptor> descs = node.Shards();  // by shard id
  std::sort(descs.begin(), descs.end(),
            [](const auto& a, const auto& b) { return a.start_key < b.start_key; });
  // Roles as each replica's worker sees them (a worker that does not answer within 500 ms is left
  // out: its replicas show a null role).
  std::map<ShardId, multiraft::ReplicaReport> reports;
  for (auto& r : node.Report(/*timeout_ms=*/500)) reports.emplace(r.desc.id, std::move(r));
  Json shards = Json::array();
  for (const multiraft::ShardDescriptor& d : descs) {
    // The applied index as persisted, atomically with the applied data (local_state.h).
    auto raw = node.engine()->Get(storage::Cf::kMeta, multiraft::ApplyStateKey(d.id));
    if (!raw.ok() && raw.status().Is(Status::Code::kNotFound)) continue;  // destroyed meanwhile
    if (!raw.ok()) return raw.status();
    auto apply = multiraft::DecodeApplyState(*raw);
    if (!apply.ok()) return apply.status();
    Json j = {
        {"id", d.id.value()},
        {"start_key", EscapeKey(d.start_key)},
        {"end_key", EscapeKey(d.end_key)},
        {"epoch", {{"conf_version", d.epoch.conf_version}, {"version", d.epoch.version}}},
        {"voters", NodeIds(d.voters)},
        {"learners", NodeIds(d.learners)},
        {"role", nullptr},
        {"applied_index", apply->applied_index.value()},
    };
    if (auto r = reports.find(d.id); r != reports.end()) {
      const auto& rep = r->second;
      const bool learner = std::find(rep.desc.learners.begin(), rep.desc.learners.end(),
                                     node.id()) != rep.desc.learners.end();
      j["role"] = rep.leader ? "leader" : learner ? "learner" : "follower";
      // The leader this replica knows (null: none, e.g. during an election).
      j["leader"] = rep.leader_id ? Json(rep.leader_id.value()) : Json(nullptr);
    }
    if (apply->merge) {
      // Prepared to merge into its neighbour: frozen until the merge commits or rolls back.
      j["merging_into"] = apply->merge->target.value();
    }
    // The persisted log: its term is current (a new term is always synced before it is used);
    // its commit index is not reported, since a hard state that only advances the commit index
    // is not written (the persisted one can lag behind the applied index).
    if (auto log = node.log_store()->State(d.id); log.ok()) {
      j["term"] = log->hard_state.term.value();
      j["last_index"] = log->last_index.value();
    }
    shards.push_back(std::move(j));
  }
  const size_t shard_count = shards.size();
  const Json status = {
      {"node_id", node.id().value()}, {"address", s.address},
      {"shard_count", shard_count},   {"hibernating", node.stats().hibernating},
      {"shards", std::move(shards)},
  };
  // Every string is ASCII (EscapeKey, common/utf8.h) or ours; `replace` keeps dump from ever
  // throwing.
  return status.dump(2, ' ', false, Json::error_handler_t::replace) + "\n";
}

StatusHttpServer::StatusHttpServer(StatusSources sources)
    : sources_(std::move(sources)), http_(std::make_unique<httplib::Server>()) {}

Result<std::unique_ptr<StatusHttpServer>> StatusHttpServer::Start(const std::string& addr,
                                                                  StatusSources sources) {
  TESSERA_ASSERT(
      sources.node && sources.transport && sources.raft_service && sources.snapshot_sender,
      "StatusSources must be complete");
  TESSERA_ASSIGN_OR_RETURN(const HostPort hp, ParseHostPort(addr));
  std::unique_ptr<StatusHttpServer> s(new StatusHttpServer(std::move(sources)));
  StatusHttpServer* self = s.get();
  httplib::Server& http = *s->http_;
  // A status page is small and scraped seldom: one request per connection (so that an idle
  // connection never holds a thread, nor Stop, for long) on a small pool.
  http.set_keep_alive_max_count(1);
  http.set_keep_alive_timeout(kIdleTimeoutSec);
  http.set_read_timeout(kIoTimeoutSec);
  http.set_write_timeout(kIoTimeoutSec);
  // SO_REUSEADDR only (a restarted node gets its port back at once). httplib's default adds
  // SO_REUSEPORT, with which a second process could bind the same port and take half the
  // requests: a port in use must be an error instead.
  http.set_socket_options([](int sock) {
    const int yes = 1;
    ::setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
  });
  // httplib makes the pool once the accept loop runs, after which its stop() takes effect (a
  // stop() before that would be lost and the loop would never end): that is the moment Start
  // waits for.
  http.new_task_queue = [self] {
    {
      std::lock_guard lk(self->mu_);
      self->listening_ = true;
    }
    self->cv_.notify_all();
    return new httplib::ThreadPool(kThreads);  // httplib takes ownership
  };
  s->Route();
  s->port_ = hp.port == 0 ? http.bind_to_any_port(hp.host)
                          : (http.bind_to_port(hp.host, hp.port) ? hp.port : -1);
  if (s->port_ <= 0) return Status::IOError("status_addr: cannot listen on " + addr);
  s->thread_ = std::thread([self] {
    self->http_->listen_after_bind();
    {
      std::lock_guard lk(self->mu_);
      self->exited_ = true;
    }
    self->cv_.notify_all();
  });
  bool listening = false;
  {
    // Not a timed wait: the thread either reaches the accept loop or returns, at once.
    std::unique_lock lk(s->mu_);
    s->cv_.wait(lk, [&] { return s->listening_ || s->exited_; });
    listening = !s->exited_;
  }
  if (!listening) return Status::IOError("status_addr: cannot serve on " + addr);
  return s;
}

void StatusHttpServer::Route() {
  http_->Get("/metrics", [this](const httplib::Request&, httplib::Response& res) {
    res.set_content(RenderMetrics(NodeMetrics(sources_)),
                    "text/plain; version=0.0.4; charset=utf-8");
  });
  http_->Get("/healthz", [this](const httplib::Request&, httplib::Response& res) {
    if (serving_.load(std::memory_order_relaxed)) {
      res.set_content("ok", "text/plain");
    } else {
      res.status = 503;
      res.set_content("shutting down", "text/plain");
    }
  });
  http_->Get("/status", [this](const httplib::Request&, httplib::Response& res) {
    auto body = NodeStatusJson(sources_);
    if (body.ok()) {
      res.set_content(*body, "application/json");
    } else {
      res.status = 500;
      res.set_content(body.status().ToString(), "text/plain");
    }
  });
  http_->Get("/", [](const httplib::Request&, httplib::Response& res) {
    res.set_content(
        "/metrics  Prometheus metrics\n/healthz  200 ok while serving\n"
        "/status   node and shards, JSON\n",
        "text/plain");
  });
}

void StatusHttpServer::Stop() {
  {
    std::lock_guard lk(mu_);
    if (stopped_) return;
    stopped_ = true;
  }
  if (thread_.joinable()) {
    // Closes the listening socket; the accept loop then ends, after the requests in flight.
    http_->stop();
    thread_.join();
  }
}

StatusHttpServer::~StatusHttpServer() { Stop(); }

}  // namespace tessera::server
