// The single-key operations: Get, Put, Delete, CompareAndSwap.
#include "client/client_impl.h"

namespace tessera::client {
namespace {

Status CheckKey(std::string_view key) {
  if (key.empty()) return Status(Code::kInvalidArgument, "the key must not be empty");
  return Status::OK();
}

}  // namespace

Status ClientImpl::Get(std::string_view key, std::optional<std::string>* value,
                       const ReadOptions& options) {
  if (auto s = CheckKey(key); !s.ok()) return s;
  v1::GetRequest req;
  v1::GetResponse resp;
  req.set_key(std::string(key));
  SetReadOptions(options, req.mutable_read());
  const Target target =
      options.consistency == Consistency::kStrong ? Target::kLeader : Target::kAnyReplica;
  CallState st = Start(options.timeout);
  Route used;
  Status s = Routed(
      Call{key, false, target, false, true}, &st,
      MakeAttempt<v1::GetRequest, v1::GetResponse>(
          &req, &resp, &v1::Kv::Stub::Get, [](const Route&, v1::GetRequest*) { return true; }),
      &used);
  if (!s.ok()) return s;
  *value = resp.found() ? std::optional<std::string>(resp.value()) : std::nullopt;
  return Status::OK();
}

Status ClientImpl::Put(std::string_view key, std::string_view value, const WriteOptions& options) {
  if (auto s = CheckKey(key); !s.ok()) return s;
  v1::PutRequest req;
  v1::PutResponse resp;
  req.set_key(std::string(key));
  req.set_value(std::string(value));
  CallState st = Start(options.timeout);
  Route used;
  return Routed(
      Call{key, false, Target::kLeader, true, true}, &st,
      MakeAttempt<v1::PutRequest, v1::PutResponse>(
          &req, &resp, &v1::Kv::Stub::Put, [](const Route&, v1::PutRequest*) { return true; }),
      &used);
}

Status ClientImpl::Delete(std::string_view key, const WriteOptions& options) {
  if (auto s = CheckKey(key); !s.ok()) return s;
  v1::DeleteRequest req;
  v1::DeleteResponse resp;
  req.set_key(std::string(key));
  CallState st = Start(options.timeout);
  Route used;
  return Routed(Call{key, false, Target::kLeader, true, true}, &st,
                MakeAttempt<v1::DeleteRequest, v1::DeleteResponse>(
                    &req, &resp, &v1::Kv::Stub::Delete,
                    [](const Route&, v1::DeleteRequest*) { return true; }),
                &used);
}

Status ClientImpl::CompareAndSwap(std::string_view key, const std::optional<std::string>& expected,
                                  const std::optional<std::string>& desired, CasResult* result,
                                  const WriteOptions& options) {
  if (auto s = CheckKey(key); !s.ok()) return s;
  v1::CompareAndSwapRequest req;
  v1::CompareAndSwapResponse resp;
  req.set_key(std::string(key));
  req.set_expect_absent(!expected.has_value());
  if (expected) req.set_expected_value(*expected);
  req.set_delete_key(!desired.has_value());
  if (desired) req.set_new_value(*desired);
  CallState st = Start(options.timeout);
  Route used;
  // Not idempotent: once an attempt's outcome is unknown the call ends with kTimeout.
  Status s = Routed(Call{key, false, Target::kLeader, true, false}, &st,
                    MakeAttempt<v1::CompareAndSwapRequest, v1::CompareAndSwapResponse>(
                        &req, &resp, &v1::Kv::Stub::CompareAndSwap,
                        [](const Route&, v1::CompareAndSwapRequest*) { return true; }),
                    &used);
  if (!s.ok()) return s;
  result->succeeded = resp.succeeded();
  result->previous =
      resp.previous_found() ? std::optional<std::string>(resp.previous_value()) : std::nullopt;
  return Status::OK();
}

}  // namespace tessera::client
