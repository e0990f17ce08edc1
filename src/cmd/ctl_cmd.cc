#include "cmd/ctl_cmd.h"

#include <grpcpp/grpcpp.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "cmd/ctl_kv.h"
#include "proto/admin.grpc.pb.h"
#include "proto/kv.grpc.pb.h"

namespace tessera::cmd {
namespace {

using Clock = std::chrono::steady_clock;

// The typed error's name, for messages and exit codes.
std::string Describe(const v1::Error& e) {
  switch (e.kind_case()) {
    case v1::Error::kNotLeader: {
      const auto& nl = e.not_leader();
      if (nl.leader_node_id() == 0) return "NotLeader (no leader known yet)";
      return "NotLeader (leader: node " + std::to_string(nl.leader_node_id()) +
             (nl.leader_address().empty() ? "" : " at " + nl.leader_address()) + ")";
    }
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
  return e.has_not_leader() || e.has_server_is_busy() || e.has_proposal_dropped() ||
         e.has_epoch_not_match() || e.has_key_not_in_shard() || e.has_shard_not_found();
}

// A node's view of a shard, as ListShards reports it.
struct Route {
  uint64_t id = 0;
  std::string start, end;  // end "": unbounded
  v1::ShardEpoch epoch;
};

class Cluster {
 public:
  explicit Cluster(const std::string& endpoints) {
    size_t pos = 0;
    while (pos <= endpoints.size()) {
      size_t comma = endpoints.find(',', pos);
      if (comma == std::string::npos) comma = endpoints.size();
      const std::string ep = endpoints.substr(pos, comma - pos);
      if (!ep.empty()) Add(ep);
      pos = comma + 1;
    }
  }
  // The index of the endpoint `ep`, added when not yet known.
  size_t Add(const std::string& ep) {
    for (size_t i = 0; i < endpoints_.size(); ++i) {
      if (endpoints_[i] == ep) return i;
    }
    auto channel = grpc::CreateChannel(ep, grpc::InsecureChannelCredentials());
    endpoints_.push_back(ep);
    stubs_.push_back(v1::Kv::NewStub(channel));
    admins_.push_back(v1::Admin::NewStub(channel));
    return endpoints_.size() - 1;
  }
  bool empty() const { return stubs_.empty(); }
  size_t size() const { return stubs_.size(); }
  v1::Admin::Stub* admin(size_t i) { return admins_[i % admins_.size()].get(); }

  // Until the placement driver answers routing questions: the union of the nodes' replica lists,
  // newest epoch per shard.
  void Refresh() {
    std::map<uint64_t, Route> by_id;
    for (auto& a : admins_) {
      grpc::ClientContext ctx;
      ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(2));
      v1::ListShardsResponse resp;
      const grpc::Status st = a->ListShards(&ctx, v1::ListShardsRequest(), &resp);
      if (!st.ok()) {
        last_error_ = st.error_message();
        continue;
      }
      for (const auto& r : resp.replicas()) {
        const auto& d = r.shard();
        Route& cur = by_id[d.id()];
        const bool newer = cur.id == 0 || d.epoch().version() > cur.epoch.version() ||
                           (d.epoch().version() == cur.epoch.version() &&
                            d.epoch().conf_version() > cur.epoch.conf_version());
        if (newer) cur = Route{d.id(), d.start_key(), d.end_key(), d.epoch()};
      }
    }
    routes_.clear();
    for (auto& [id, r] : by_id) routes_[r.start] = r;
  }
  // The shard holding `key` (refreshing once when unknown); nullopt when no node reports one.
  std::optional<Route> RouteFor(const std::string& key) {
    for (int attempt = 0; attempt < 2; ++attempt) {
      auto it = routes_.upper_bound(key);
      if (it != routes_.begin()) {
        --it;
        if (it->second.end.empty() || key < it->second.end) return it->second;
      }
      Refresh();
    }
    return std::nullopt;
  }

  // Calls `rpc` with the header of the shard holding `key` on successive endpoints until one
  // answers without a retryable error or the deadline passes; routing errors refresh the shard
  // map. `rpc` returns the gRPC status and fills *err with the response's Error. Returns false
  // with *msg set on failure.
  bool Call(int timeout_ms, const std::string& key,
            const std::function<grpc::Status(v1::Kv::Stub*, grpc::ClientContext*, const Route&,
                                             v1::Error*)>& rpc,
            std::string* msg) {
    const auto deadline = Clock::now() + std::chrono::milliseconds(timeout_ms);
    size_t i = 0;
    size_t attempts = 0;
    *msg = "no node reported a shard for the key";
    // Between failed attempts: 10 ms, doubling up to 500 ms, never past the deadline (a cluster
    // still starting, or electing a leader, is not hammered).
    auto backoff = std::chrono::milliseconds(10);
    auto pause = [&] {
      std::this_thread::sleep_for(std::min<Clock::duration>(backoff, deadline - Clock::now()));
      backoff = std::min(backoff * 2, std::chrono::milliseconds(500));
    };
    while (Clock::now() < deadline) {
      auto route = RouteFor(key);
      if (!route) {
        *msg = "unavailable: no node reported the key's shard (" + last_error_ + ")";
        pause();
        continue;
      }
      grpc::ClientContext ctx;
      ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(3));
      v1::Error err;
      grpc::Status s = rpc(stubs_[i % stubs_.size()].get(), &ctx, *route, &err);
      if (s.ok() && err.kind_case() == v1::Error::KIND_NOT_SET) return true;
      if (s.ok() && !Retryable(err)) {
        *msg = Describe(err);
        return false;
      }
      if (err.has_epoch_not_match() || err.has_key_not_in_shard() || err.has_shard_not_found()) {
        Refresh();
      }
      *msg = s.ok() ? Describe(err) : "unavailable: " + s.error_message();
      if (err.has_not_leader() && !err.not_leader().leader_address().empty()) {
        i = Add(err.not_leader().leader_address());  // the hint, even a node not in --endpoints
      } else {
        ++i;
      }
      if (++attempts % stubs_.size() == 0) pause();  // as many attempts as endpoints, then wait
    }
    return false;
  }

