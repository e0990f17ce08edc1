#include "etcd/service.h"

#include "etcd/errors.h"
#include "etcd/kv.h"

namespace tessera::etcd {
namespace {

// The gRPC answer to a call that produced `st`; a successful response gets the identity's header
// fields (its revision was set by the call).
template <typename Response>
grpc::Status Answer(const tessera::Status& st, const MemberIdentity& identity, Response* response) {
  if (!st.ok()) {
    response->Clear();
    return ToGrpc(st);
  }
  identity.Fill(response->mutable_header());
  return grpc::Status::OK;
}

// `st`, after telling the observer (if any) how the call went.
grpc::Status Observed(const CallObserver& observer, std::string_view method,
                      std::chrono::steady_clock::time_point start, grpc::Status st) {
  if (observer) observer(method, std::chrono::steady_clock::now() - start, !st.ok());
  return st;
}

}  // namespace

std::vector<std::string> CallNames() { return {"range", "put", "delete_range", "txn", "status"}; }

void MemberIdentity::Fill(etcdserverpb::ResponseHeader* header) const {
  header->set_cluster_id(cluster_id_);
  header->set_member_id(member_id_);
  header->set_raft_term(raft_term_.load(std::memory_order_relaxed));
}

grpc::Status KvService::Range(grpc::ServerContext*, const etcdserverpb::RangeRequest* request,
                              etcdserverpb::RangeResponse* response) {
  const auto start = std::chrono::steady_clock::now();
  return Observed(observer_, "range", start,
                  Answer(RunRange(backend_, *request, response), *identity_, response));
}

grpc::Status KvService::Put(grpc::ServerContext*, const etcdserverpb::PutRequest* request,
                            etcdserverpb::PutResponse* response) {
  const auto start = std::chrono::steady_clock::now();
  return Observed(observer_, "put", start,
                  Answer(RunPut(backend_, txn_options_, *request, response), *identity_, response));
}

grpc::Status KvService::DeleteRange(grpc::ServerContext*,
                                    const etcdserverpb::DeleteRangeRequest* request,
                                    etcdserverpb::DeleteRangeResponse* response) {
  const auto start = std::chrono::steady_clock::now();
  return Observed(observer_, "delete_range", start,
                  Answer(RunDeleteRange(backend_, *request, response), *identity_, response));
}

grpc::Status KvService::Txn(grpc::ServerContext*, const etcdserverpb::TxnRequest* request,
                            etcdserverpb::TxnResponse* response) {
  const auto start = std::chrono::steady_clock::now();
  return Observed(observer_, "txn", start,
                  Answer(RunTxn(backend_, txn_options_, *request, response), *identity_, response));
}

grpc::Status MaintenanceService::Status(grpc::ServerContext*, const etcdserverpb::StatusRequest*,
                                        etcdserverpb::StatusResponse* response) {
  const auto start = std::chrono::steady_clock::now();
  MemberStatus status;
  tessera::Status st = FromBackend(backend_->GetStatus(&status), Access::kRead);
  if (st.ok()) {
    identity_->set_raft_term(status.raft_term);
    response->mutable_header()->set_revision(status.revision);
    response->set_version(status.version);
    response->set_dbsize(status.db_size);
    response->set_dbsizeinuse(status.db_size);
    response->set_leader(status.leader_id);
    response->set_raftindex(status.raft_index);
    response->set_raftterm(status.raft_term);
    response->set_raftappliedindex(status.raft_applied_index);
  }
  return Observed(observer_, "status", start, Answer(st, *identity_, response));
}

}  // namespace tessera::etcd
