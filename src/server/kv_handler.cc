#include "server/kv_handler.h"

#include <chrono>

#include "common/utf8.h"
#include "storage/engine.h"

namespace tessera::server {

using multiraft::ReadConsistency;
using multiraft::WriteCommand;
using multiraft::WriteOp;
using storage::Cf;

void ToProtoShard(const multiraft::ShardDescriptor& d, v1::ShardDescriptor* out) {
  out->set_id(d.id.value());
  out->set_start_key(d.start_key);
  out->set_end_key(d.end_key);
  out->mutable_epoch()->set_conf_version(d.epoch.conf_version);
  out->mutable_epoch()->set_version(d.epoch.version);
  for (NodeId v : d.voters) out->add_voters(v.value());
  for (NodeId l : d.learners) out->add_learners(l.value());
}

void ToProtoError(const Status& s, const multiraft::RouteHint& hint, ShardId shard,
                  v1::Error* out) {
  // Messages may quote binary keys; the field is a protobuf string (valid UTF-8 only).
  out->set_message(ToValidUtf8(s.ToString()));
  switch (s.code()) {
    case Status::Code::kNotLeader: {
      auto* e = out->mutable_not_leader();
      e->set_shard_id(shard.value());
      e->set_leader_node_id(hint.leader.value());
      break;
    }
    case Status::Code::kEpochNotMatch: {
      auto* e = out->mutable_epoch_not_match();
      for (const auto& d : hint.current) ToProtoShard(d, e->add_current_shards());
      break;
    }
    case Status::Code::kKeyNotInShard: {
      auto* e = out->mutable_key_not_in_shard();
      e->set_shard_id(shard.value());
      if (!hint.current.empty()) {
        e->set_start_key(hint.current.front().start_key);
        e->set_end_key(hint.current.front().end_key);
      }
      break;
    }
    case Status::Code::kShardNotFound:
      out->mutable_shard_not_found()->set_shard_id(shard.value());
      break;
    case Status::Code::kBusy:
      out->mutable_server_is_busy()->set_reason(ToValidUtf8(s.message()));
      break;
    case Status::Code::kProposalDropped:
      out->mutable_proposal_dropped()->set_reason(ToValidUtf8(s.message()));
      break;
    case Status::Code::kTimeout:
      out->mutable_timeout();
      break;
    case Status::Code::kInvalidArgument:
      out->mutable_invalid_argument()->set_message(ToValidUtf8(s.message()));
      break;
    default:
      // Anything else (Unavailable while stopping, an engine error) is retryable and its outcome
      // unknown for writes: report it as a timeout, which clients treat that way.
      out->mutable_timeout();
      break;
  }
}

namespace {

multiraft::Epoch FromProto(const v1::ShardEpoch& e) {
  return multiraft::Epoch{e.conf_version(), e.version()};
}

ReadConsistency FromProto(v1::ReadConsistency c) {
  switch (c) {
    case v1::READ_CONSISTENCY_FOLLOWER:
      return ReadConsistency::kFollower;
    case v1::READ_CONSISTENCY_STALE:
      return ReadConsistency::kStale;
    default:
      return ReadConsistency::kStrong;
  }
}

Status CheckHeader(const v1::RequestHeader& h) {
  if (h.shard_id() == 0) return Status::InvalidArgument("request header: shard_id is required");
  if (!h.has_epoch()) return Status::InvalidArgument("request header: epoch is required");
  return Status::OK();
}

template <typename Resp>
void FinishWithError(const Status& s, ShardId shard, Resp* resp, const KvHandler::Done& done) {
  ToProtoError(s, {}, shard, resp->mutable_error());
  done();
}

}  // namespace

NodeId KvHandler::node_id() const { return node_->id(); }

template <typename Resp>
KvHandler::Done KvHandler::Timed(std::string_view method, const Resp* resp, Done done) {
  const auto start = std::chrono::steady_clock::now();
  return [this, method, resp, start, done = std::move(done)] {
    // Before done(): the response may be gone once the RPC finishes.
    metrics_.Record(method, std::chrono::steady_clock::now() - start, resp->has_error());
    done();
  };
}

int KvHandler::Drain(int timeout_ms) {
  std::unique_lock<std::mutex> lock(mu_);
  draining_ = true;
  cv_.wait_for(lock, std::chrono::milliseconds(timeout_ms), [&] { return inflight_ == 0; });
  return inflight_;
}

void KvHandler::Finished() {
  std::lock_guard<std::mutex> lock(mu_);
  if (--inflight_ == 0) cv_.notify_all();
}

void KvHandler::SetError(const Status& s, const multiraft::RouteHint& hint, ShardId shard,
                         v1::Error* out) const {
  ToProtoError(s, hint, shard, out);
  if (out->has_not_leader() && hint.leader && address_of_) {
    out->mutable_not_leader()->set_leader_address(address_of_(hint.leader));
  }
}

template <typename Resp>
bool KvHandler::Admit(const v1::RequestHeader& header, Resp* resp, const Done& done) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!draining_) {
      ++inflight_;
      return true;
    }
  }
  ToProtoError(Status::Busy("node shutting down"), {}, ShardId(header.shard_id()),
               resp->mutable_error());
  done();
  return false;
}

