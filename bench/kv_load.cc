// kv_load: a closed-loop load driver for a Tessera cluster (the native Kv API, proto/kv.proto) or
// an etcd v3 cluster (etcd's own KV API, proto/etcd/rpc.proto). Both targets are driven by the
// same loop, the same key and value generator and the same histogram, so that side-by-side figures
// (docs/benchmarks.md) compare the servers rather than two client libraries.
//
// Model. `--clients` slots each keep exactly one request in flight: when a response arrives the
// slot records it and sends the next one at once (closed loop). A request that is redirected
// (Tessera NotLeader) or refused for a retryable reason is retried by the same slot, and its
// latency runs from the first attempt to the final answer.
//
// Why asynchronous: the machine this runs on has 2 cores shared with every server process. 64
// blocking threads would cost a context switch and a wakeup per operation and contend with the
// servers for the cores; instead `--threads` (default 1) gRPC CompletionQueue threads multiplex all
// slots over one HTTP/2 connection per endpoint (`--conns` opens more), which is also how etcd's
// Go client behaves (one connection, many concurrent streams).
//
// Targets:
//   tessera  put = Put (BatchPut of --batch keys when --batch > 1), get = Get with STRONG
//            consistency; requests name shard --shard-id at epoch {--conf-version, --version};
//            NotLeader hints are followed (the first endpoint is tried first). With --shards N
//            (a cluster started with --initial-shards N), each request goes to the shard of its
//            key (key k: shard 1 + k % N), with one leader guess per shard.
//   etcd     put = KV.Put (a Txn of --batch puts when --batch > 1), get = linearizable KV.Range of
//            one key; every request goes to the leader found with Maintenance.Status at start.
//
// Output: operations per second (one batch is one operation; keys/s is reported too), latency
// percentiles, errors by kind, retries, and, with --server-pids, the CPU time the server processes
// used per operation during the measured window (from /proc/<pid>/stat).
#include <grpcpp/alarm.h>
#include <grpcpp/grpcpp.h>
#include <time.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "bench/proc_stats.h"
#include "proto/etcd/rpc.grpc.pb.h"
#include "proto/kv.grpc.pb.h"
#include "server/bootstrap_keys.h"

namespace tessera::bench {
namespace {

using Clock = std::chrono::steady_clock;

// ---- Latency histogram
// ---------------------------------------------------------------------------

// An HDR-style histogram of non-negative integers (nanoseconds here) with a bounded relative
// error: values below 2^kSubBits are exact; above, each power of two is split into 2^kSubBits
// equal buckets, so a reported value is within 1/128 (0.8%) of the true one. Fixed size (about
// 60 KB), no allocation per value. Not thread-safe: one per thread, merged at the end.
class LatencyHistogram {
 public:
  static constexpr int kSubBits = 7;
  static constexpr uint64_t kSub = uint64_t{1} << kSubBits;
  static constexpr size_t kBuckets = (64 - kSubBits + 1) * kSub;

  LatencyHistogram() : counts_(kBuckets, 0) {}

  void Record(uint64_t v) {
    ++counts_[Index(v)];
    ++total_;
    sum_ += v;
    max_ = std::max(max_, v);
  }

  void Merge(const LatencyHistogram& o) {
    for (size_t i = 0; i < kBuckets; ++i) counts_[i] += o.counts_[i];
    total_ += o.total_;
    sum_ += o.sum_;
    max_ = std::max(max_, o.max_);
  }

  uint64_t count() const { return total_; }
  uint64_t max() const { return max_; }
  double mean() const { return total_ == 0 ? 0.0 : static_cast<double>(sum_) / total_; }

  // The smallest recorded bucket's highest value at or above which a fraction `q` (0 < q <= 1)
  // of the values lies below (HDR's "highest equivalent value"), capped at the maximum. 0 when
  // empty.
  uint64_t Percentile(double q) const {
    if (total_ == 0) return 0;
    const uint64_t rank =
        std::max<uint64_t>(1, static_cast<uint64_t>(std::ceil(q * static_cast<double>(total_))));
    uint64_t seen = 0;
    for (size_t i = 0; i < kBuckets; ++i) {
      seen += counts_[i];
      if (seen >= rank) return std::min(HighestEquivalent(i), max_);
    }
    return max_;
  }

 private:
  static size_t Index(uint64_t v) {
    if (v < kSub) return v;
    const int msb = 63 - __builtin_clzll(v);  // >= kSubBits
    const int shift = msb - kSubBits;
    const uint64_t mantissa = v >> shift;  // in [kSub, 2 * kSub)
    return static_cast<size_t>(shift + 1) * kSub + (mantissa - kSub);
  }
  static uint64_t HighestEquivalent(size_t index) {
    if (index < kSub) return index;
    const int shift = static_cast<int>(index / kSub) - 1;
    const uint64_t mantissa = kSub + index % kSub;
    return ((mantissa + 1) << shift) - 1;
  }

