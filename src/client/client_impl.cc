#include "client/client_impl.h"

#include <algorithm>
#include <random>
#include <thread>

#include "server/raft_codec.h"

namespace tessera::client {
namespace {

using std::chrono::milliseconds;

const char* CodeName(Code c) {
  switch (c) {
    case Code::kOk:
      return "OK";
    case Code::kInvalidArgument:
      return "InvalidArgument";
    case Code::kTimeout:
      return "Timeout (outcome unknown)";
    case Code::kUnavailable:
      return "Unavailable";
    case Code::kInternal:
      return "Internal";
    case Code::kFailedPrecondition:
      return "FailedPrecondition";
  }
  return "Unknown";
}

// Immediate retries (a fresher route or leader is known) before a call starts backing off, so
// that two nodes pointing at each other cannot spin.
constexpr uint64_t kMaxImmediateRetries = 4;

std::optional<Route> RouteFromDescriptor(const v1::ShardDescriptor& wire, NodeId leader) {
  auto desc = server::DecodeShardDescriptor(wire);
  if (!desc.ok()) return std::nullopt;
  return Route{std::move(desc).value(), leader};
}

}  // namespace

std::string Status::ToString() const {
  if (ok()) return "OK";
  return message_.empty() ? CodeName(code_) : std::string(CodeName(code_)) + ": " + message_;
}

namespace {

Status ValidateOptions(const ClientOptions& options) {
  if (options.pd_endpoints.empty()) {
    return Status(Code::kInvalidArgument, "client: at least one PD endpoint is required");
  }
  for (const auto& ep : options.pd_endpoints) {
    if (ep.empty() || ep.find(':') == std::string::npos) {
      return Status(Code::kInvalidArgument, "client: PD endpoint '" + ep + "' is not host:port");
    }
  }
  if (options.timeout.count() <= 0 || options.attempt_timeout.count() <= 0) {
    return Status(Code::kInvalidArgument, "client: timeouts must be positive");
  }
  if (options.backoff_initial.count() <= 0 || options.backoff_max < options.backoff_initial) {
    return Status(Code::kInvalidArgument, "client: need 0 < backoff_initial <= backoff_max");
  }
  if (options.max_parallel == 0) {
    return Status(Code::kInvalidArgument, "client: max_parallel must be at least 1");
  }
  return Status::OK();
}

}  // namespace

Status Client::Connect(const ClientOptions& options, std::unique_ptr<Client>* client) {
  return NewClientWithLocal(options, nullptr, client);
}

Status NewClientWithLocal(const ClientOptions& options, LocalKv* local,
                          std::unique_ptr<Client>* client) {
  if (Status s = ValidateOptions(options); !s.ok()) return s;
  *client = std::make_unique<ClientImpl>(options, local);
  return Status::OK();
}

void FillHeader(const Route& route, v1::RequestHeader* header) {
  header->set_shard_id(route.desc.id.value());
  header->mutable_epoch()->set_conf_version(route.desc.epoch.conf_version);
  header->mutable_epoch()->set_version(route.desc.epoch.version);
}

void SetReadOptions(const ReadOptions& in, v1::ReadOptions* out) {
  switch (in.consistency) {
    case Consistency::kStrong:
      out->set_consistency(v1::READ_CONSISTENCY_STRONG);
      break;
    case Consistency::kFollower:
      out->set_consistency(v1::READ_CONSISTENCY_FOLLOWER);
      break;
    case Consistency::kStale:
      out->set_consistency(v1::READ_CONSISTENCY_STALE);
      out->set_max_staleness_ms(std::max<int64_t>(1, in.max_staleness.count()));
      break;
  }
}

ClientImpl::ClientImpl(const ClientOptions& options, LocalKv* local)
    : opts_(options),
      local_(local),
      pd_(pd::PdClientOptions{options.pd_endpoints,
                              static_cast<int>(options.attempt_timeout.count()),
                              static_cast<int>(options.attempt_timeout.count()), 0}) {}

CallState ClientImpl::Start(milliseconds timeout) const {
  CallState st;
  st.deadline = Clock::now() + (timeout.count() > 0 ? timeout : opts_.timeout);
  st.backoff = opts_.backoff_initial;
  return st;
}

Status ClientImpl::Expired(const CallState& st, bool write) {
  if (write && st.maybe_applied) {
    return Status(Code::kTimeout, "deadline passed; the write may have applied (last error: " +
                                      st.last_error + ")");
  }
  if (st.sent && !write) return Status(Code::kTimeout, "deadline passed: " + st.last_error);
  return Status(Code::kUnavailable, "deadline passed: " + st.last_error);
}

bool ClientImpl::Backoff(CallState* st) {
  const auto now = Clock::now();
  if (now >= st->deadline) return false;
  thread_local std::mt19937_64 rng{std::random_device{}()};
  auto wait = std::max(st->backoff, st->backoff_hint);
  st->backoff_hint = milliseconds(0);
  // Jitter: between half and all of the backoff, so that many clients do not retry in step.
  wait = milliseconds(wait.count() / 2 +
                      static_cast<int64_t>(rng() % static_cast<uint64_t>(wait.count() / 2 + 1)));
  const auto until = std::min(st->deadline, now + wait);
  std::this_thread::sleep_until(until);
  st->backoff = std::min(opts_.backoff_max, st->backoff * 2);
  return Clock::now() < st->deadline;
}

Status ClientImpl::FindRoute(const Call& call, CallState* st, Route* route) {
  auto cached = call.before ? routes_.LookupBefore(call.key) : routes_.Lookup(call.key);
  if (cached) {
    *route = *cached;
    return Status::OK();
  }
  // Ask PD: forward lookups fetch the shard and a few after it (scans and batches walk on).
  Result<std::vector<pd::ShardInfo>> shards = call.before
                                                  ? pd_.ScanShards("", std::string(call.key), 0)
                                                  : pd_.ScanShards(std::string(call.key), "", 8);
  if (!shards.ok()) {
    st->last_error = "PD: " + shards.status().ToString();
    return Status(Code::kUnavailable, st->last_error);
  }
  for (const auto& s : shards.value()) routes_.Insert(Route{s.desc, s.leader});
  cached = call.before ? routes_.LookupBefore(call.key) : routes_.Lookup(call.key);
  if (!cached) {
    // PD's map has a hole here for a moment (a split's new half not reported yet).
    st->last_error = "PD knows no shard for the key yet";
    return Status(Code::kUnavailable, st->last_error);
  }
  *route = *cached;
  return Status::OK();
}

NodeId ClientImpl::PickNode(const Route& route, Target target, uint64_t attempt) const {
  const auto& voters = route.desc.voters;
  if (target == Target::kLeader) {
    if (route.leader) return route.leader;
    if (voters.empty()) return NodeId();
    return voters[attempt % voters.size()];
  }
  std::vector<NodeId> all = voters;
  all.insert(all.end(), route.desc.learners.begin(), route.desc.learners.end());
  if (all.empty()) return NodeId();
  // A client inside a node reads from that node's own replica first: no hop at all for stale
  // reads, and for follower reads only the read index crosses the network, in Raft's batches.
  if (local_ != nullptr && attempt == 0 &&
      std::find(all.begin(), all.end(), local_->node_id()) != all.end()) {
    return local_->node_id();
  }
  // Spread follower and stale reads: start from a per-thread random replica, move on per attempt.
  thread_local uint64_t offset = std::random_device{}();
  return all[(offset + attempt) % all.size()];
}

std::string ClientImpl::AddressOf(NodeId node) {
  {
    std::lock_guard lock(mu_);
    auto it = addresses_.find(node);
    if (it != addresses_.end()) return it->second;
    // Ask PD at most every 100 ms (a node PD does not know yet stays unknown that long).
    if (Clock::now() - nodes_fetched_ < milliseconds(100)) return "";
    nodes_fetched_ = Clock::now();
  }
  auto nodes = pd_.GetNodes();
  if (!nodes.ok()) return "";
  std::lock_guard lock(mu_);
  for (const auto& n : nodes.value()) addresses_[n.info.id] = n.info.address;
  auto it = addresses_.find(node);
  return it == addresses_.end() ? "" : it->second;
}

v1::Kv::Stub* ClientImpl::StubFor(const std::string& address) {
  std::lock_guard lock(mu_);
  auto& stub = stubs_[address];
  if (!stub) {
    grpc::ChannelArguments args;
    args.SetMaxReceiveMessageSize(64 << 20);
    args.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, 100);
    args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, 1000);
    stub = v1::Kv::NewStub(
        grpc::CreateCustomChannel(address, grpc::InsecureChannelCredentials(), args));
  }
  return stub.get();
}

