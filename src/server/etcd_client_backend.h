// EtcdClientBackend: the etcd front door's store (etcd::Backend) over the C++ client, so that any
// node accepts any key and routes it to its shard's leader through PD's map.
//
// Layout (docs/etcd.md): the etcd key K is stored at "\xff" "e" K, its value as a versioned value
// (multiraft/versioned_value.h) whose revisions the shard's leader stamps at apply. Reads scan the
// prefix range; Put is an Atomic PUT_VERSIONED; Txn's guarded writes are Atomic calls with
// assertions; DeleteRange is the client's shard-by-shard DeleteRange reporting what it deleted.
//
// Thread-safe (the client is).
#pragma once

#include <functional>
#include <memory>

#include "etcd/backend.h"
#include "tessera/client.h"

namespace tessera::server {

class EtcdClientBackend final : public etcd::Backend {
 public:
  // `client` is shared with other front doors of the node; `status` reports the node's state.
  EtcdClientBackend(std::shared_ptr<client::Client> client,
                    std::function<etcd::MemberStatus()> status)
      : client_(std::move(client)), status_(std::move(status)) {}

  Status Read(const etcd::KeyRange& range, const etcd::ReadOptions& options,
              etcd::ReadResult* out) override;
  Status Atomic(const std::vector<etcd::Op>& ops, etcd::AtomicResult* out) override;
  Status DeleteRange(const etcd::KeyRange& range, bool want_values,
                     etcd::DeleteResult* out) override;
  Status GetStatus(etcd::MemberStatus* out) override;

  // The store's key of the etcd key `key`, and the store range of an etcd range.
  static std::string StoreKey(std::string_view key);
  static std::pair<std::string, std::string> StoreRange(const etcd::KeyRange& range);

 private:
  std::shared_ptr<client::Client> client_;
  std::function<etcd::MemberStatus()> status_;
};

}  // namespace tessera::server
