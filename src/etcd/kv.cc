#include "etcd/kv.h"

#include <utility>
#include <vector>

#include "etcd/errors.h"
#include "etcd/range_request.h"
#include "etcd/ranges.h"
#include "etcd/txn_check.h"

namespace tessera::etcd {
namespace {

// A Put whose value or lease comes from the current pair, as a Txn of that one Put: the read and
// the write then commit together (txn.h).
Status RunPutAsTxn(Backend* backend, const TxnOptions& txn_options,
                   const etcdserverpb::PutRequest& req, etcdserverpb::PutResponse* resp) {
  etcdserverpb::TxnRequest txn;
  *txn.add_success()->mutable_request_put() = req;
  etcdserverpb::TxnResponse out;
  TESSERA_RETURN_IF_ERROR(RunTxn(backend, txn_options, txn, &out));
  TESSERA_CHECK(out.responses_size() == 1 && out.responses(0).has_response_put());
  *resp = std::move(*out.mutable_responses(0)->mutable_response_put());
  resp->mutable_header()->set_revision(out.header().revision());
  return Status::OK();
}

// The revision of the shard holding `key`, for answers that read or change nothing.
Status RevisionAt(Backend* backend, const std::string& key, int64_t* revision) {
  ReadOptions options;
  options.limit = 1;
  options.keys_only = true;
  ReadResult result;
  TESSERA_RETURN_IF_ERROR(
      FromBackend(backend->Read(KeyRange{key, std::nullopt}, options, &result), Access::kRead));
  *revision = result.revision;
  return Status::OK();
}

}  // namespace

Status RunRange(Backend* backend, const etcdserverpb::RangeRequest& req,
                etcdserverpb::RangeResponse* resp) {
  TESSERA_ASSIGN_OR_RETURN(RangeRead plan, PlanRangeRead(req));
  ReadResult result;
  TESSERA_RETURN_IF_ERROR(
      FromBackend(backend->Read(plan.range, plan.options, &result), Access::kRead));
  TESSERA_RETURN_IF_ERROR(CheckRequestedRevision(req.revision(), result.revision));
  resp->mutable_header()->set_revision(result.revision);
  FinishRange(req, plan, std::move(result), resp);
  return Status::OK();
}

Status RunPut(Backend* backend, const TxnOptions& txn_options, const etcdserverpb::PutRequest& req,
              etcdserverpb::PutResponse* resp) {
  TESSERA_RETURN_IF_ERROR(CheckPutRequest(req));
  if (req.ignore_value() || req.ignore_lease()) return RunPutAsTxn(backend, txn_options, req, resp);
  if (req.lease() != 0) return errors::LeaseNotFound();
  const std::vector<Op> ops = {Op{Op::Kind::kPut, KeyRange{req.key(), std::nullopt}, req.value()}};
  AtomicResult result;
  TESSERA_RETURN_IF_ERROR(FromBackend(backend->Atomic(ops, &result), Access::kWrite));
  if (!result.applied || result.results.size() != 1) {
    // No assertion can fail: the Backend broke its contract; the Put may or may not have applied.
    return FromBackend(Status::Internal("Atomic without assertions was not applied"),
                       Access::kWrite);
  }
  resp->mutable_header()->set_revision(result.revision);
  const std::optional<KeyValue>& previous = result.results.front().previous;
  if (req.prev_kv() && previous) ToProto(*previous, false, resp->mutable_prev_kv());
  return Status::OK();
}

Status RunDeleteRange(Backend* backend, const etcdserverpb::DeleteRangeRequest& req,
                      etcdserverpb::DeleteRangeResponse* resp) {
  TESSERA_ASSIGN_OR_RETURN(EtcdRange where, ToEtcdRange(req.key(), req.range_end()));
  int64_t revision = 0;
  if (where.inverted) {
    TESSERA_RETURN_IF_ERROR(RevisionAt(backend, where.range.key, &revision));
    resp->mutable_header()->set_revision(revision);
    return Status::OK();
  }
  DeleteResult result;
  TESSERA_RETURN_IF_ERROR(
      FromBackend(backend->DeleteRange(where.range, req.prev_kv(), &result), Access::kWrite));
  resp->mutable_header()->set_revision(result.revision);
  resp->set_deleted(static_cast<int64_t>(result.deleted.size()));
  if (req.prev_kv()) {
    for (const KeyValue& kv : result.deleted) ToProto(kv, false, resp->add_prev_kvs());
  }
  return Status::OK();
}

}  // namespace tessera::etcd