  std::vector<uint64_t> counts_;
  uint64_t total_ = 0;
  uint64_t sum_ = 0;
  uint64_t max_ = 0;
};

// ---- Options
// --------------------------------------------------------------------------------------

enum class OpKind { kPut, kGet };

struct Options {
  std::string target = "tessera";  // tessera | etcd
  std::vector<std::string> endpoints;
  int clients = 1;
  int threads = 1;
  int conns = 1;  // connections per endpoint
  double duration_s = 10;
  double warmup_s = 2;
  std::string op = "put";  // put | get | mixed
  double read_fraction = 0.5;
  int value_bytes = 100;
  uint64_t keys = 100000;
  int batch = 1;
  bool preload = false;  // write every key once before the warm-up
  int timeout_ms = 5000;
  int max_attempts = 100;
  uint64_t shard_id = 1;
  // tessera: > 0 spreads requests over shards 1..shards of a cluster bootstrapped with
  // --initial-shards (key k goes to shard 1 + k % shards, under its start key); epoch 0/0.
  uint64_t shards = 0;
  uint64_t conf_version = 0;
  uint64_t version = 0;
  std::vector<int> server_pids;
  std::string output = "text";
  std::string label;
  uint64_t seed = 1;
};

// ---- Workload
// -------------------------------------------------------------------------------------

constexpr char kKeyPrefix[] = "kvload/";
constexpr size_t kKeyDigits = 10;

// Writes the name of key `i` into `out` ("kvload/" and 10 decimal digits): fixed width, so the
// key order is the numeric order, and no allocation once `out` has grown.
void KeyName(uint64_t i, std::string* out) {
  out->assign(kKeyPrefix);
  out->resize(sizeof(kKeyPrefix) - 1 + kKeyDigits);
  for (size_t d = 0; d < kKeyDigits; ++d) {
    (*out)[out->size() - 1 - d] = static_cast<char>('0' + i % 10);
    i /= 10;
  }
}

// Random printable bytes; a value is a window of it at a random offset, so values differ (no
// engine can compress them to nothing) without generating bytes per operation.
class ValueSource {
 public:
  ValueSource(int value_bytes, uint64_t seed) : len_(static_cast<size_t>(value_bytes)) {
    std::mt19937_64 rng(seed);
    buf_.resize(len_ + kWindow);
    for (char& c : buf_) c = static_cast<char>('a' + rng() % 26);
  }
  std::string_view Next(std::mt19937_64& rng) const { return {&buf_[rng() % kWindow], len_}; }

 private:
  static constexpr size_t kWindow = 64 * 1024;
  size_t len_;
  std::string buf_;
};

// One operation: its kind and key indices (batch > 1: distinct keys).
struct Op {
  OpKind kind = OpKind::kPut;
  std::vector<uint64_t> keys;
};

// ---- Targets
// --------------------------------------------------------------------------------------

enum class Verdict {
  kOk,
  kRetryNow,    // redirected: send again at once (to the new endpoint)
  kRetryLater,  // refused but retryable: send again after a short backoff
  kFailed,      // counted as an error; the slot moves on
};

struct Outcome {
  Verdict verdict;
  std::string error_kind;  // kFailed (and retries, for the log of retry reasons)
};

// One slot's in-flight call. NewOp fills the request; Start sends it (possibly again, after a
// retry verdict); the completion queue then returns `tag` and Finish interprets the result.
class Call {
 public:
  virtual ~Call() = default;
  virtual void NewOp(const Op& op, std::string_view value) = 0;
  virtual void Start(grpc::CompletionQueue* cq, void* tag, Clock::duration timeout) = 0;
  virtual Outcome Finish() = 0;
};

class Target {
 public:
  virtual ~Target() = default;
  // Called once before any load (e.g. to find the leader). False: cannot proceed.
  virtual bool Connect(std::string* why) = 0;
  virtual std::unique_ptr<Call> NewCall(int slot) = 0;
  // A line for the report: which endpoint served the load.
  virtual std::string Describe() const = 0;
};

std::string CodeName(grpc::StatusCode c) {
  switch (c) {
    case grpc::StatusCode::CANCELLED:
      return "grpc_cancelled";
    case grpc::StatusCode::DEADLINE_EXCEEDED:
      return "grpc_deadline_exceeded";
    case grpc::StatusCode::UNAVAILABLE:
      return "grpc_unavailable";
    case grpc::StatusCode::RESOURCE_EXHAUSTED:
      return "grpc_resource_exhausted";
    case grpc::StatusCode::INVALID_ARGUMENT:
      return "grpc_invalid_argument";
    case grpc::StatusCode::UNIMPLEMENTED:
      return "grpc_unimplemented";
    default:
      return "grpc_code_" + std::to_string(static_cast<int>(c));
  }
}

// `conns` channels to `address`, each with its own TCP connection (a local subchannel pool keeps
// gRPC from sharing one connection among channels with equal arguments).
std::vector<std::shared_ptr<grpc::Channel>> Channels(const std::string& address, int conns) {
  std::vector<std::shared_ptr<grpc::Channel>> out;
  for (int i = 0; i < conns; ++i) {
    grpc::ChannelArguments args;
    args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
    args.SetInt("kv_load.connection", i);
    out.push_back(grpc::CreateCustomChannel(address, grpc::InsecureChannelCredentials(), args));
  }
  return out;
}

// -- Tessera --

class TesseraTarget final : public Target {
 public:
  struct Endpoint {
    uint64_t node_id;
    std::string address;
    std::vector<std::unique_ptr<v1::Kv::Stub>> stubs;  // one per connection
  };

