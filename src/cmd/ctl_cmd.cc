#include "cmd/ctl_cmd.h"

#include <grpcpp/grpcpp.h>

#include <chrono>
#include <cstdio>
#include <functional>
#include <map>
#include <memory>

#include "proto/kv.grpc.pb.h"

namespace tessera::cmd {
namespace {

using Clock = std::chrono::steady_clock;

// The typed error's name, for messages and exit codes.
std::string Describe(const v1::Error& e) {
  switch (e.kind_case()) {
    case v1::Error::kNotLeader:
      return "NotLeader";
    case v1::Error::kEpochNotMatch:
      return "EpochNotMatch";
    case v1::Error::kKeyNotInShard:
      return "KeyNotInShard";
    case v1::Error::kShardNotFound:
      return "ShardNotFound";
    case v1::Error::kServerIsBusy:
      return "ServerIsBusy: " + e.message();
    case v1::Error::kProposalDropped:
      return "ProposalDropped: " + e.message();
    case v1::Error::kTimeout:
      return "Timeout (outcome unknown): " + e.message();
    case v1::Error::kInvalidArgument:
      return "InvalidArgument: " + e.invalid_argument().message();
    default:
      return e.message();
  }
}

bool Retryable(const v1::Error& e) {
  return e.has_not_leader() || e.has_server_is_busy() || e.has_proposal_dropped();
}

class Cluster {
 public:
  explicit Cluster(const std::string& endpoints) {
    size_t pos = 0;
    while (pos <= endpoints.size()) {
      size_t comma = endpoints.find(',', pos);
      if (comma == std::string::npos) comma = endpoints.size();
      const std::string ep = endpoints.substr(pos, comma - pos);
      if (!ep.empty()) {
        stubs_.push_back(
            v1::Kv::NewStub(grpc::CreateChannel(ep, grpc::InsecureChannelCredentials())));
      }
      pos = comma + 1;
    }
  }
  bool empty() const { return stubs_.empty(); }

  // Calls `rpc` on successive endpoints until one answers without a retryable error or the
  // deadline passes. `rpc` returns the gRPC status and fills *err with the response's Error.
  // Returns false with *msg set on failure.
  bool Call(int timeout_ms,
            const std::function<grpc::Status(v1::Kv::Stub*, grpc::ClientContext*, v1::Error*)>& rpc,
            std::string* msg) {
    const auto deadline = Clock::now() + std::chrono::milliseconds(timeout_ms);
    size_t i = 0;
    while (Clock::now() < deadline) {
      grpc::ClientContext ctx;
      ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(3));
      v1::Error err;
      grpc::Status s = rpc(stubs_[i % stubs_.size()].get(), &ctx, &err);
      if (s.ok() && err.kind_case() == v1::Error::KIND_NOT_SET) return true;
      if (s.ok() && !Retryable(err)) {
        *msg = Describe(err);
        return false;
      }
      *msg = s.ok() ? Describe(err) : "unavailable: " + s.error_message();
      ++i;  // the next endpoint (a NotLeader hint names a node id, not an endpoint)
    }
    return false;
  }

 private:
  std::vector<std::unique_ptr<v1::Kv::Stub>> stubs_;
};

v1::RequestHeader Header() {
  v1::RequestHeader h;
  h.set_shard_id(1);
  h.mutable_epoch();
  return h;
}

v1::ReadOptions ReadOpts(const std::string& c) {
  v1::ReadOptions o;
  if (c == "follower") o.set_consistency(v1::READ_CONSISTENCY_FOLLOWER);
  if (c == "stale") {
    o.set_consistency(v1::READ_CONSISTENCY_STALE);
    o.set_max_staleness_ms(5000);
  }
  return o;
}

}  // namespace

