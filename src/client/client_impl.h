// ClientImpl: the implementation behind include/tessera/client.h.
//
// Every operation goes through Routed(): find the shard for a key (RouteCache, else PD), pick the
// node (the leader for writes and strong reads, any replica for follower and stale reads), send
// one attempt with a deadline, and decide from the answer: done, retry at once (a fresher route
// or leader is known), retry after a backoff, or give up. Multi-shard calls (client_multi.cc)
// split their keys by shard and call Routed() per part.
//
// Thread safety: every member is safe for concurrent use (RouteCache and PdClient lock
// themselves; `mu_` guards the node addresses and stubs).
#pragma once

#include <grpcpp/grpcpp.h>

#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "client/local_kv.h"
#include "client/route_cache.h"
#include "pd/pd_client.h"
#include "proto/kv.grpc.pb.h"
#include "tessera/client.h"

namespace tessera::client {

using Clock = std::chrono::steady_clock;

// The header naming the route's shard and epoch.
void FillHeader(const Route& route, v1::RequestHeader* header);

// InvalidArgument unless start < end (end empty: the end of the key space).
Status CheckRange(std::string_view start, std::string_view end);
// The smaller of two range ends, where "" is the end of the key space.
std::string MinEnd(std::string_view a, std::string_view b);

// Which replica an attempt goes to.
enum class Target { kLeader, kAnyReplica };

// The bookkeeping of one call across its attempts.
struct CallState {
  Clock::time_point deadline;
  std::chrono::milliseconds backoff{0};
  bool sent = false;           // some attempt reached (or may have reached) a node
  bool maybe_applied = false;  // a write attempt's outcome is unknown
  std::string last_error;
  uint64_t attempt = 0;
  // A node's suggested wait (ServerIsBusy.retry_after_ms), honoured by the next backoff.
  std::chrono::milliseconds backoff_hint{0};
  // Set by Routed() instead of sending when the request's keys no longer fit one shard (a split
  // or merge moved the boundary): the caller splits them again.
  bool regroup = false;
};

class ClientImpl final : public Client {
 public:
  // `local` (may be null; not owned) serves the attempts addressed to its node in-process.
  explicit ClientImpl(const ClientOptions& options, LocalKv* local = nullptr);

  Status Get(std::string_view key, std::optional<std::string>* value,
             const ReadOptions& options) override;
  Status BatchGet(const std::vector<std::string>& keys,
                  std::vector<std::optional<std::string>>* values,
                  const ReadOptions& options) override;
  Status Scan(std::string_view start, std::string_view end, std::vector<KeyValue>* out,
              const ScanOptions& options, uint64_t* revision) override;
  Status ReverseScan(std::string_view start, std::string_view end, std::vector<KeyValue>* out,
                     const ScanOptions& options, uint64_t* revision) override;
  Status Put(std::string_view key, std::string_view value, const WriteOptions& options) override;
  Status BatchPut(const std::vector<KeyValue>& pairs, const WriteOptions& options) override;
  Status Delete(std::string_view key, const WriteOptions& options) override;
  Status DeleteRange(std::string_view start, std::string_view end, const WriteOptions& options,
                     DeleteRangeResult* result) override;
  Status CompareAndSwap(std::string_view key, const std::optional<std::string>& expected,
                        const std::optional<std::string>& desired, CasResult* result,
                        const WriteOptions& options) override;
  Status Atomic(const std::vector<AtomicOp>& ops, AtomicResult* result,
                const WriteOptions& options) override;

