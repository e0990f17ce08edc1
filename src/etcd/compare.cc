#include "etcd/compare.h"

namespace tessera::etcd {
namespace {

using etcdserverpb::Compare;

template <typename T>
int Order(const T& a, const T& b) {
  return a < b ? -1 : (b < a ? 1 : 0);
}

bool CompareOne(const Compare& c, const KeyValue& kv) {
  int order = 0;
  switch (c.target()) {
    case Compare::VALUE:
      order = Order<std::string>(kv.value, c.value());
      break;
    case Compare::CREATE:
      order = Order<int64_t>(kv.create_revision, c.create_revision());
      break;
    case Compare::MOD:
      order = Order<int64_t>(kv.mod_revision, c.mod_revision());
      break;
    case Compare::VERSION:
      order = Order<int64_t>(kv.version, c.version());
      break;
    case Compare::LEASE:
      order = Order<int64_t>(0, c.lease());
      break;
    default:
      break;
  }
  switch (c.result()) {
    case Compare::EQUAL:
      return order == 0;
    case Compare::NOT_EQUAL:
      return order != 0;
    case Compare::GREATER:
      return order > 0;
    case Compare::LESS:
      return order < 0;
    default:
      return true;  // as etcd: an unknown result holds
  }
}

}  // namespace

bool CompareHolds(const Compare& c, const std::vector<KeyValue>& kvs) {
  if (kvs.empty()) {
    if (c.target() == Compare::VALUE) return false;
    return CompareOne(c, KeyValue{});
  }
  for (const KeyValue& kv : kvs) {
    if (!CompareOne(c, kv)) return false;
  }
  return true;
}

}  // namespace tessera::etcd