  const std::map<std::string, Route>& routes() const { return routes_; }

 private:
  std::vector<std::string> endpoints_;
  std::vector<std::unique_ptr<v1::Kv::Stub>> stubs_;
  std::vector<std::unique_ptr<v1::Admin::Stub>> admins_;
  std::map<std::string, Route> routes_;  // by start key
  std::string last_error_ = "no answer";
};

v1::RequestHeader Header(const Route& r) {
  v1::RequestHeader h;
  h.set_shard_id(r.id);
  *h.mutable_epoch() = r.epoch;
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
  auto* ctl = app->add_subcommand("ctl", "Key-value and admin commands against a cluster");
  ctl->add_option("--endpoints", f->endpoints, "Comma-separated host:port of nodes");
  ctl->add_option("--timeout-ms", f->timeout_ms, "Overall deadline per command");
  ctl->add_option("--output", f->output, "table (default) or json")
      ->check(CLI::IsMember({"table", "json"}));
  ctl->require_subcommand(1);
  f->put = ctl->add_subcommand("put", "Write a key");
  f->put->add_option("key", f->key)->required();
  f->put->add_option("value", f->value)->required();
  f->get = ctl->add_subcommand("get", "Read a key");
  f->get->add_option("key", f->key)->required();
  f->get->add_option("--consistency", f->consistency, "strong, follower or stale")
      ->check(CLI::IsMember({"strong", "follower", "stale"}));
  f->del = ctl->add_subcommand("del", "Delete a key");
  f->del->alias("delete");
  f->del->add_option("key", f->key)->required();
  f->cas = ctl->add_subcommand("cas", "Compare-and-swap one key atomically (needs --pd)");
  f->cas->add_option("key", f->key)->required();
  f->cas->add_option("new", f->value, "The value to set when the condition holds");
  auto* expect = f->cas->add_option("--expect", f->expect, "The value the key must hold");
  f->cas->add_flag("--expect-absent", f->expect_absent, "The key must be absent")->excludes(expect);
  f->cas->add_flag("--delete", f->cas_delete, "Delete the key instead of setting NEW");
  f->scan = ctl->add_subcommand("scan", "List keys in [start, end)");
  f->scan->add_option("start", f->start);
  f->scan->add_option("end", f->end);
  f->scan->add_option("--limit", f->limit, "At most this many keys");
  f->scan->add_flag("--reverse", f->reverse, "Newest key first");
  f->scan->add_flag("--keys-only", f->keys_only, "Keys without values");
  f->scan->add_option("--consistency", f->consistency, "strong, follower or stale")
      ->check(CLI::IsMember({"strong", "follower", "stale"}));
  f->shards = ctl->add_subcommand(
      "shards", "List the shards: PD's map with --pd, else what the nodes report");
  f->split = ctl->add_subcommand("split", "Split the shard holding KEY at KEY");
  f->split->add_option("key", f->key)->required();
  f->merge = ctl->add_subcommand(
      "merge",
      "Remove the shard boundary at KEY: the shard starting at KEY merges into the one "
      "ending there (both on the same nodes); waits until the merge completes");
  f->merge->add_option("key", f->key)->required();
  AddPdCtlCommands(ctl, &f->pd);
  return ctl;
}

// `ctl merge KEY`: prepares the merge through each endpoint until the source's leader accepts,
// then waits until no node reports the source any more.
bool RunMerge(Cluster& c, const CtlFlags& f, std::string* msg) {
  const auto deadline = Clock::now() + std::chrono::milliseconds(f.timeout_ms);
  std::optional<Route> source, target;
  bool prepared = false;
  *msg = "no leader accepted the merge";
  for (size_t i = 0; !prepared && Clock::now() < deadline; ++i) {
    source = c.RouteFor(f.key);
    if (!source || source->start != f.key) {
      *msg = "no shard starts at '" + f.key + "'";
      return false;
    }
    target.reset();
    for (const auto& [start, r] : c.routes()) {
      if (!r.end.empty() && r.end == f.key) target = r;
    }
    if (!target) {
      *msg = "no shard ends at '" + f.key + "'";
      return false;
    }
    v1::MergeShardsRequest req;
    *req.mutable_header() = Header(*source);
    req.set_target_shard_id(target->id);
    v1::MergeShardsResponse resp;
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(3));
    grpc::Status st = c.admin(i)->MergeShards(&ctx, req, &resp);
    if (st.ok() && !resp.has_error()) {
      prepared = true;
    } else if (st.ok() && !Retryable(resp.error())) {
      *msg = Describe(resp.error());
      return false;
    } else if (st.ok() && resp.error().has_epoch_not_match()) {
      c.Refresh();
    }
  }
  if (!prepared) return false;
  std::printf("shard %llu prepared to merge into shard %llu\n",
              static_cast<unsigned long long>(source->id),
              static_cast<unsigned long long>(target->id));
  while (Clock::now() < deadline) {
    c.Refresh();
    bool gone = true;
    for (const auto& [start, r] : c.routes()) gone = gone && r.id != source->id;
    if (gone) {
      auto t = c.RouteFor(f.key);
      if (t) {
        std::printf("shard %llu [%s, %s)\n", static_cast<unsigned long long>(t->id),
                    t->start.c_str(), t->end.empty() ? "+inf" : t->end.c_str());
      }
      return true;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));  // polling a remote cluster
  }
  *msg = "the merge did not complete in time (it completes or rolls back by itself)";
  return false;
}