  // How an attempt is described to Routed().
  struct Call {
    std::string_view key;  // the key whose shard serves the call
    bool before = false;   // route by the keys just below `key` (reverse scans; "" = the end)
    Target target = Target::kLeader;
    bool write = false;
    bool idempotent = true;  // false: never retried once its outcome is unknown
  };
  // One attempt of a call, type-erased: `build` fills the request for a route (header included)
  // and returns false when the request's keys no longer fit it (the caller splits them again);
  // `send` sends it over gRPC, `send_local` in-process (DEADLINE_EXCEEDED when no answer came
  // by the deadline); `error` is the answer's error (unset kind: success).
  struct Attempt {
    std::function<bool(const Route&)> build;
    std::function<grpc::Status(v1::Kv::Stub*, grpc::ClientContext*)> send;
    std::function<grpc::Status(LocalKv*, Clock::time_point)> send_local;
    std::function<const v1::Error&()> error;
  };
  // An in-process attempt's own copy of the request and the response: the node may answer
  // after the caller gave up waiting.
  template <typename Req, typename Resp>
  struct LocalCall {
    Req req;
    Resp resp;
    std::mutex mu;
    std::condition_variable cv;
    bool done = false;  // guarded by mu
  };
  // Makes an Attempt for a request and method: `fill` builds the request for a route.
  template <typename Req, typename Resp>
  static Attempt MakeAttempt(Req* req, Resp* resp,
                             grpc::Status (v1::Kv::Stub::*method)(grpc::ClientContext*, const Req&,
                                                                  Resp*),
                             std::function<bool(const Route&, Req*)> fill) {
    return Attempt{[req, fill = std::move(fill)](const Route& r) {
                     FillHeader(r, req->mutable_header());
                     return fill(r, req);
                   },
                   [req, resp, method](v1::Kv::Stub* stub, grpc::ClientContext* ctx) {
                     resp->Clear();
                     return (stub->*method)(ctx, *req, resp);
                   },
                   [req, resp](LocalKv* local, Clock::time_point deadline) {
                     resp->Clear();
                     auto call = std::make_shared<LocalCall<Req, Resp>>();
                     call->req = *req;
                     local->Serve(&call->req, &call->resp, [call] {
                       std::lock_guard lock(call->mu);
                       call->done = true;
                       call->cv.notify_one();
                     });
                     std::unique_lock lock(call->mu);
                     if (!call->cv.wait_until(lock, deadline, [&] { return call->done; })) {
                       return grpc::Status(grpc::StatusCode::DEADLINE_EXCEEDED,
                                           "no answer from the local node in time");
                     }
                     resp->Swap(&call->resp);
                     return grpc::Status::OK;
                   },
                   [resp]() -> const v1::Error& { return resp->error(); }};
  }

  // Sends the call until it succeeds or fails for good. On success the attempt's response holds
  // the answer and *used the route it went to, unless st->regroup was set (nothing was sent).
  Status Routed(const Call& call, CallState* st, const Attempt& attempt, Route* used);

  CallState Start(std::chrono::milliseconds timeout) const;
  // The status a call ends with when its deadline passes.
  static Status Expired(const CallState& st, bool write);
  const ClientOptions& options() const { return opts_; }

 private:
  enum class Verdict { kDone, kRetryNow, kBackoff, kFail };

  // The route for a call's key: cached, else from PD. Unavailable when PD has none now.
  Status FindRoute(const Call& call, CallState* st, Route* route);
  // Scan and ReverseScan: pages through the shards in key order (reverse: descending).
  Status ScanPages(std::string_view start, std::string_view end, bool reverse,
                   std::vector<KeyValue>* out, const ScanOptions& options, uint64_t* revision);
  // FindRoute, retried with backoff until the call's deadline.
  Status FindRouteWithin(const Call& call, CallState* st, Route* route);
  // The node to try on this attempt, and its address ("" when unknown).
  NodeId PickNode(const Route& route, Target target, uint64_t attempt) const;
  std::string AddressOf(NodeId node);
  v1::Kv::Stub* StubFor(const std::string& address);
  // Sleeps for the next backoff (capped by the deadline); false when the deadline has passed.
  bool Backoff(CallState* st);
  // What to do after a node answered with `error`.
  Verdict OnError(const v1::Error& error, const Call& call, const Route& route, NodeId node,
                  CallState* st, Status* fail);
  Verdict OnTransportError(const grpc::Status& s, const Call& call, const Route& route, NodeId node,
                           CallState* st, Status* fail);

  const ClientOptions opts_;
  LocalKv* const local_;
  pd::PdClient pd_;
  RouteCache routes_;
  std::mutex mu_;
  std::map<NodeId, std::string> addresses_;
  std::map<std::string, std::unique_ptr<v1::Kv::Stub>> stubs_;
  Clock::time_point nodes_fetched_{};
};

void SetReadOptions(const ReadOptions& in, v1::ReadOptions* out);

}  // namespace tessera::client