  explicit TesseraTarget(const Options& o) : opts_(o) {
    uint64_t next_id = 1;
    for (const std::string& e : o.endpoints) {
      // "id=host:port" names the node id; a bare "host:port" takes its position (1, 2, ...).
      Endpoint ep;
      const size_t eq = e.find('=');
      ep.node_id = eq == std::string::npos ? next_id : std::stoull(e.substr(0, eq));
      ep.address = eq == std::string::npos ? e : e.substr(eq + 1);
      for (auto& ch : Channels(ep.address, o.conns)) ep.stubs.push_back(v1::Kv::NewStub(ch));
      endpoints_.push_back(std::move(ep));
      ++next_id;
    }
  }

  bool Connect(std::string* why) override {
    if (endpoints_.empty()) {
      *why = "no endpoints";
      return false;
    }
    return true;
  }
  std::unique_ptr<Call> NewCall(int slot) override;
  std::string Describe() const override {
    if (opts_.shards > 0) return "tessera, " + std::to_string(opts_.shards) + " shards";
    const Endpoint& e = endpoints_[static_cast<size_t>(leader_.load())];
    return "tessera leader node " + std::to_string(e.node_id) + " at " + e.address;
  }

  const Options& opts() const { return opts_; }
  int leader(uint64_t shard) const { return LeaderOf(shard).load(std::memory_order_relaxed); }
  v1::Kv::Stub* stub(int endpoint, int slot) {
    auto& s = endpoints_[static_cast<size_t>(endpoint)].stubs;
    return s[static_cast<size_t>(slot) % s.size()].get();
  }
  // Follows a NotLeader hint; without a usable hint, moves on from `tried` to the next endpoint
  // (a compare-and-swap, so that many slots failing at once advance the guess only once).
  void Redirect(uint64_t shard, int tried, const v1::NotLeader* hint) {
    std::atomic<int>& leader = LeaderOf(shard);
    if (hint != nullptr) {
      for (size_t i = 0; i < endpoints_.size(); ++i) {
        if ((hint->leader_node_id() != 0 && endpoints_[i].node_id == hint->leader_node_id()) ||
            (!hint->leader_address().empty() && endpoints_[i].address == hint->leader_address())) {
          leader.store(static_cast<int>(i));
          return;
        }
      }
    }
    int expected = tried;
    leader.compare_exchange_strong(expected, (tried + 1) % static_cast<int>(endpoints_.size()));
  }

 private:
  // The endpoint believed to lead `shard` (one guess per shard in --shards mode).
  std::atomic<int>& LeaderOf(uint64_t shard) const {
    return opts_.shards == 0 ? leader_ : shard_leaders_[(shard - 1) % opts_.shards];
  }

  const Options& opts_;
  std::vector<Endpoint> endpoints_;
  mutable std::atomic<int> leader_{0};
  mutable std::unique_ptr<std::atomic<int>[]> shard_leaders_ {
    opts_.shards == 0 ? nullptr : new std::atomic<int>[ opts_.shards ]()
  };
};

class TesseraCall final : public Call {
 public:
  TesseraCall(TesseraTarget* t, int slot) : t_(t), slot_(slot) {
    v1::RequestHeader h;
    h.set_shard_id(t->opts().shard_id);
    h.mutable_epoch()->set_conf_version(t->opts().conf_version);
    h.mutable_epoch()->set_version(t->opts().version);
    *put_.mutable_header() = h;
    *bput_.mutable_header() = h;
    *get_.mutable_header() = h;
    get_.mutable_read()->set_consistency(v1::READ_CONSISTENCY_STRONG);
  }

  void NewOp(const Op& op, std::string_view value) override {
    kind_ = op.kind;
    batch_ = op.keys.size() > 1;
    shard_ = t_->opts().shard_id;
    if (t_->opts().shards > 0) {
      // --shards mode (single-key operations): the key's shard, and the key under its start.
      shard_ = 1 + op.keys[0] % t_->opts().shards;
      for (auto* h : {put_.mutable_header(), get_.mutable_header()}) h->set_shard_id(shard_);
    }
    if (kind_ == OpKind::kGet) {
      KeyName(op.keys[0], get_.mutable_key());
      if (t_->opts().shards > 0) get_.mutable_key()->insert(0, server::BootstrapShardStart(shard_));
    } else if (!batch_) {
      KeyName(op.keys[0], put_.mutable_key());
      if (t_->opts().shards > 0) put_.mutable_key()->insert(0, server::BootstrapShardStart(shard_));
      put_.set_value(value.data(), value.size());
    } else {
      auto* pairs = bput_.mutable_pairs();
      while (pairs->size() > static_cast<int>(op.keys.size())) pairs->RemoveLast();
      while (pairs->size() < static_cast<int>(op.keys.size())) pairs->Add();
      for (size_t i = 0; i < op.keys.size(); ++i) {
        v1::KeyValue* kv = pairs->Mutable(static_cast<int>(i));
        KeyName(op.keys[i], kv->mutable_key());
        kv->set_value(value.data(), value.size());
      }
    }
  }