CLI::App* AddCtlCommand(CLI::App* app, CtlFlags* f) {
  auto* ctl = app->add_subcommand("ctl", "Key-value commands against a cluster");
  ctl->add_option("--endpoints", f->endpoints, "Comma-separated host:port of nodes");
  ctl->add_option("--timeout-ms", f->timeout_ms, "Overall deadline per command");
  ctl->require_subcommand(1);
  f->put = ctl->add_subcommand("put", "Write a key");
  f->put->add_option("key", f->key)->required();
  f->put->add_option("value", f->value)->required();
  f->get = ctl->add_subcommand("get", "Read a key");
  f->get->add_option("key", f->key)->required();
  f->get->add_option("--consistency", f->consistency, "strong, follower or stale")
      ->check(CLI::IsMember({"strong", "follower", "stale"}));
  f->del = ctl->add_subcommand("delete", "Delete a key");
  f->del->add_option("key", f->key)->required();
  f->scan = ctl->add_subcommand("scan", "List keys in [start, end)");
  f->scan->add_option("start", f->start);
  f->scan->add_option("end", f->end);
  f->scan->add_option("--limit", f->limit, "At most this many keys");
  f->scan->add_flag("--reverse", f->reverse, "Newest key first");
  f->scan->add_flag("--keys-only", f->keys_only, "Keys without values");
  f->scan->add_option("--consistency", f->consistency, "strong, follower or stale")
      ->check(CLI::IsMember({"strong", "follower", "stale"}));
  return ctl;
}

int RunCtl(const CtlFlags& f) {
  Cluster c(f.endpoints);
  if (c.empty()) {
    std::fprintf(stderr, "tessera ctl: no endpoints\n");
    return 2;
  }
  std::string msg;
  bool ok = false;
  if (f.put->parsed()) {
    ok = c.Call(
        f.timeout_ms,
        [&](v1::Kv::Stub* s, grpc::ClientContext* ctx, v1::Error* e) {
          v1::PutRequest req;
          *req.mutable_header() = Header();
          req.set_key(f.key);
          req.set_value(f.value);
          v1::PutResponse resp;
          grpc::Status st = s->Put(ctx, req, &resp);
          *e = resp.error();
          return st;
        },
        &msg);
    if (ok) std::printf("OK\n");
  } else if (f.get->parsed()) {
    v1::GetResponse resp;
    ok = c.Call(
        f.timeout_ms,
        [&](v1::Kv::Stub* s, grpc::ClientContext* ctx, v1::Error* e) {
          v1::GetRequest req;
          *req.mutable_header() = Header();
          req.set_key(f.key);
          *req.mutable_read() = ReadOpts(f.consistency);
          grpc::Status st = s->Get(ctx, req, &resp);
          *e = resp.error();
          return st;
        },
        &msg);
    if (ok && !resp.found()) {
      std::fprintf(stderr, "(not found)\n");
      return 1;
    }
    if (ok) std::printf("%s\n", resp.value().c_str());
  } else if (f.del->parsed()) {
    ok = c.Call(
        f.timeout_ms,
        [&](v1::Kv::Stub* s, grpc::ClientContext* ctx, v1::Error* e) {
          v1::DeleteRequest req;
          *req.mutable_header() = Header();
          req.set_key(f.key);
          v1::DeleteResponse resp;
          grpc::Status st = s->Delete(ctx, req, &resp);
          *e = resp.error();
          return st;
        },
        &msg);
    if (ok) std::printf("OK\n");
  } else if (f.scan->parsed()) {
    v1::ScanResponse resp;
    ok = c.Call(
        f.timeout_ms,
        [&](v1::Kv::Stub* s, grpc::ClientContext* ctx, v1::Error* e) {
          v1::ScanRequest req;
          *req.mutable_header() = Header();
          req.set_start_key(f.start);
          req.set_end_key(f.end);
          req.set_limit(f.limit);
          req.set_reverse(f.reverse);
          req.set_keys_only(f.keys_only);
          *req.mutable_read() = ReadOpts(f.consistency);
          resp.Clear();
          grpc::Status st = s->Scan(ctx, req, &resp);
          *e = resp.error();
          return st;
        },
        &msg);
    if (ok) {
      for (const auto& kv : resp.pairs()) {
        if (f.keys_only) {
          std::printf("%s\n", kv.key().c_str());
        } else {
          std::printf("%s\t%s\n", kv.key().c_str(), kv.value().c_str());
        }
      }
      if (resp.more()) std::printf("(more)\n");
    }
  }
  if (!ok) {
    std::fprintf(stderr, "tessera ctl: %s\n", msg.c_str());
    return 1;
  }
  return 0;
}

}  // namespace tessera::cmd