template <typename Resp>
void KvHandler::Propose(const v1::RequestHeader& header, WriteCommand cmd, Resp* resp, Done done,
                        std::function<void(const multiraft::WriteResponse&)> fill) {
  const ShardId shard(header.shard_id());
  if (Status s = CheckHeader(header); !s.ok()) return FinishWithError(s, shard, resp, done);
  cmd.epoch = FromProto(header.epoch());
  if (!Admit(header, resp, done)) return;
  node_->Write(shard, std::move(cmd),
               [this, resp, shard, done = std::move(done),
                fill = std::move(fill)](multiraft::WriteResponse r) {
                 if (r.status.ok()) {
                   if (fill) fill(r);
                 } else {
                   SetError(r.status, r.hint, shard, resp->mutable_error());
                 }
                 done();
                 Finished();
               });
}

template <typename Resp>
void KvHandler::ReadThen(const v1::RequestHeader& header, const v1::ReadOptions& opts,
                         std::string start, std::string end, bool point, Resp* resp, Done done,
                         std::function<void(const std::string&)> read) {
  const ShardId shard(header.shard_id());
  if (Status s = CheckHeader(header); !s.ok()) return FinishWithError(s, shard, resp, done);
  multiraft::ReadRequest q;
  q.shard = shard;
  q.epoch = FromProto(header.epoch());
  q.consistency = FromProto(opts.consistency());
  q.max_staleness_ms = opts.max_staleness_ms();
  q.start_key = std::move(start);
  q.end_key = std::move(end);
  q.point = point;
  if (!Admit(header, resp, done)) return;
  node_->Read(std::move(q), [this, resp, shard, done = std::move(done),
                             read = std::move(read)](multiraft::ReadResponse r) {
    if (r.status.ok()) {
      read(r.shard_end_key);
      resp->set_revision(r.revision);
    } else {
      SetError(r.status, r.hint, shard, resp->mutable_error());
    }
    done();
    Finished();
  });
}

void KvHandler::Serve(const v1::GetRequest* req, v1::GetResponse* resp, Done done) {
  done = Timed("get", resp, std::move(done));
  storage::Engine* engine = node_->engine();
  ReadThen(req->header(), req->read(), req->key(), "", true, resp, std::move(done),
           [=](const std::string&) {
             auto v = engine->Get(Cf::kData, req->key());
             if (v.ok()) {
               resp->set_found(true);
               resp->set_value(std::move(v).value());
             } else if (!v.status().Is(Status::Code::kNotFound)) {
               ToProtoError(v.status(), {}, ShardId(req->header().shard_id()),
                            resp->mutable_error());
             }
           });
}

