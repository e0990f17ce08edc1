// Atomic operations on one shard (Client::Atomic): the node's Atomic RPC, never retried once an
// attempt's outcome is unknown.
#include <algorithm>

#include "client/client_impl.h"

namespace tessera::client {
namespace {

bool IsRangeOp(AtomicOp::Type t) {
  return t == AtomicOp::Type::kDeleteRange || t == AtomicOp::Type::kAssertUnchangedSince;
}

v1::AtomicOp::Type ToProto(AtomicOp::Type t) {
  switch (t) {
    case AtomicOp::Type::kPut:
      return v1::AtomicOp::PUT;
    case AtomicOp::Type::kDelete:
      return v1::AtomicOp::DELETE;
    case AtomicOp::Type::kDeleteRange:
      return v1::AtomicOp::DELETE_RANGE;
    case AtomicOp::Type::kPutVersioned:
      return v1::AtomicOp::PUT_VERSIONED;
    case AtomicOp::Type::kAssertModRevision:
      return v1::AtomicOp::ASSERT_MOD_REVISION;
    case AtomicOp::Type::kAssertUnchangedSince:
      return v1::AtomicOp::ASSERT_UNCHANGED_SINCE;
  }
  return v1::AtomicOp::TYPE_UNSPECIFIED;
}

Status CheckOp(const AtomicOp& op) {
  if (IsRangeOp(op.type)) return CheckRange(op.key, op.end_key);
  if (op.key.empty()) return Status(Code::kInvalidArgument, "the key must not be empty");
  return Status::OK();
}

// True when every op falls in the shard (a range's empty end is the end of the key space).
bool Fits(const multiraft::ShardDescriptor& d, const std::vector<AtomicOp>& ops) {
  return std::all_of(ops.begin(), ops.end(), [&](const AtomicOp& op) {
    if (!IsRangeOp(op.type)) return d.ContainsKey(op.key);
    return op.end_key.empty() ? d.end_key.empty() && d.ContainsKey(op.key)
                              : d.ContainsRange(op.key, op.end_key);
  });
}

std::vector<KeyValue> TakePairs(google::protobuf::RepeatedPtrField<v1::KeyValue>* in) {
  std::vector<KeyValue> out;
  out.reserve(static_cast<size_t>(in->size()));
  for (auto& kv : *in) {
    out.push_back(KeyValue{std::move(*kv.mutable_key()), std::move(*kv.mutable_value())});
  }
  return out;
}

}  // namespace

Status ClientImpl::Atomic(const std::vector<AtomicOp>& ops, AtomicResult* result,
                          const WriteOptions& options) {
  if (ops.empty()) return Status(Code::kInvalidArgument, "atomic: no operations");
  v1::AtomicRequest req;
  for (const AtomicOp& op : ops) {
    if (auto s = CheckOp(op); !s.ok()) return s;
    v1::AtomicOp* out = req.add_ops();
    out->set_type(ToProto(op.type));
    out->set_key(op.key);
    out->set_end_key(op.end_key);
    out->set_value(op.value);
    out->set_revision(op.revision);
    out->set_want_previous(op.want_previous);
  }
  v1::AtomicResponse resp;
  CallState st = Start(options.timeout);
  bool refreshed = false;
  while (true) {
    Route used, tried;
    Status s = Routed(
        Call{ops[0].key, false, Target::kLeader, true, /*idempotent=*/false}, &st,
        MakeAttempt<v1::AtomicRequest, v1::AtomicResponse>(&req, &resp, &v1::Kv::Stub::Atomic,
                                                           [&](const Route& r, v1::AtomicRequest*) {
                                                             tried = r;
                                                             return Fits(r.desc, ops);
                                                           }),
        &used);
    if (!s.ok()) return s;
    if (!st.regroup) break;
    if (refreshed) {
      return Status(Code::kFailedPrecondition,
                    "atomic: the operations fall in more than one shard (" +
                        multiraft::DescribeShard(tried.desc) + " holds the first)");
    }
    // The cached route may predate a merge that joined the keys: ask PD once more.
    routes_.Invalidate(tried.desc.id);
    refreshed = true;
    st.regroup = false;
  }
  result->applied = resp.applied();
  result->revision = resp.revision();
  result->results.clear();
  for (auto& r : *resp.mutable_results()) {
    AtomicOpResult out;
    if (r.previous_found()) out.previous = std::move(*r.mutable_previous_value());
    out.deleted = TakePairs(r.mutable_deleted());
    result->results.push_back(std::move(out));
  }
  return Status::OK();
}

}  // namespace tessera::client