Status ClientImpl::Routed(const Call& call, CallState* st, const Attempt& attempt, Route* used) {
  uint64_t immediate = 0;
  while (true) {
    if (Clock::now() >= st->deadline) return Expired(*st, call.write);
    Route route;
    if (!FindRoute(call, st, &route).ok()) {
      if (!Backoff(st)) return Expired(*st, call.write);
      continue;
    }
    if (!attempt.build(route)) {
      st->regroup = true;
      return Status::OK();
    }
    const NodeId node = PickNode(route, call.target, st->attempt++);
    const bool local = local_ != nullptr && node && node == local_->node_id();
    const std::string address = node && !local ? AddressOf(node) : "";
    if (!local && address.empty()) {
      st->last_error = "no address for node " + std::to_string(node.value());
      routes_.SetLeader(route.desc.id, NodeId());
      if (!Backoff(st)) return Expired(*st, call.write);
      continue;
    }
    const auto attempt_deadline = std::min(st->deadline, Clock::now() + opts_.attempt_timeout);
    grpc::Status s;
    if (local) {
      s = attempt.send_local(local_, attempt_deadline);
    } else {
      grpc::ClientContext ctx;
      ctx.set_deadline(std::chrono::system_clock::now() +
                       std::chrono::duration_cast<std::chrono::system_clock::duration>(
                           attempt_deadline - Clock::now()));
      s = attempt.send(StubFor(address), &ctx);
    }
    Status fail;
    Verdict v;
    if (!s.ok()) {
      v = OnTransportError(s, call, route, node, st, &fail);
    } else if (attempt.error().kind_case() == v1::Error::KIND_NOT_SET) {
      *used = route;
      if (call.target == Target::kLeader && route.leader != node) {
        routes_.SetLeader(route.desc.id, node);
      }
      return Status::OK();
    } else {
      v = OnError(attempt.error(), call, route, node, st, &fail);
    }
    switch (v) {
      case Verdict::kDone:
        return Status::OK();
      case Verdict::kFail:
        return fail;
      case Verdict::kRetryNow:
        if (++immediate <= kMaxImmediateRetries) continue;
        [[fallthrough]];
      case Verdict::kBackoff:
        immediate = 0;
        if (!Backoff(st)) return Expired(*st, call.write);
        continue;
    }
  }
}

