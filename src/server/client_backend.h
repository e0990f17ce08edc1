// ClientBackend: the Redis front door's store (redis::Backend) over the C++ client, so that any
// node accepts any key and routes it to its shard's leader through PD's map.
//
// Status mapping: the client's kInvalidArgument, kTimeout (outcome unknown) and kUnavailable
// become tessera::Status InvalidArgument, Timeout and Unavailable; kInternal becomes Internal.
// Thread-safe (the client is).
#pragma once

#include <memory>

#include "redis/backend.h"
#include "tessera/client.h"

namespace tessera::server {

class ClientBackend final : public redis::Backend {
 public:
  // `client` is shared with other front doors of the node.
  explicit ClientBackend(std::shared_ptr<client::Client> client) : client_(std::move(client)) {}

  Status Get(std::string_view key, std::optional<std::string>* value) override;
  Status BatchGet(const std::vector<std::string>& keys,
                  std::vector<std::optional<std::string>>* values) override;
  Status Put(std::string_view key, std::string_view value) override;
  Status BatchPut(const std::vector<redis::KvPair>& pairs) override;
  Status Delete(std::string_view key) override;
  Status CompareAndSwap(std::string_view key, const std::optional<std::string>& expected,
                        const std::optional<std::string>& desired, bool* succeeded,
                        std::optional<std::string>* previous) override;
  Status Scan(std::string_view start, std::string_view end, size_t limit, bool keys_only,
              std::vector<redis::KvPair>* out) override;
  int64_t NowMs() override;

 private:
  std::shared_ptr<client::Client> client_;
};

// The client's status as a tessera::Status.
Status FromClientStatus(const client::Status& s);

}  // namespace tessera::server
