// Thin RAII helpers over the LMDB C API for the LMDB engine (internal to storage/).
#pragma once

#include <lmdb.h>

#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include "common/result.h"
#include "common/status.h"
#include "storage/live_handles.h"

namespace tessera::storage::lmdb {

// The Tessera status for an LMDB return code (rc != 0).
Status FromMdb(int rc, std::string_view what);
// For a failed commit or sync: a full disk or map is a Status; anything else is fatal (engine.h).
Status CommitError(int rc, std::string_view what);

inline MDB_val ToVal(std::string_view s) { return MDB_val{s.size(), const_cast<char*>(s.data())}; }
inline std::string_view ToView(const MDB_val& v) {
  return std::string_view(static_cast<const char*>(v.mv_data), v.mv_size);
}

// A read-only transaction shared by a Snapshot and its iterators. LMDB transactions must not be
// used by two threads at once: callers hold mu() around every use (env opened with MDB_NOTLS,
// so a transaction may move between threads).
class ReadTxn {
 public:
  static Result<std::shared_ptr<ReadTxn>> Begin(MDB_env* env, LiveHandles* live);
  ReadTxn(MDB_txn* txn, LiveHandles* live) : txn_(txn), token_(live) {}
  ~ReadTxn() { mdb_txn_abort(txn_); }
  ReadTxn(const ReadTxn&) = delete;
  ReadTxn& operator=(const ReadTxn&) = delete;

  MDB_txn* txn() const { return txn_; }
  std::mutex& mu() const { return mu_; }

 private:
  MDB_txn* txn_;
  mutable std::mutex mu_;
  LiveHandles::Token token_;
};

// A write transaction, aborted unless committed.
class WriteTxn {
 public:
  static Result<WriteTxn> Begin(MDB_env* env);
  WriteTxn(WriteTxn&& o) noexcept : txn_(o.txn_) { o.txn_ = nullptr; }
  WriteTxn& operator=(WriteTxn&&) = delete;
  ~WriteTxn() {
    if (txn_) mdb_txn_abort(txn_);
  }
  MDB_txn* txn() const { return txn_; }
  // Commits (the transaction is gone either way); then, when `sync`, syncs the meta page too.
  Status Commit(MDB_env* env, bool sync);

 private:
  explicit WriteTxn(MDB_txn* txn) : txn_(txn) {}
  MDB_txn* txn_;
};

// An exclusive flock on "<dir>/LOCK", held while the object lives.
class DirLock {
 public:
  static Result<std::unique_ptr<DirLock>> Acquire(const std::string& dir);
  explicit DirLock(int fd) : fd_(fd) {}
  ~DirLock();
  DirLock(const DirLock&) = delete;
  DirLock& operator=(const DirLock&) = delete;

 private:
  int fd_;
};

}  // namespace tessera::storage::lmdb