int RunCtl(const CtlFlags& f) {
  PdCtlFlags pd = f.pd;
  pd.timeout_ms = f.timeout_ms;
  pd.output = f.output;
  if (auto code = RunPdCtl(pd)) return *code;
  if (f.shards->parsed() && !pd.pd.empty()) return RunPdShards(pd);
  if (!pd.pd.empty()) {
    if (auto code = RunClientKv(f)) return *code;
  }
  if (f.cas->parsed()) {
    std::fprintf(stderr, "tessera ctl: cas needs --pd\n");
    return 2;
  }
  Cluster c(f.endpoints);
  if (c.empty()) {
    std::fprintf(stderr, "tessera ctl: no endpoints\n");
    return 2;
  }
  std::string msg;
  bool ok = false;
  if (f.put->parsed()) {
    ok = c.Call(
        f.timeout_ms, f.key,
        [&](v1::Kv::Stub* s, grpc::ClientContext* ctx, const Route& r, v1::Error* e) {
          v1::PutRequest req;
          *req.mutable_header() = Header(r);
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
        f.timeout_ms, f.key,
        [&](v1::Kv::Stub* s, grpc::ClientContext* ctx, const Route& r, v1::Error* e) {
          v1::GetRequest req;
          *req.mutable_header() = Header(r);
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
        f.timeout_ms, f.key,
        [&](v1::Kv::Stub* s, grpc::ClientContext* ctx, const Route& r, v1::Error* e) {
          v1::DeleteRequest req;
          *req.mutable_header() = Header(r);
          req.set_key(f.key);
          v1::DeleteResponse resp;
          grpc::Status st = s->Delete(ctx, req, &resp);
          *e = resp.error();
          return st;
        },
        &msg);
    if (ok) std::printf("OK\n");
  } else if (f.scan->parsed()) {
    // Shard by shard over [start, end), forward or backward, until the limit.
    std::vector<std::pair<std::string, std::string>> pairs;
    bool more = false;
    ok = true;
    std::string cursor = f.reverse ? f.end : f.start;  // reverse: keys below the cursor
    while (ok) {
      // The shard to scan: the one holding the cursor (reverse: the key just below it).
      std::string probe = cursor;
      if (f.reverse) {
        c.RouteFor(f.start);  // fills the map
        auto it = cursor.empty() ? c.routes().end() : c.routes().lower_bound(cursor);
        if (it == c.routes().begin()) break;
        probe = std::prev(it)->second.start;
      }
      Route shard;
      v1::ScanResponse resp;
      ok = c.Call(
          f.timeout_ms, probe,
          [&](v1::Kv::Stub* s, grpc::ClientContext* ctx, const Route& r, v1::Error* e) {
            shard = r;
            v1::ScanRequest req;
            *req.mutable_header() = Header(r);
            std::string lo = f.reverse ? std::max(f.start, r.start) : cursor;
            std::string hi = f.reverse ? cursor : f.end;
            if (!r.end.empty() && (hi.empty() || r.end < hi)) hi = r.end;
            if (f.reverse && !r.start.empty() && lo < r.start) lo = r.start;
            req.set_start_key(lo);
            req.set_end_key(hi);
            req.set_limit(f.limit - static_cast<uint32_t>(pairs.size()));
            req.set_reverse(f.reverse);
            req.set_keys_only(f.keys_only);
            *req.mutable_read() = ReadOpts(f.consistency);
            resp.Clear();
            grpc::Status st = s->Scan(ctx, req, &resp);
            *e = resp.error();
            return st;
          },
          &msg);
      if (!ok) break;
      for (const auto& kv : resp.pairs()) pairs.emplace_back(kv.key(), kv.value());
      const bool last = f.reverse
                            ? shard.start.empty() || (!f.start.empty() && shard.start <= f.start)
                            : shard.end.empty() || (!f.end.empty() && shard.end >= f.end);
      if (pairs.size() >= f.limit) {
        more = resp.more() || !last;  // "possibly more": later shards may be empty
        break;
      }
      if (last) break;
      cursor = f.reverse ? shard.start : shard.end;
    }
    if (ok) {
      for (const auto& [k, v] : pairs) {
        if (f.keys_only) {
          std::printf("%s\n", k.c_str());
        } else {
          std::printf("%s\t%s\n", k.c_str(), v.c_str());
        }
      }
      if (more) std::printf("(more)\n");
    }
  } else if (f.shards->parsed()) {
    c.Refresh();
    if (c.routes().empty()) {
      msg = "no node answered ListShards";
    } else {
      ok = true;
      std::printf("%-20s %-24s %-24s %s\n", "SHARD", "START", "END", "EPOCH (conf/version)");
      for (const auto& [start, r] : c.routes()) {
        std::printf("%-20llu %-24s %-24s %llu/%llu\n", static_cast<unsigned long long>(r.id),
                    r.start.empty() ? "-inf" : r.start.c_str(),
                    r.end.empty() ? "+inf" : r.end.c_str(),
                    static_cast<unsigned long long>(r.epoch.conf_version()),
                    static_cast<unsigned long long>(r.epoch.version()));
      }
    }
  } else if (f.split->parsed()) {
    // Sent to each endpoint until the shard's leader accepts it.
    const auto deadline = Clock::now() + std::chrono::milliseconds(f.timeout_ms);
    msg = "no leader accepted the split";
    for (size_t i = 0; !ok && Clock::now() < deadline; ++i) {
      auto route = c.RouteFor(f.key);
      if (!route) break;
      v1::SplitShardRequest req;
      *req.mutable_header() = Header(*route);
      req.set_split_key(f.key);
      v1::SplitShardResponse resp;
      grpc::ClientContext ctx;
      ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(3));
      grpc::Status st = c.admin(i)->SplitShard(&ctx, req, &resp);
      if (st.ok() && !resp.has_error()) {
        ok = true;
        for (const auto& d : resp.shards()) {
          std::printf("shard %llu [%s, %s)\n", static_cast<unsigned long long>(d.id()),
                      d.start_key().c_str(), d.end_key().empty() ? "+inf" : d.end_key().c_str());
        }
      } else if (st.ok() && !Retryable(resp.error())) {
        msg = Describe(resp.error());
        break;
      } else if (st.ok() &&
                 (resp.error().has_epoch_not_match() || resp.error().has_key_not_in_shard())) {
        c.Refresh();
      }
    }
  } else if (f.merge->parsed()) {
    ok = RunMerge(c, f, &msg);
  }
  if (!ok) {
    std::fprintf(stderr, "tessera ctl: %s\n", msg.c_str());
    return 1;
  }
  return 0;
}

}  // namespace tessera::cmd
