// The gRPC services of the etcd front door: etcdserverpb.KV (Range, Put, DeleteRange, Txn) and
// etcdserverpb.Maintenance (Status), on gRPC's synchronous API: each call runs on a thread of the
// server's pool and blocks on the Backend (server.h bounds the pool).
//
// Every response carries a ResponseHeader: cluster_id and member_id as the Backend's GetStatus
// reported them when the services were built, the revision of the call, and the Raft term last
// seen (refreshed by every Maintenance.Status call).
//
// Ownership: both services borrow the Backend and the MemberIdentity, which must outlive them.
// Thread safety: every method may be called concurrently.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "etcd/backend.h"
#include "etcd/txn.h"
#include "proto/etcd/rpc.grpc.pb.h"

namespace tessera::etcd {

// Who answers: the header fields that do not depend on the call.
class MemberIdentity {
 public:
  explicit MemberIdentity(const MemberStatus& status)
      : cluster_id_(status.cluster_id),
        member_id_(status.member_id),
        raft_term_(status.raft_term) {}

  // Fills every field of `header` but the revision.
  void Fill(etcdserverpb::ResponseHeader* header) const;
  void set_raft_term(uint64_t term) { raft_term_.store(term, std::memory_order_relaxed); }

 private:
  const uint64_t cluster_id_;
  const uint64_t member_id_;
  std::atomic<uint64_t> raft_term_;
};

// Told of every call once it is answered: its method ("range", "put", "delete_range", "txn",
// "status"), how long it took and whether it failed. Called on the serving thread.
using CallObserver =
    std::function<void(std::string_view method, std::chrono::nanoseconds latency, bool error)>;
// The methods a CallObserver is told of.
std::vector<std::string> CallNames();

class KvService final : public etcdserverpb::KV::Service {
 public:
  KvService(Backend* backend, const MemberIdentity* identity, TxnOptions txn_options,
            CallObserver observer = {})
      : backend_(backend),
        identity_(identity),
        txn_options_(txn_options),
        observer_(std::move(observer)) {}

  grpc::Status Range(grpc::ServerContext* context, const etcdserverpb::RangeRequest* request,
                     etcdserverpb::RangeResponse* response) override;
  grpc::Status Put(grpc::ServerContext* context, const etcdserverpb::PutRequest* request,
                   etcdserverpb::PutResponse* response) override;
  grpc::Status DeleteRange(grpc::ServerContext* context,
                           const etcdserverpb::DeleteRangeRequest* request,
                           etcdserverpb::DeleteRangeResponse* response) override;
  grpc::Status Txn(grpc::ServerContext* context, const etcdserverpb::TxnRequest* request,
                   etcdserverpb::TxnResponse* response) override;

 private:
  Backend* const backend_;
  const MemberIdentity* const identity_;
  const TxnOptions txn_options_;
  const CallObserver observer_;
};

class MaintenanceService final : public etcdserverpb::Maintenance::Service {
 public:
  MaintenanceService(Backend* backend, MemberIdentity* identity, CallObserver observer = {})
      : backend_(backend), identity_(identity), observer_(std::move(observer)) {}

  // version, dbSize (and dbSizeInUse), leader, raftIndex, raftTerm, raftAppliedIndex from
  // Backend::GetStatus; the header's revision is the status's.
  grpc::Status Status(grpc::ServerContext* context, const etcdserverpb::StatusRequest* request,
                      etcdserverpb::StatusResponse* response) override;

 private:
  Backend* const backend_;
  MemberIdentity* const identity_;
  const CallObserver observer_;
};

}  // namespace tessera::etcd
