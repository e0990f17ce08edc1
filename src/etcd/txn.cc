#include "etcd/txn.h"

#include <algorithm>
#include <chrono>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "etcd/compare.h"
#include "etcd/errors.h"
#include "etcd/range_request.h"
#include "etcd/ranges.h"
#include "etcd/txn_check.h"

namespace tessera::etcd {
namespace {

using etcdserverpb::RequestOp;
using etcdserverpb::TxnRequest;
using etcdserverpb::TxnResponse;
using Ops = google::protobuf::RepeatedPtrField<RequestOp>;

bool SameOptions(const ReadOptions& a, const ReadOptions& b) {
  return a.limit == b.limit && a.reverse == b.reverse && a.keys_only == b.keys_only &&
         a.serializable == b.serializable;
}

// One Backend read an attempt made, and what it saw.
struct Read {
  KeyRange range;
  ReadOptions options;
  ReadResult result;
};

// One op of the chosen branch, as planned before the commit.
struct Step {
  const RequestOp* op = nullptr;
  std::optional<size_t> read;   // Range: its read; a Put with ignore_* flags: its key's read
  RangeRead plan;               // Range
  std::optional<size_t> write;  // Put and DeleteRange: the index of its Backend op in writes_
};

// A write the branch made, as later Range ops of the branch must see it.
struct Applied {
  KeyRange range;               // a Put's key, or the range a DeleteRange cleared
  std::optional<KeyValue> put;  // the pair a Put left; nullopt for a DeleteRange
};

// Applies `w` to `kvs`, the whole contents (ascending) of `range` as read before the Txn.
void Overlay(const KeyRange& range, const Applied& w, std::vector<KeyValue>* kvs) {
  if (!w.put.has_value()) {
    std::erase_if(*kvs, [&w](const KeyValue& kv) { return RangeContains(w.range, kv.key); });
    return;
  }
  if (!RangeContains(range, w.put->key)) return;
  auto it = std::lower_bound(kvs->begin(), kvs->end(), w.put->key,
                             [](const KeyValue& kv, const std::string& k) { return kv.key < k; });
  if (it != kvs->end() && it->key == w.put->key) {
    *it = *w.put;
  } else {
    kvs->insert(it, *w.put);
  }
}

// One optimistic attempt (txn.h). Single use.
class Attempt {
 public:
  Attempt(Backend* backend, const TxnRequest& req) : backend_(backend), req_(req) {}

  // OK with *committed false: an assertion failed, nothing applied; run a new Attempt.
  Status Run(bool* committed, TxnResponse* resp) {
    bool succeeded = false;
    TESSERA_RETURN_IF_ERROR(EvaluateCompares(&succeeded));
    TESSERA_RETURN_IF_ERROR(PlanBranch(succeeded ? req_.success() : req_.failure()));
    AtomicResult commit;
    TESSERA_RETURN_IF_ERROR(Commit(&commit));
    *committed = commit.applied;
    if (!commit.applied) return Status::OK();
    resp->set_succeeded(succeeded);
    resp->mutable_header()->set_revision(commit.revision);
    return BuildResponses(commit, resp);
  }

 private:
  // The index in reads_ of a read of `range` with `options`, made now unless already made.
  Result<size_t> ReadOnce(const KeyRange& range, const ReadOptions& options) {
    for (size_t i = 0; i < reads_.size(); ++i) {
      if (reads_[i].range == range && SameOptions(reads_[i].options, options)) return i;
    }
    Read r{range, options, {}};
    TESSERA_RETURN_IF_ERROR(FromBackend(backend_->Read(range, options, &r.result), Access::kRead));
    reads_.push_back(std::move(r));
    return reads_.size() - 1;
  }

  // etcd stops at the first comparison that fails; so do we (the outcome then rests on that
  // comparison alone, and its read is asserted at commit).
  Status EvaluateCompares(bool* succeeded) {
    for (const etcdserverpb::Compare& c : req_.compare()) {
      TESSERA_ASSIGN_OR_RETURN(EtcdRange where, ToEtcdRange(c.key(), c.range_end()));
      std::vector<KeyValue> none;
      const std::vector<KeyValue>* kvs = &none;
      if (!where.inverted) {
        TESSERA_ASSIGN_OR_RETURN(size_t i, ReadOnce(where.range, ReadOptions{}));
        kvs = &reads_[i].result.kvs;
      }
      if (!CompareHolds(c, *kvs)) {
        *succeeded = false;
        return Status::OK();
      }
    }
    *succeeded = true;
    return Status::OK();
  }

