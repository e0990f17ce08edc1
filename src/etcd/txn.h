// Txn: etcd's transactions over a Backend that has no multi-key read-modify-write, executed
// optimistically (docs/etcd.md, "Transactions").
//
// One attempt: read every key and range the comparisons name (linearizable), evaluate them, pick
// the branch, read what the branch's Range ops and its ignore_value/ignore_lease Puts need, then
// send ONE Backend::Atomic with
//   (a) kAssertModRevision for every single key read (its mod_revision; 0 when absent),
//   (b) kAssertUnchangedSince for every range read (the revision the read saw),
//   (c) the branch's writes, in order.
// If Atomic applies, the reads are exactly the state the writes applied to, so the answer is the
// one etcd would give at the Atomic's revision: the branch's Range responses are built then, with
// the branch's earlier writes overlaid (a Range after a Put of the same key sees the Put). If an
// assertion failed, nothing changed and the attempt is redone after a short backoff, until
// TxnOptions::retry_deadline_ms, then ABORTED. A Txn that writes nothing and made one read needs
// no Atomic (one read is atomic by itself); one that made several validates them with an Atomic
// of assertions only.
//
// Limits: every key the Txn touches (compares, reads, writes) must fall in one shard, else
// FAILED_PRECONDITION (errors::CrossShardTxn). Nested txns are Unimplemented. Range ops inside a
// Txn are always linearizable (their `serializable` flag is ignored).
//
// Thread safety: RunTxn is reentrant; the Backend must be safe for concurrent use.
#pragma once

#include <cstddef>
#include <cstdint>

#include "common/status.h"
#include "etcd/backend.h"
#include "proto/etcd/rpc.pb.h"

namespace tessera::etcd {

struct TxnOptions {
  // How long a Txn keeps retrying while the keys it read change before it commits. Default: 3 s.
  int64_t retry_deadline_ms = 3000;
  // The first and the largest pause between two attempts (doubling). Default: 1 ms, 50 ms.
  int64_t backoff_initial_ms = 1;
  int64_t backoff_max_ms = 50;
  // etcd's --max-txn-ops: the most compares, and the most ops per branch. Default: 128.
  size_t max_ops = 128;
};

// Validates `req` (txn_check.h) and runs it. Fills resp->succeeded, resp->responses and
// resp->header.revision (the Atomic's revision); the caller fills the rest of the header.
Status RunTxn(Backend* backend, const TxnOptions& options, const etcdserverpb::TxnRequest& req,
              etcdserverpb::TxnResponse* resp);

}  // namespace tessera::etcd