  void Start(grpc::CompletionQueue* cq, void* tag, Clock::duration timeout) override {
    ctx_ = std::make_unique<grpc::ClientContext>();
    ctx_->set_deadline(std::chrono::system_clock::now() + timeout);
    endpoint_ = t_->leader(shard_);
    v1::Kv::Stub* stub = t_->stub(endpoint_, slot_);
    if (kind_ == OpKind::kGet) {
      get_rpc_ = stub->AsyncGet(ctx_.get(), get_, cq);
      get_rpc_->Finish(&get_resp_, &status_, tag);
    } else if (!batch_) {
      put_rpc_ = stub->AsyncPut(ctx_.get(), put_, cq);
      put_rpc_->Finish(&put_resp_, &status_, tag);
    } else {
      bput_rpc_ = stub->AsyncBatchPut(ctx_.get(), bput_, cq);
      bput_rpc_->Finish(&bput_resp_, &status_, tag);
    }
  }

  Outcome Finish() override {
    if (!status_.ok()) {
      if (status_.error_code() == grpc::StatusCode::UNAVAILABLE) {
        t_->Redirect(shard_, endpoint_, nullptr);
        return {Verdict::kRetryLater, CodeName(status_.error_code())};
      }
      return {Verdict::kFailed, CodeName(status_.error_code())};
    }
    const v1::Error* e = kind_ == OpKind::kGet
                             ? (get_resp_.has_error() ? &get_resp_.error() : nullptr)
                         : !batch_ ? (put_resp_.has_error() ? &put_resp_.error() : nullptr)
                                   : (bput_resp_.has_error() ? &bput_resp_.error() : nullptr);
    if (e == nullptr) return {Verdict::kOk, {}};
    switch (e->kind_case()) {
      case v1::Error::kNotLeader:
        t_->Redirect(shard_, endpoint_, &e->not_leader());
        return {e->not_leader().leader_node_id() != 0 ? Verdict::kRetryNow : Verdict::kRetryLater,
                "not_leader"};
      case v1::Error::kServerIsBusy:
        return {Verdict::kRetryLater, "server_is_busy"};
      case v1::Error::kProposalDropped:
        return {Verdict::kRetryLater, "proposal_dropped"};
      case v1::Error::kTimeout:
        return {Verdict::kFailed, "timeout"};  // outcome unknown: never a silent retry here
      case v1::Error::kEpochNotMatch:
        return {Verdict::kFailed, "epoch_not_match"};
      case v1::Error::kKeyNotInShard:
        return {Verdict::kFailed, "key_not_in_shard"};
      case v1::Error::kShardNotFound:
        return {Verdict::kFailed, "shard_not_found"};
      case v1::Error::kInvalidArgument:
        return {Verdict::kFailed, "invalid_argument"};
      default:
        return {Verdict::kFailed, "unknown_error"};
    }
  }

 private:
  TesseraTarget* t_;
  int slot_;
  OpKind kind_ = OpKind::kPut;
  bool batch_ = false;
  uint64_t shard_ = 1;
  int endpoint_ = 0;
  v1::PutRequest put_;
  v1::BatchPutRequest bput_;
  v1::GetRequest get_;
  v1::PutResponse put_resp_;
  v1::BatchPutResponse bput_resp_;
  v1::GetResponse get_resp_;
  std::unique_ptr<grpc::ClientContext> ctx_;
  grpc::Status status_;
  std::unique_ptr<grpc::ClientAsyncResponseReader<v1::PutResponse>> put_rpc_;
  std::unique_ptr<grpc::ClientAsyncResponseReader<v1::BatchPutResponse>> bput_rpc_;
  std::unique_ptr<grpc::ClientAsyncResponseReader<v1::GetResponse>> get_rpc_;
};

std::unique_ptr<Call> TesseraTarget::NewCall(int slot) {
  return std::make_unique<TesseraCall>(this, slot);
}

// -- etcd --

class EtcdTarget final : public Target {
 public:
  explicit EtcdTarget(const Options& o) : opts_(o) {}

  // Asks every endpoint for its status and uses the one that is the leader (etcd followers
  // forward writes and read-index requests to it, which would add a hop Tessera's client avoids).
  bool Connect(std::string* why) override {
    uint64_t leader_id = 0;
    std::map<uint64_t, std::string> member_address;
    for (const std::string& e : opts_.endpoints) {
      auto stub = etcdserverpb::Maintenance::NewStub(
          grpc::CreateChannel(e, grpc::InsecureChannelCredentials()));
      grpc::ClientContext ctx;
      ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(3));
      etcdserverpb::StatusResponse resp;
      grpc::Status s = stub->Status(&ctx, etcdserverpb::StatusRequest(), &resp);
      if (!s.ok()) continue;
      member_address[resp.header().member_id()] = e;
      if (resp.leader() != 0) leader_id = resp.leader();
    }
    if (member_address.empty()) {
      *why = "no etcd endpoint answered Maintenance.Status";
      return false;
    }
    auto it = member_address.find(leader_id);
    address_ = it != member_address.end() ? it->second : member_address.begin()->second;
    for (auto& ch : Channels(address_, opts_.conns)) {
      stubs_.push_back(etcdserverpb::KV::NewStub(ch));
    }
    return true;
  }
  std::unique_ptr<Call> NewCall(int slot) override;
  std::string Describe() const override { return "etcd leader at " + address_; }
  etcdserverpb::KV::Stub* stub(int slot) {
    return stubs_[static_cast<size_t>(slot) % stubs_.size()].get();
  }