void KvHandler::Serve(const v1::BatchGetRequest* req, v1::BatchGetResponse* resp, Done done) {
  done = Timed("batch_get", resp, std::move(done));
  const ShardId shard(req->header().shard_id());
  if (req->keys().empty())
    return FinishWithError(Status::InvalidArgument("no keys"), shard, resp, done);
  // The read covers the keys' span; the node checks it lies in the shard.
  std::string lo = req->keys(0), hi = req->keys(0);
  for (const auto& k : req->keys()) {
    lo = std::min(lo, k);
    hi = std::max(hi, k);
  }
  storage::Engine* engine = node_->engine();
  ReadThen(req->header(), req->read(), lo, hi + '\0', false, resp, std::move(done),
           [=](const std::string&) {
             auto snap = engine->GetSnapshot();
             if (!snap.ok()) {
               ToProtoError(snap.status(), {}, shard, resp->mutable_error());
               return;
             }
             for (const auto& k : req->keys()) {
               auto* r = resp->add_results();
               auto v = (*snap)->Get(Cf::kData, k);
               if (v.ok()) {
                 r->set_found(true);
                 r->set_value(std::move(v).value());
               }
             }
           });
}

void KvHandler::Serve(const v1::ScanRequest* req, v1::ScanResponse* resp, Done done) {
  done = Timed("scan", resp, std::move(done));
  const ShardId shard(req->header().shard_id());
  if (!req->end_key().empty() && req->end_key() <= req->start_key()) {
    return FinishWithError(Status::InvalidArgument("scan: end_key must be above start_key"), shard,
                           resp, done);
  }
  storage::Engine* engine = node_->engine();
  ReadThen(req->header(), req->read(), req->start_key(), req->end_key(), false, resp,
           std::move(done), [=](const std::string& shard_end) {
             storage::IterOptions io;
             io.lower_bound = req->start_key();
             // An open end stops at the shard's end.
             io.upper_bound = req->end_key().empty() ? shard_end : req->end_key();
             auto it = engine->NewIterator(Cf::kData, io);
             const uint32_t limit = req->limit() == 0 ? UINT32_MAX : req->limit();
             uint32_t n = 0;
             if (req->reverse()) {
               it->SeekToLast();
             } else {
               it->SeekToFirst();
             }
             for (; it->Valid(); req->reverse() ? it->Prev() : it->Next()) {
               if (n == limit) {
                 resp->set_more(true);
                 break;
               }
               auto* kv = resp->add_pairs();
               kv->set_key(std::string(it->key()));
               if (!req->keys_only()) kv->set_value(std::string(it->value()));
               ++n;
             }
             if (!it->status().ok()) {
               resp->clear_pairs();
               ToProtoError(it->status(), {}, shard, resp->mutable_error());
             }
           });
}

void KvHandler::Serve(const v1::PutRequest* req, v1::PutResponse* resp, Done done) {
  done = Timed("put", resp, std::move(done));
  WriteCommand cmd;
  cmd.ops.push_back(WriteOp{WriteOp::Type::kPut, req->key(), req->value(), {}, {}, false});
  Propose(req->header(), std::move(cmd), resp, std::move(done));
}

void KvHandler::Serve(const v1::BatchPutRequest* req, v1::BatchPutResponse* resp, Done done) {
  done = Timed("batch_put", resp, std::move(done));
  WriteCommand cmd;
  cmd.ops.reserve(static_cast<size_t>(req->pairs_size()));
  for (const auto& kv : req->pairs()) {
    cmd.ops.push_back(WriteOp{WriteOp::Type::kPut, kv.key(), kv.value(), {}, {}, false});
  }
  if (cmd.ops.empty()) {
    return FinishWithError(Status::InvalidArgument("batch put: no pairs"),
                           ShardId(req->header().shard_id()), resp, done);
  }
  Propose(req->header(), std::move(cmd), resp, std::move(done));
}

void KvHandler::Serve(const v1::DeleteRequest* req, v1::DeleteResponse* resp, Done done) {
  done = Timed("delete", resp, std::move(done));
  WriteCommand cmd;
  cmd.ops.push_back(WriteOp{WriteOp::Type::kDelete, req->key(), {}, {}, {}, false});
  Propose(req->header(), std::move(cmd), resp, std::move(done));
}

void KvHandler::Serve(const v1::DeleteRangeRequest* req, v1::DeleteRangeResponse* resp, Done done) {
  done = Timed("delete_range", resp, std::move(done));
  if (!req->end_key().empty() && req->end_key() <= req->start_key()) {
    return FinishWithError(Status::InvalidArgument("delete range: end_key must be above start_key"),
                           ShardId(req->header().shard_id()), resp, done);
  }
  WriteCommand cmd;
  cmd.ops.push_back(
      WriteOp{WriteOp::Type::kDeleteRange, req->start_key(), {}, req->end_key(), {}, false});
  Propose(req->header(), std::move(cmd), resp, std::move(done));
}