  bool EarlierWriteOverlaps(const KeyRange& range) const {
    return std::any_of(writes_.begin(), writes_.end(),
                       [&range](const Op& w) { return RangesOverlap(w.range, range); });
  }

  Status PlanRange(const etcdserverpb::RangeRequest& req, Step* step) {
    TESSERA_ASSIGN_OR_RETURN(step->plan, PlanRangeRead(req));
    if (step->plan.inverted) return Status::OK();  // empty: nothing to read or assert
    step->plan.options.serializable = false;
    if (!step->plan.whole && EarlierWriteOverlaps(step->plan.range)) {
      step->plan = WholeRangeRead(req, std::move(step->plan));
    }
    TESSERA_ASSIGN_OR_RETURN(size_t i, ReadOnce(step->plan.range, step->plan.options));
    step->read = i;
    return CheckRequestedRevision(req.revision(), reads_[i].result.revision);
  }

  Status PlanPut(const etcdserverpb::PutRequest& req, Step* step) {
    Op w{Op::Kind::kPut, KeyRange{req.key(), std::nullopt}, req.value(), 0};
    if (req.ignore_value() || req.ignore_lease()) {
      // The key cannot have been written earlier in this branch (a duplicate key), so its
      // state before the Txn is the state this Put applies to.
      TESSERA_ASSIGN_OR_RETURN(size_t i, ReadOnce(w.range, ReadOptions{}));
      step->read = i;
      if (reads_[i].result.kvs.empty()) return errors::KeyNotFound();
      if (req.ignore_value()) w.value = reads_[i].result.kvs.front().value;
    }
    if (req.lease() != 0) return errors::LeaseNotFound();
    step->write = writes_.size();
    writes_.push_back(std::move(w));
    return Status::OK();
  }

  Status PlanDelete(const etcdserverpb::DeleteRangeRequest& req, Step* step) {
    TESSERA_ASSIGN_OR_RETURN(EtcdRange where, ToEtcdRange(req.key(), req.range_end()));
    if (where.inverted) return Status::OK();  // deletes nothing
    step->write = writes_.size();
    writes_.push_back(Op{Op::Kind::kDeleteRange, std::move(where.range), {}, 0});
    return Status::OK();
  }

  Status PlanBranch(const Ops& ops) {
    for (const RequestOp& op : ops) {
      Step step;
      step.op = &op;
      if (op.has_request_range()) {
        TESSERA_RETURN_IF_ERROR(PlanRange(op.request_range(), &step));
      } else if (op.has_request_put()) {
        TESSERA_RETURN_IF_ERROR(PlanPut(op.request_put(), &step));
      } else if (op.has_request_delete_range()) {
        TESSERA_RETURN_IF_ERROR(PlanDelete(op.request_delete_range(), &step));
      } else {
        return errors::NestedTxn();  // CheckTxnRequest let only request_txn through
      }
      steps_.push_back(std::move(step));
    }
    return Status::OK();
  }

  // Every read, as an assertion that it still holds.
  std::vector<Op> Assertions() const {
    std::vector<Op> out;
    for (const Read& r : reads_) {
      Op a;
      a.range = r.range;
      if (!r.range.end.has_value()) {
        a.kind = Op::Kind::kAssertModRevision;
        a.revision = r.result.kvs.empty() ? 0 : r.result.kvs.front().mod_revision;
      } else {
        a.kind = Op::Kind::kAssertUnchangedSince;
        a.revision = r.result.revision;
      }
      if (std::find(out.begin(), out.end(), a) == out.end()) out.push_back(std::move(a));
    }
    return out;
  }

  // On return, out->results holds one entry per write (the assertions' are dropped).
  Status Commit(AtomicResult* out) {
    if (writes_.empty() && reads_.size() <= 1) {
      // One read (or none) is atomic by itself.
      out->applied = true;
      if (!reads_.empty()) {
        out->revision = reads_.front().result.revision;
        return Status::OK();
      }
      MemberStatus status;
      TESSERA_RETURN_IF_ERROR(FromBackend(backend_->GetStatus(&status), Access::kRead));
      out->revision = status.revision;
      return Status::OK();
    }
    std::vector<Op> ops = Assertions();
    const size_t asserts = ops.size();
    ops.insert(ops.end(), writes_.begin(), writes_.end());
    const Access access = writes_.empty() ? Access::kRead : Access::kWrite;
    TESSERA_RETURN_IF_ERROR(FromBackend(backend_->Atomic(ops, out), access));
    if (!out->applied) return Status::OK();
    if (out->results.size() != ops.size()) {
      return FromBackend(Status::Internal("Atomic returned a result count unlike its ops"), access);
    }
    out->results.erase(out->results.begin(), out->results.begin() + static_cast<long>(asserts));
    return Status::OK();
  }