 private:
  const Options& opts_;
  std::string address_;
  std::vector<std::unique_ptr<etcdserverpb::KV::Stub>> stubs_;
};

class EtcdCall final : public Call {
 public:
  EtcdCall(EtcdTarget* t, int slot) : t_(t), slot_(slot) {}

  void NewOp(const Op& op, std::string_view value) override {
    kind_ = op.kind;
    batch_ = op.keys.size() > 1;
    if (kind_ == OpKind::kGet) {
      KeyName(op.keys[0], range_.mutable_key());  // linearizable: serializable stays false
    } else if (!batch_) {
      KeyName(op.keys[0], put_.mutable_key());
      put_.set_value(value.data(), value.size());
    } else {
      auto* ops = txn_.mutable_success();
      while (ops->size() > static_cast<int>(op.keys.size())) ops->RemoveLast();
      while (ops->size() < static_cast<int>(op.keys.size())) ops->Add();
      for (size_t i = 0; i < op.keys.size(); ++i) {
        etcdserverpb::PutRequest* p = ops->Mutable(static_cast<int>(i))->mutable_request_put();
        KeyName(op.keys[i], p->mutable_key());
        p->set_value(value.data(), value.size());
      }
    }
  }

  void Start(grpc::CompletionQueue* cq, void* tag, Clock::duration timeout) override {
    ctx_ = std::make_unique<grpc::ClientContext>();
    ctx_->set_deadline(std::chrono::system_clock::now() + timeout);
    etcdserverpb::KV::Stub* stub = t_->stub(slot_);
    if (kind_ == OpKind::kGet) {
      range_rpc_ = stub->AsyncRange(ctx_.get(), range_, cq);
      range_rpc_->Finish(&range_resp_, &status_, tag);
    } else if (!batch_) {
      put_rpc_ = stub->AsyncPut(ctx_.get(), put_, cq);
      put_rpc_->Finish(&put_resp_, &status_, tag);
    } else {
      txn_rpc_ = stub->AsyncTxn(ctx_.get(), txn_, cq);
      txn_rpc_->Finish(&txn_resp_, &status_, tag);
    }
  }

  Outcome Finish() override {
    if (status_.ok()) return {Verdict::kOk, {}};
    // etcd reports "leader changed" and similar transient states as UNAVAILABLE.
    if (status_.error_code() == grpc::StatusCode::UNAVAILABLE) {
      return {Verdict::kRetryLater, CodeName(status_.error_code())};
    }
    return {Verdict::kFailed, CodeName(status_.error_code())};
  }

 private:
  EtcdTarget* t_;
  int slot_;
  OpKind kind_ = OpKind::kPut;
  bool batch_ = false;
  etcdserverpb::PutRequest put_;
  etcdserverpb::RangeRequest range_;
  etcdserverpb::TxnRequest txn_;
  etcdserverpb::PutResponse put_resp_;
  etcdserverpb::RangeResponse range_resp_;
  etcdserverpb::TxnResponse txn_resp_;
  std::unique_ptr<grpc::ClientContext> ctx_;
  grpc::Status status_;
  std::unique_ptr<grpc::ClientAsyncResponseReader<etcdserverpb::PutResponse>> put_rpc_;
  std::unique_ptr<grpc::ClientAsyncResponseReader<etcdserverpb::RangeResponse>> range_rpc_;
  std::unique_ptr<grpc::ClientAsyncResponseReader<etcdserverpb::TxnResponse>> txn_rpc_;
};

std::unique_ptr<Call> EtcdTarget::NewCall(int slot) {
  return std::make_unique<EtcdCall>(this, slot);
}

// ---- Driver
// ---------------------------------------------------------------------------------------

// What one thread measured inside the window.
struct ThreadStats {
  LatencyHistogram latency_ns;
  uint64_t ops = 0;
  uint64_t retries = 0;
  std::map<std::string, uint64_t> errors;
  std::map<std::string, uint64_t> retry_reasons;

  void Merge(const ThreadStats& o) {
    latency_ns.Merge(o.latency_ns);
    ops += o.ops;
    retries += o.retries;
    for (auto& [k, v] : o.errors) errors[k] += v;
    for (auto& [k, v] : o.retry_reasons) retry_reasons[k] += v;
  }
};

// A phase: either a preload (every key written once, in order) or a timed run whose completions
// in [measure_start, end) are recorded.
struct Phase {
  bool preload = false;
  std::atomic<uint64_t> next_key{0};
  Clock::time_point measure_start;
  Clock::time_point end;
};

struct Slot {
  int index = 0;
  std::mt19937_64 rng;
  std::unique_ptr<Call> call;
  Op op;
  Clock::time_point op_start;
  int attempts = 0;
  bool in_backoff = false;
  std::unique_ptr<grpc::Alarm> alarm;
};

class Driver {
 public:
  Driver(const Options& o, Target* target)
      : opts_(o), target_(target), values_(o.value_bytes, o.seed) {
    for (int t = 0; t < o.threads; ++t) {
      cqs_.push_back(std::make_unique<grpc::CompletionQueue>());
    }
    for (int i = 0; i < o.clients; ++i) {
      auto s = std::make_unique<Slot>();
      s->index = i;
      s->rng.seed(o.seed * 1000003 + static_cast<uint64_t>(i));
      s->call = target->NewCall(i);
      slots_.push_back(std::move(s));
    }
  }

