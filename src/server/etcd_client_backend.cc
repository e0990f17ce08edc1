#include "server/etcd_client_backend.h"

#include <algorithm>

#include "multiraft/versioned_value.h"
#include "server/client_backend.h"

namespace tessera::server {
namespace {

// The etcd key space's prefix and the first key above it.
constexpr std::string_view kPrefix =
    "\xff"
    "e";
constexpr std::string_view kPrefixEnd =
    "\xff"
    "f";

// The etcd pair stored at (store key, stored value); Corruption for a value that is not
// versioned (nothing but this front door writes under the prefix).
Status ToEtcd(std::string_view store_key, std::string_view stored, bool keys_only,
              etcd::KeyValue* out) {
  const auto v = multiraft::DecodeVersionedValue(stored);
  if (!v) return Status::Corruption("etcd: a stored value is not versioned");
  out->key = std::string(store_key.substr(kPrefix.size()));
  out->value = keys_only ? std::string() : std::string(v->payload);
  out->create_revision = static_cast<int64_t>(v->create_revision);
  out->mod_revision = static_cast<int64_t>(v->mod_revision);
  out->version = static_cast<int64_t>(v->version);
  return Status::OK();
}

Status ToEtcdPairs(std::vector<client::KeyValue>& in, bool keys_only,
                   std::vector<etcd::KeyValue>* out) {
  out->clear();
  out->reserve(in.size());
  for (client::KeyValue& kv : in) {
    etcd::KeyValue e;
    TESSERA_RETURN_IF_ERROR(ToEtcd(kv.key, kv.value, keys_only, &e));
    out->push_back(std::move(e));
  }
  return Status::OK();
}

}  // namespace

std::string EtcdClientBackend::StoreKey(std::string_view key) {
  std::string k(kPrefix);
  k.append(key);
  return k;
}

std::pair<std::string, std::string> EtcdClientBackend::StoreRange(const etcd::KeyRange& range) {
  std::string start = StoreKey(range.key);
  if (!range.end) {
    std::string end = start;
    end.push_back('\0');
    return {std::move(start), std::move(end)};
  }
  return {std::move(start), range.end->empty() ? std::string(kPrefixEnd) : StoreKey(*range.end)};
}

Status EtcdClientBackend::Read(const etcd::KeyRange& range, const etcd::ReadOptions& options,
                               etcd::ReadResult* out) {
  const auto [start, end] = StoreRange(range);
  client::ScanOptions so;
  // One more than asked tells whether the range holds more.
  so.limit = options.limit == 0 ? 0 : options.limit + 1;
  // Versioned values carry their revisions, so keys-only reads still fetch values.
  // Linearizable reads go through a read index, served by this node's replica when it has one
  // (client/local_kv.h); serializable ones read that replica's applied state.
  so.read.consistency =
      options.serializable ? client::Consistency::kStale : client::Consistency::kFollower;
  std::vector<client::KeyValue> pairs;
  uint64_t revision = 0;
  const client::Status s = options.reverse ? client_->ReverseScan(start, end, &pairs, so, &revision)
                                           : client_->Scan(start, end, &pairs, so, &revision);
  TESSERA_RETURN_IF_ERROR(FromClientStatus(s));
  out->more = options.limit != 0 && pairs.size() > options.limit;
  if (out->more) pairs.resize(options.limit);
  out->revision = static_cast<int64_t>(revision);
  out->count = static_cast<int64_t>(pairs.size());
  TESSERA_RETURN_IF_ERROR(ToEtcdPairs(pairs, options.keys_only, &out->kvs));
  if (out->more) {
    // The count covers the whole range: count its keys (keys only).
    client::ScanOptions count = so;
    count.limit = 0;
    count.keys_only = true;
    std::vector<client::KeyValue> keys;
    uint64_t count_revision = 0;
    TESSERA_RETURN_IF_ERROR(
        FromClientStatus(client_->Scan(start, end, &keys, count, &count_revision)));
    out->count = static_cast<int64_t>(keys.size());
  }
  return Status::OK();
}

Status EtcdClientBackend::Atomic(const std::vector<etcd::Op>& ops, etcd::AtomicResult* out) {
  using T = client::AtomicOp::Type;
  std::vector<client::AtomicOp> cops;
  cops.reserve(ops.size());
  for (const etcd::Op& op : ops) {
    client::AtomicOp c;
    c.revision = static_cast<uint64_t>(std::max<int64_t>(op.revision, 0));
    switch (op.kind) {
      case etcd::Op::Kind::kPut:
        c.type = T::kPutVersioned;
        c.key = StoreKey(op.range.key);
        c.value = op.value;
        c.want_previous = true;
        break;
      case etcd::Op::Kind::kDeleteRange:
        c.type = T::kDeleteRange;
        std::tie(c.key, c.end_key) = StoreRange(op.range);
        c.want_previous = true;
        break;
      case etcd::Op::Kind::kAssertModRevision:
        c.type = T::kAssertModRevision;
        c.key = StoreKey(op.range.key);
        break;
      case etcd::Op::Kind::kAssertUnchangedSince:
        c.type = T::kAssertUnchangedSince;
        std::tie(c.key, c.end_key) = StoreRange(op.range);
        break;
    }
    cops.push_back(std::move(c));
  }
  client::AtomicResult r;
  TESSERA_RETURN_IF_ERROR(FromClientStatus(client_->Atomic(cops, &r)));
  out->applied = r.applied;
  out->revision = static_cast<int64_t>(r.revision);
  out->results.clear();
  if (!r.applied) return Status::OK();
  out->results.resize(ops.size());
  for (size_t i = 0; i < ops.size() && i < r.results.size(); ++i) {
    client::AtomicOpResult& cr = r.results[i];
    etcd::OpResult& er = out->results[i];
    if (cr.previous) {
      etcd::KeyValue prev;
      TESSERA_RETURN_IF_ERROR(ToEtcd(cops[i].key, *cr.previous, false, &prev));
      er.previous = std::move(prev);
    }
    TESSERA_RETURN_IF_ERROR(ToEtcdPairs(cr.deleted, false, &er.deleted));
  }
  return Status::OK();
}

Status EtcdClientBackend::DeleteRange(const etcd::KeyRange& range, bool want_values,
                                      etcd::DeleteResult* out) {
  const auto [start, end] = StoreRange(range);
  client::DeleteRangeResult r;
  TESSERA_RETURN_IF_ERROR(FromClientStatus(client_->DeleteRange(start, end, {}, &r)));
  out->revision = static_cast<int64_t>(r.revision);
  return ToEtcdPairs(r.deleted, !want_values, &out->deleted);
}

Status EtcdClientBackend::GetStatus(etcd::MemberStatus* out) {
  *out = status_();
  return Status::OK();
}

}  // namespace tessera::server
