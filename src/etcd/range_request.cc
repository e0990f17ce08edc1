#include "etcd/range_request.h"

#include <algorithm>
#include <utility>

#include "etcd/errors.h"
#include "etcd/ranges.h"

namespace tessera::etcd {
namespace {

using etcdserverpb::RangeRequest;

bool HasRevisionFilters(const RangeRequest& req) {
  return req.min_mod_revision() != 0 || req.max_mod_revision() != 0 ||
         req.min_create_revision() != 0 || req.max_create_revision() != 0;
}

// etcd sorts ascending by default when the target is not the key.
RangeRequest::SortOrder EffectiveOrder(const RangeRequest& req) {
  if (req.sort_order() == RangeRequest::NONE && req.sort_target() != RangeRequest::KEY) {
    return RangeRequest::ASCEND;
  }
  return req.sort_order();
}

// Drops the pairs outside the request's min/max mod and create revisions (0: no bound).
void ApplyFilters(const RangeRequest& req, std::vector<KeyValue>* kvs) {
  auto outside = [&req](const KeyValue& kv) {
    return (req.max_mod_revision() != 0 && kv.mod_revision > req.max_mod_revision()) ||
           (req.min_mod_revision() != 0 && kv.mod_revision < req.min_mod_revision()) ||
           (req.max_create_revision() != 0 && kv.create_revision > req.max_create_revision()) ||
           (req.min_create_revision() != 0 && kv.create_revision < req.min_create_revision());
  };
  kvs->erase(std::remove_if(kvs->begin(), kvs->end(), outside), kvs->end());
}

// -1, 0, 1 as a's target compares to b's.
int CompareTarget(RangeRequest::SortTarget target, const KeyValue& a, const KeyValue& b) {
  auto cmp = [](const auto& x, const auto& y) { return x < y ? -1 : (y < x ? 1 : 0); };
  switch (target) {
    case RangeRequest::VERSION:
      return cmp(a.version, b.version);
    case RangeRequest::CREATE:
      return cmp(a.create_revision, b.create_revision);
    case RangeRequest::MOD:
      return cmp(a.mod_revision, b.mod_revision);
    case RangeRequest::VALUE:
      return cmp(a.value, b.value);
    default:
      return cmp(a.key, b.key);
  }
}

// Sorts pairs that arrive in ascending key order; ties keep key order.
void ApplySort(const RangeRequest& req, std::vector<KeyValue>* kvs) {
  const RangeRequest::SortOrder order = EffectiveOrder(req);
  if (order == RangeRequest::NONE) return;
  const int sign = order == RangeRequest::DESCEND ? -1 : 1;
  const RangeRequest::SortTarget target = req.sort_target();
  std::stable_sort(kvs->begin(), kvs->end(), [&](const KeyValue& a, const KeyValue& b) {
    return sign * CompareTarget(target, a, b) < 0;
  });
}

}  // namespace

Result<RangeRead> PlanRangeRead(const RangeRequest& req) {
  if (!RangeRequest::SortOrder_IsValid(req.sort_order()) ||
      !RangeRequest::SortTarget_IsValid(req.sort_target())) {
    return errors::InvalidSort();
  }
  TESSERA_ASSIGN_OR_RETURN(EtcdRange where, ToEtcdRange(req.key(), req.range_end()));
  RangeRead plan;
  plan.range = std::move(where.range);
  plan.inverted = where.inverted;
  plan.options.serializable = req.serializable();
  if (plan.inverted || req.count_only()) {
    // Only the revision (and for count_only the count) is used: read as little as possible.
    plan.options.limit = 1;
    plan.options.keys_only = true;
    return plan;
  }
  if (req.sort_target() == RangeRequest::KEY && !HasRevisionFilters(req)) {
    plan.options.limit = req.limit() > 0 ? static_cast<size_t>(req.limit()) : 0;
    plan.options.reverse = req.sort_order() == RangeRequest::DESCEND;
    plan.options.keys_only = req.keys_only();
    return plan;
  }
  return WholeRangeRead(req, std::move(plan));
}

RangeRead WholeRangeRead(const RangeRequest& req, RangeRead plan) {
  const bool serializable = plan.options.serializable;
  plan.whole = true;
  plan.options = ReadOptions{};
  plan.options.serializable = serializable;
  plan.options.keys_only = req.keys_only() && req.sort_target() != RangeRequest::VALUE;
  return plan;
}

Status CheckRequestedRevision(int64_t requested, int64_t current) {
  if (requested <= 0 || requested == current) return Status::OK();
  return requested < current ? errors::Compacted() : errors::FutureRevision();
}

void FinishRange(const RangeRequest& req, const RangeRead& plan, ReadResult result,
                 etcdserverpb::RangeResponse* resp) {
  if (plan.inverted) {
    resp->set_count(0);
    return;
  }
  resp->set_count(result.count);
  if (req.count_only()) return;
  std::vector<KeyValue>& kvs = result.kvs;
  bool more = result.more;
  if (plan.whole) {
    ApplyFilters(req, &kvs);
    ApplySort(req, &kvs);
    more = false;
  }
  if (req.limit() > 0 && kvs.size() > static_cast<size_t>(req.limit())) {
    kvs.resize(static_cast<size_t>(req.limit()));
    more = true;
  }
  resp->set_more(more);
  for (const KeyValue& kv : kvs) ToProto(kv, req.keys_only(), resp->add_kvs());
}

void ToProto(const KeyValue& kv, bool keys_only, mvccpb::KeyValue* out) {
  out->set_key(kv.key);
  if (!keys_only) out->set_value(kv.value);
  out->set_create_revision(kv.create_revision);
  out->set_mod_revision(kv.mod_revision);
  out->set_version(kv.version);
}

}  // namespace tessera::etcd