  ~Driver() {
    for (auto& cq : cqs_) {
      cq->Shutdown();
      void* tag;
      bool ok;
      while (cq->Next(&tag, &ok)) {
      }
    }
  }

  // Runs `phase` on every thread until each slot has stopped; returns the merged stats.
  ThreadStats Run(Phase* phase, const std::function<void()>& while_running = {}) {
    std::vector<ThreadStats> stats(static_cast<size_t>(opts_.threads));
    std::vector<std::thread> threads;
    for (int t = 0; t < opts_.threads; ++t) {
      threads.emplace_back([this, t, phase, &stats] { ThreadMain(t, phase, &stats[t]); });
    }
    if (while_running) while_running();
    for (auto& th : threads) th.join();
    ThreadStats all;
    for (auto& s : stats) all.Merge(s);
    return all;
  }

 private:
  void ThreadMain(int t, Phase* phase, ThreadStats* stats) {
    grpc::CompletionQueue* cq = cqs_[static_cast<size_t>(t)].get();
    int active = 0;
    for (size_t i = static_cast<size_t>(t); i < slots_.size();
         i += static_cast<size_t>(opts_.threads)) {
      Slot* s = slots_[i].get();
      if (NextOp(s, phase)) {
        Attempt(s, cq);
        ++active;
      }
    }
    while (active > 0) {
      void* tag;
      bool ok;
      if (!cq->Next(&tag, &ok)) break;
      if (!OnEvent(static_cast<Slot*>(tag), cq, phase, stats)) --active;
    }
  }

  bool NextOp(Slot* s, Phase* phase) {
    s->op.keys.clear();
    if (phase->preload) {
      const uint64_t k = phase->next_key.fetch_add(1);
      if (k >= opts_.keys) return false;
      s->op.kind = OpKind::kPut;
      s->op.keys.push_back(k);
    } else {
      if (Clock::now() >= phase->end) return false;
      const bool read =
          opts_.op == "get" || (opts_.op == "mixed" && std::uniform_real_distribution<double>(
                                                           0, 1)(s->rng) < opts_.read_fraction);
      s->op.kind = read ? OpKind::kGet : OpKind::kPut;
      const int n = read ? 1 : opts_.batch;
      while (static_cast<int>(s->op.keys.size()) < n) {
        const uint64_t k = s->rng() % opts_.keys;
        // Distinct keys in a batch (etcd refuses a Txn that writes one key twice).
        if (std::find(s->op.keys.begin(), s->op.keys.end(), k) == s->op.keys.end()) {
          s->op.keys.push_back(k);
        }
      }
    }
    s->call->NewOp(s->op, values_.Next(s->rng));
    s->op_start = Clock::now();
    s->attempts = 0;
    return true;
  }

  void Attempt(Slot* s, grpc::CompletionQueue* cq) {
    ++s->attempts;
    s->call->Start(cq, s, std::chrono::milliseconds(opts_.timeout_ms));
  }

  // Handles one completion of `s`; false when the slot has stopped for this phase.
  bool OnEvent(Slot* s, grpc::CompletionQueue* cq, Phase* phase, ThreadStats* stats) {
    if (s->in_backoff) {
      s->in_backoff = false;
      Attempt(s, cq);
      return true;
    }
    Outcome o = s->call->Finish();
    const Clock::time_point now = Clock::now();
    const bool record = !phase->preload && now >= phase->measure_start && now < phase->end;
    if ((o.verdict == Verdict::kRetryNow || o.verdict == Verdict::kRetryLater) &&
        s->attempts < opts_.max_attempts) {
      if (record) {
        ++stats->retries;
        ++stats->retry_reasons[o.error_kind];
      }
      if (o.verdict == Verdict::kRetryNow) {
        Attempt(s, cq);
      } else {
        s->in_backoff = true;
        s->alarm = std::make_unique<grpc::Alarm>();
        s->alarm->Set(cq, std::chrono::system_clock::now() + std::chrono::milliseconds(5), s);
      }
      return true;
    }
    if (record) {
      if (o.verdict == Verdict::kOk) {
        ++stats->ops;
        stats->latency_ns.Record(static_cast<uint64_t>(
            std::chrono::duration_cast<std::chrono::nanoseconds>(now - s->op_start).count()));
      } else {
        ++stats->errors[o.verdict == Verdict::kFailed ? o.error_kind : "retries_exhausted"];
      }
    } else if (phase->preload && o.verdict != Verdict::kOk) {
      ++stats->errors["preload_" + o.error_kind];
    }
    if (!NextOp(s, phase)) return false;
    Attempt(s, cq);
    return true;
  }