  void RangeResponse(const Step& step, int64_t revision, const std::vector<Applied>& applied,
                     etcdserverpb::RangeResponse* resp) const {
    resp->mutable_header()->set_revision(revision);
    ReadResult result;
    if (step.read.has_value()) result = reads_[*step.read].result;
    if (step.plan.whole) {
      for (const Applied& w : applied) Overlay(step.plan.range, w, &result.kvs);
      result.count = static_cast<int64_t>(result.kvs.size());
    }
    FinishRange(step.op->request_range(), step.plan, std::move(result), resp);
  }

  static KeyValue PutResult(const etcdserverpb::PutRequest& req, const std::string& value,
                            const std::optional<KeyValue>& previous, int64_t revision) {
    KeyValue kv;
    kv.key = req.key();
    kv.value = value;
    kv.create_revision = previous ? previous->create_revision : revision;
    kv.mod_revision = revision;
    kv.version = previous ? previous->version + 1 : 1;
    return kv;
  }

  Status BuildResponses(const AtomicResult& commit, TxnResponse* resp) const {
    std::vector<Applied> applied;
    for (const Step& step : steps_) {
      etcdserverpb::ResponseOp* out = resp->add_responses();
      if (step.op->has_request_range()) {
        RangeResponse(step, commit.revision, applied, out->mutable_response_range());
        continue;
      }
      const Op* w = step.write ? &writes_[*step.write] : nullptr;
      const OpResult* r = step.write ? &commit.results[*step.write] : nullptr;
      if (step.op->has_request_put()) {
        TESSERA_CHECK(w != nullptr && r != nullptr);
        const auto& req = step.op->request_put();
        auto* put = out->mutable_response_put();
        put->mutable_header()->set_revision(commit.revision);
        if (req.prev_kv() && r->previous) ToProto(*r->previous, false, put->mutable_prev_kv());
        applied.push_back({w->range, PutResult(req, w->value, r->previous, commit.revision)});
        continue;
      }
      const auto& req = step.op->request_delete_range();
      auto* del = out->mutable_response_delete_range();
      del->mutable_header()->set_revision(commit.revision);
      if (r == nullptr) continue;  // an inverted range: deleted nothing
      del->set_deleted(static_cast<int64_t>(r->deleted.size()));
      if (req.prev_kv()) {
        for (const KeyValue& kv : r->deleted) ToProto(kv, false, del->add_prev_kvs());
      }
      applied.push_back({w->range, std::nullopt});
    }
    return Status::OK();
  }

  Backend* const backend_;
  const TxnRequest& req_;
  std::vector<Read> reads_;
  std::vector<Step> steps_;
  std::vector<Op> writes_;  // the branch's writes, in order
};

}  // namespace

Status RunTxn(Backend* backend, const TxnOptions& options, const TxnRequest& req,
              TxnResponse* resp) {
  TESSERA_RETURN_IF_ERROR(CheckTxnRequest(req, options.max_ops));
  using Clock = std::chrono::steady_clock;
  const auto deadline = Clock::now() + std::chrono::milliseconds(options.retry_deadline_ms);
  auto backoff = std::chrono::milliseconds(std::max<int64_t>(options.backoff_initial_ms, 1));
  const auto backoff_max = std::chrono::milliseconds(options.backoff_max_ms);
  // Bounded by the deadline: each round either returns or sleeps at least 1 ms.
  while (true) {
    resp->Clear();
    bool committed = false;
    TESSERA_RETURN_IF_ERROR(Attempt(backend, req).Run(&committed, resp));
    if (committed) return Status::OK();
    if (Clock::now() + backoff > deadline) {
      resp->Clear();
      return errors::TxnContended();
    }
    std::this_thread::sleep_for(backoff);
    backoff = std::min(backoff * 2, backoff_max);
  }
}

}  // namespace tessera::etcd