ClientImpl::Verdict ClientImpl::OnTransportError(const grpc::Status& s, const Call& call,
                                                 const Route& route, NodeId node, CallState* st,
                                                 Status* fail) {
  st->last_error = "node " + std::to_string(node.value()) + ": " + s.error_message();
  // The request may have reached the node before the connection failed or the deadline passed.
  st->sent = true;
  if (call.write) st->maybe_applied = true;
  if (call.write && !call.idempotent) {
    *fail = Status(Code::kTimeout, "no answer from node " + std::to_string(node.value()) +
                                       "; the outcome is unknown: " + s.error_message());
    return Verdict::kFail;
  }
  // Unreachable or slow: forget it as leader and try the other replicas.
  if (route.leader == node) routes_.SetLeader(route.desc.id, NodeId());
  return s.error_code() == grpc::StatusCode::UNAVAILABLE ? Verdict::kBackoff : Verdict::kRetryNow;
}

ClientImpl::Verdict ClientImpl::OnError(const v1::Error& e, const Call& call, const Route& route,
                                        NodeId node, CallState* st, Status* fail) {
  st->sent = true;
  st->last_error = "node " + std::to_string(node.value()) + ": " + e.message();
  switch (e.kind_case()) {
    case v1::Error::kNotLeader: {
      const NodeId hint(e.not_leader().leader_node_id());
      if (hint && !e.not_leader().leader_address().empty()) {
        std::lock_guard lock(mu_);
        addresses_[hint] = e.not_leader().leader_address();
      }
      routes_.SetLeader(route.desc.id, hint);
      // A hint elsewhere is worth an immediate retry; no hint (an election) is worth a wait.
      return hint && hint != node ? Verdict::kRetryNow : Verdict::kBackoff;
    }
    case v1::Error::kEpochNotMatch: {
      bool learned = false;
      for (const auto& d : e.epoch_not_match().current_shards()) {
        if (auto r = RouteFromDescriptor(d, NodeId())) {
          // The node that answered leads the shards it split into, most likely.
          if (std::binary_search(r->desc.voters.begin(), r->desc.voters.end(), node)) {
            r->leader = node;
          }
          routes_.Insert(*r);
          learned = true;
        }
      }
      if (!learned) routes_.Invalidate(route.desc.id);
      return learned ? Verdict::kRetryNow : Verdict::kBackoff;
    }
    case v1::Error::kKeyNotInShard:
    case v1::Error::kShardNotFound:
      routes_.Invalidate(route.desc.id);
      return Verdict::kRetryNow;
    case v1::Error::kServerIsBusy:
      st->backoff_hint = milliseconds(e.server_is_busy().retry_after_ms());
      return Verdict::kBackoff;
    case v1::Error::kProposalDropped:
      return Verdict::kBackoff;
    case v1::Error::kTimeout:
      if (call.write) st->maybe_applied = true;
      if (call.write && !call.idempotent) {
        *fail = Status(Code::kTimeout, "node " + std::to_string(node.value()) +
                                           " timed out; the outcome is unknown");
        return Verdict::kFail;
      }
      return Verdict::kBackoff;
    case v1::Error::kInvalidArgument:
      *fail = Status(Code::kInvalidArgument, e.invalid_argument().message());
      return Verdict::kFail;
    default:
      if (call.write) st->maybe_applied = true;
      *fail = Status(
          call.write ? Code::kTimeout : Code::kInternal,
          "node " + std::to_string(node.value()) + " answered an unknown error: " + e.message());
      return Verdict::kFail;
  }
}

}  // namespace tessera::client