void KvHandler::Serve(const v1::CompareAndSwapRequest* req, v1::CompareAndSwapResponse* resp,
                      Done done) {
  done = Timed("compare_and_swap", resp, std::move(done));
  WriteOp op{
      WriteOp::Type::kCompareAndSwap, req->key(), req->new_value(), {}, {}, req->delete_key()};
  if (!req->expect_absent()) op.expected = req->expected_value();
  WriteCommand cmd;
  cmd.ops.push_back(std::move(op));
  Propose(req->header(), std::move(cmd), resp, std::move(done),
          [resp](const multiraft::WriteResponse& r) {
            if (r.results.empty()) return;
            resp->set_succeeded(r.results[0].succeeded);
            if (r.results[0].previous) {
              resp->set_previous_found(true);
              resp->set_previous_value(*r.results[0].previous);
            }
          });
}

namespace {

// The write op of one AtomicOp; InvalidArgument for an op the node must not propose.
Status ToWriteOp(const v1::AtomicOp& in, WriteOp* out) {
  using T = v1::AtomicOp;
  switch (in.type()) {
    case T::PUT:
      *out = WriteOp{WriteOp::Type::kPut, in.key(), in.value()};
      break;
    case T::DELETE:
      *out = WriteOp{WriteOp::Type::kDelete, in.key()};
      break;
    case T::DELETE_RANGE:
      *out = WriteOp{WriteOp::Type::kDeleteRange, in.key(), {}, in.end_key()};
      break;
    case T::PUT_VERSIONED:
      *out = WriteOp{WriteOp::Type::kPutVersioned, in.key(), in.value()};
      break;
    case T::ASSERT_MOD_REVISION:
      *out = WriteOp{WriteOp::Type::kAssertModRevision, in.key()};
      break;
    case T::ASSERT_UNCHANGED_SINCE:
      *out = WriteOp{WriteOp::Type::kAssertUnchangedSince, in.key(), {}, in.end_key()};
      break;
    default:
      return Status::InvalidArgument("atomic: unknown op type " + std::to_string(in.type()));
  }
  const bool range = in.type() == T::DELETE_RANGE || in.type() == T::ASSERT_UNCHANGED_SINCE;
  if (range && !in.end_key().empty() && in.end_key() <= in.key()) {
    return Status::InvalidArgument("atomic: a range's end_key must be above its key");
  }
  out->revision = in.revision();
  out->want_previous = in.want_previous();
  return Status::OK();
}

}  // namespace

void KvHandler::Serve(const v1::AtomicRequest* req, v1::AtomicResponse* resp, Done done) {
  done = Timed("atomic", resp, std::move(done));
  const ShardId shard(req->header().shard_id());
  if (req->ops().empty()) {
    return FinishWithError(Status::InvalidArgument("atomic: no ops"), shard, resp, done);
  }
  WriteCommand cmd;
  cmd.ops.resize(static_cast<size_t>(req->ops_size()));
  for (int i = 0; i < req->ops_size(); ++i) {
    if (Status s = ToWriteOp(req->ops(i), &cmd.ops[static_cast<size_t>(i)]); !s.ok()) {
      return FinishWithError(s, shard, resp, done);
    }
  }
  Propose(req->header(), std::move(cmd), resp, std::move(done),
          [resp](const multiraft::WriteResponse& r) {
            resp->set_revision(r.revision);
            bool applied = true;
            for (const multiraft::OpResult& o : r.results) applied = applied && o.succeeded;
            resp->set_applied(applied);
            if (!applied) return;
            for (const multiraft::OpResult& o : r.results) {
              v1::AtomicOpResult* out = resp->add_results();
              if (o.previous) {
                out->set_previous_found(true);
                out->set_previous_value(*o.previous);
              }
              for (const auto& [k, v] : o.deleted) {
                v1::KeyValue* kv = out->add_deleted();
                kv->set_key(k);
                kv->set_value(v);
              }
            }
          });
}

}  // namespace tessera::server