  const Options& opts_;
  Target* target_;
  ValueSource values_;
  std::vector<std::unique_ptr<grpc::CompletionQueue>> cqs_;
  std::vector<std::unique_ptr<Slot>> slots_;
};

// ---- CPU accounting
// -------------------------------------------------------------------------------

int64_t SelfCpuMicros() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1000000 + ts.tv_nsec / 1000;
}

struct CpuSample {
  std::vector<int64_t> servers;
  int64_t self = 0;
};

CpuSample SampleCpu(const std::vector<int>& pids) {
  CpuSample s;
  for (int pid : pids) s.servers.push_back(ProcessCpuMicros(pid));
  s.self = SelfCpuMicros();
  return s;
}

// ---- Report
// ---------------------------------------------------------------------------------------

struct Report {
  std::string describe;
  double seconds = 0;
  ThreadStats stats;
  int64_t server_cpu_us = -1;  // summed over --server-pids; -1: not measured
  int64_t client_cpu_us = 0;
};

std::string JsonEscape(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out;
}

std::string JsonMap(const std::map<std::string, uint64_t>& m) {
  std::string out = "{";
  for (auto& [k, v] : m) {
    if (out.size() > 1) out += ", ";
    out += "\"" + JsonEscape(k) + "\": " + std::to_string(v);
  }
  return out + "}";
}

void Print(const Options& o, const Report& r) {
  const LatencyHistogram& h = r.stats.latency_ns;
  const double ops_s = r.seconds > 0 ? r.stats.ops / r.seconds : 0;
  const double keys_per_op = o.op == "get" ? 1 : o.batch;
  auto us = [&](double q) { return h.Percentile(q) / 1000.0; };
  uint64_t errors = 0;
  for (auto& [k, v] : r.stats.errors) errors += v;
  const double server_us_op = r.server_cpu_us >= 0 && r.stats.ops > 0
                                  ? static_cast<double>(r.server_cpu_us) / r.stats.ops
                                  : -1;
  const double client_us_op =
      r.stats.ops > 0 ? static_cast<double>(r.client_cpu_us) / r.stats.ops : -1;
  std::ostringstream out;
  out.setf(std::ios::fixed);
  out.precision(1);
  if (o.output == "json") {
    out << "{\"label\": \"" << JsonEscape(o.label) << "\", \"target\": \"" << o.target
        << "\", \"op\": \"" << o.op << "\", \"clients\": " << o.clients
        << ", \"batch\": " << o.batch << ", \"value_bytes\": " << o.value_bytes
        << ", \"keys\": " << o.keys << ", \"seconds\": " << r.seconds
        << ", \"ops\": " << r.stats.ops << ", \"ops_per_s\": " << ops_s
        << ", \"keys_per_s\": " << ops_s * keys_per_op << ", \"latency_us\": {\"p50\": " << us(0.5)
        << ", \"p90\": " << us(0.9) << ", \"p99\": " << us(0.99) << ", \"p999\": " << us(0.999)
        << ", \"max\": " << h.max() / 1000.0 << ", \"mean\": " << h.mean() / 1000.0
        << "}, \"errors\": " << errors << ", \"errors_by_kind\": " << JsonMap(r.stats.errors)
        << ", \"retries\": " << r.stats.retries
        << ", \"retries_by_kind\": " << JsonMap(r.stats.retry_reasons)
        << ", \"server_cpu_us_per_op\": " << server_us_op
        << ", \"client_cpu_us_per_op\": " << client_us_op << ", \"served_by\": \""
        << JsonEscape(r.describe) << "\"}\n";
  } else {
    out << (o.label.empty() ? "" : o.label + ": ") << o.target << " " << o.op << " clients "
        << o.clients << " batch " << o.batch << " value " << o.value_bytes << " B (" << r.describe
        << ")\n"
        << "  " << ops_s << " ops/s (" << ops_s * keys_per_op << " keys/s), " << r.stats.ops
        << " ops in " << r.seconds << " s\n"
        << "  latency us: p50 " << us(0.5) << "  p90 " << us(0.9) << "  p99 " << us(0.99)
        << "  p999 " << us(0.999) << "  max " << h.max() / 1000.0 << "\n"
        << "  errors " << errors << " " << JsonMap(r.stats.errors) << ", retries "
        << r.stats.retries << " " << JsonMap(r.stats.retry_reasons) << "\n";
    if (server_us_op >= 0) out << "  server CPU per op: " << server_us_op << " us\n";
    out << "  client CPU per op: " << client_us_op << " us\n";
  }
  std::cout << out.str() << std::flush;
}

std::vector<std::string> SplitComma(const std::string& s) {
  std::vector<std::string> out;
  std::istringstream in(s);
  std::string part;
  while (std::getline(in, part, ',')) {
    if (!part.empty()) out.push_back(part);
  }
  return out;
}

