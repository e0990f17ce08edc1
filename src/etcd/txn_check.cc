#include "etcd/txn_check.h"

#include <algorithm>
#include <set>
#include <string>
#include <vector>

#include "etcd/errors.h"

namespace tessera::etcd {
namespace {

using etcdserverpb::RequestOp;
using Ops = google::protobuf::RepeatedPtrField<RequestOp>;

Status CheckRequestOp(const RequestOp& op) {
  switch (op.request_case()) {
    case RequestOp::kRequestRange:
      return op.request_range().key().empty() ? errors::EmptyKey() : Status::OK();
    case RequestOp::kRequestPut:
      return CheckPutRequest(op.request_put());
    case RequestOp::kRequestDeleteRange:
      return op.request_delete_range().key().empty() ? errors::EmptyKey() : Status::OK();
    case RequestOp::kRequestTxn:
      return errors::NestedTxn();
    default:
      return errors::KeyNotFound();
  }
}

// A delete's interval as etcd's checkIntervals sees it: the point `key` when range_end is empty,
// else [key, range_end) compared as raw bytes (so a "\0" range_end covers nothing here).
struct Deleted {
  std::string key;
  std::string end;
  bool Covers(const std::string& k) const { return end.empty() ? k == key : (key <= k && k < end); }
};

Status CheckIntervals(const Ops& ops) {
  std::vector<Deleted> dels;
  for (const RequestOp& op : ops) {
    if (op.has_request_delete_range()) {
      dels.push_back({op.request_delete_range().key(), op.request_delete_range().range_end()});
    }
  }
  std::set<std::string> puts;
  for (const RequestOp& op : ops) {
    if (!op.has_request_put()) continue;
    const std::string& k = op.request_put().key();
    if (!puts.insert(k).second) return errors::DuplicateKey();
    for (const Deleted& d : dels) {
      if (d.Covers(k)) return errors::DuplicateKey();
    }
  }
  return Status::OK();
}

}  // namespace

Status CheckPutRequest(const etcdserverpb::PutRequest& req) {
  if (req.key().empty()) return errors::EmptyKey();
  if (req.ignore_value() && !req.value().empty()) return errors::ValueProvided();
  if (req.ignore_lease() && req.lease() != 0) return errors::LeaseProvided();
  return Status::OK();
}

Status CheckTxnRequest(const etcdserverpb::TxnRequest& req, size_t max_ops) {
  const size_t ops =
      std::max({static_cast<size_t>(req.compare_size()), static_cast<size_t>(req.success_size()),
                static_cast<size_t>(req.failure_size())});
  if (ops > max_ops) return errors::TooManyOps();
  for (const auto& c : req.compare()) {
    if (c.key().empty()) return errors::EmptyKey();
  }
  for (const Ops* branch : {&req.success(), &req.failure()}) {
    for (const RequestOp& op : *branch) TESSERA_RETURN_IF_ERROR(CheckRequestOp(op));
  }
  TESSERA_RETURN_IF_ERROR(CheckIntervals(req.success()));
  return CheckIntervals(req.failure());
}

}  // namespace tessera::etcd