int Main(int argc, char** argv) {
  Options o;
  CLI::App app{"Closed-loop load driver for Tessera (native Kv API) and etcd v3 (KV API)"};
  std::string endpoints;
  std::string pids;
  app.add_option("--target", o.target, "tessera or etcd")
      ->check(CLI::IsMember({"tessera", "etcd"}));
  app.add_option("--endpoints", endpoints,
                 "Comma-separated host:port list (tessera: optionally id=host:port)")
      ->required();
  app.add_option("--clients", o.clients, "Concurrent requests in flight")
      ->check(CLI::Range(1, 100000));
  app.add_option("--threads", o.threads, "Client completion-queue threads")
      ->check(CLI::Range(1, 64));
  app.add_option("--conns", o.conns, "TCP connections per endpoint")->check(CLI::Range(1, 64));
  app.add_option("--duration-s", o.duration_s, "Measured seconds")->check(CLI::PositiveNumber);
  app.add_option("--warmup-s", o.warmup_s, "Unmeasured seconds before")
      ->check(CLI::NonNegativeNumber);
  app.add_option("--op", o.op, "put, get or mixed")->check(CLI::IsMember({"put", "get", "mixed"}));
  app.add_option("--read-fraction", o.read_fraction, "mixed: fraction of gets")
      ->check(CLI::Range(0.0, 1.0));
  app.add_option("--value-bytes", o.value_bytes, "Value size")->check(CLI::Range(0, 1 << 24));
  app.add_option("--keys", o.keys, "Key space size (keys chosen uniformly)")
      ->check(CLI::Range(uint64_t{1}, uint64_t{10000000000}));
  app.add_option("--batch", o.batch, "Keys per write (tessera: BatchPut; etcd: a Txn of puts)")
      ->check(CLI::Range(1, 10000));
  app.add_flag("--preload", o.preload, "Write every key once before the warm-up");
  app.add_option("--timeout-ms", o.timeout_ms, "Deadline of one attempt")
      ->check(CLI::Range(1, 3600000));
  app.add_option("--shard-id", o.shard_id, "tessera: shard of every request");
  app.add_option("--shards", o.shards,
                 "tessera: spread single-key requests over shards 1..N (a cluster started with "
                 "--initial-shards N)");
  app.add_option("--conf-version", o.conf_version, "tessera: shard epoch conf_version");
  app.add_option("--version", o.version, "tessera: shard epoch version");
  app.add_option("--server-pids", pids, "Comma-separated server pids, for CPU per operation");
  app.add_option("--output", o.output, "text or json")->check(CLI::IsMember({"text", "json"}));
  app.add_option("--label", o.label, "A name for this run, echoed in the report");
  app.add_option("--seed", o.seed, "Random seed");
  CLI11_PARSE(app, argc, argv);
  o.endpoints = SplitComma(endpoints);
  for (const std::string& p : SplitComma(pids)) o.server_pids.push_back(std::stoi(p));
  if (o.shards > 0 && o.batch > 1) {
    std::cerr << "kv_load: --shards takes single-key requests (--batch 1)\n";
    return 2;
  }
  if (o.batch > 1 && static_cast<uint64_t>(o.batch) > o.keys) {
    std::cerr << "kv_load: --batch larger than --keys\n";
    return 2;
  }

  std::unique_ptr<Target> target;
  if (o.target == "tessera") {
    target = std::make_unique<TesseraTarget>(o);
  } else {
    target = std::make_unique<EtcdTarget>(o);
  }
  std::string why;
  if (!target->Connect(&why)) {
    std::cerr << "kv_load: " << why << "\n";
    return 1;
  }

  Driver driver(o, target.get());
  if (o.preload) {
    Phase preload;
    preload.preload = true;
    const auto start = Clock::now();
    ThreadStats s = driver.Run(&preload);
    const double secs = std::chrono::duration<double>(Clock::now() - start).count();
    uint64_t errors = 0;
    for (auto& [k, v] : s.errors) errors += v;
    std::cerr << "kv_load: preloaded " << o.keys << " keys in " << secs << " s (" << errors
              << " errors)\n";
    if (errors > 0) return 1;
  }

  Phase phase;
  const auto start = Clock::now();
  phase.measure_start = start + std::chrono::duration_cast<Clock::duration>(
                                    std::chrono::duration<double>(o.warmup_s));
  phase.end = phase.measure_start + std::chrono::duration_cast<Clock::duration>(
                                        std::chrono::duration<double>(o.duration_s));
  CpuSample before;
  CpuSample after;
  ThreadStats stats = driver.Run(&phase, [&] {
    std::this_thread::sleep_until(phase.measure_start);
    before = SampleCpu(o.server_pids);
    std::this_thread::sleep_until(phase.end);
    after = SampleCpu(o.server_pids);
  });

  Report r;
  r.describe = target->Describe();
  r.seconds = o.duration_s;
  r.stats = std::move(stats);
  r.client_cpu_us = after.self - before.self;
  if (!o.server_pids.empty()) {
    r.server_cpu_us = 0;
    for (size_t i = 0; i < o.server_pids.size(); ++i) {
      if (before.servers[i] < 0 || after.servers[i] < 0) {
        r.server_cpu_us = -1;
        break;
      }
      r.server_cpu_us += after.servers[i] - before.servers[i];
    }
  }
  Print(o, r);
  return 0;
}

}  // namespace
}  // namespace tessera::bench

int main(int argc, char** argv) { return tessera::bench::Main(argc, argv); }
