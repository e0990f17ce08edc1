#include "storage/lmdb_engine.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <unistd.h>

#include <array>
#include <mutex>
#include <vector>

#include "storage/export_file.h"
#include "storage/format_version.h"
#include "storage/fs_util.h"
#include "storage/iterators.h"
#include "storage/lmdb_env.h"
#include "storage/range_scan.h"
#include "storage/write_batch.h"

namespace tessera::storage {
namespace {

using lmdb::FromMdb;
using lmdb::ReadTxn;
using lmdb::ToVal;
using lmdb::ToView;
using lmdb::WriteTxn;

// An unbounded cursor over one named database inside a shared read transaction. Every LMDB call
// holds the transaction's mutex (lmdb_env.h, ReadTxn).
class LmdbIterator final : public Iterator {
 public:
  LmdbIterator(std::shared_ptr<ReadTxn> txn, MDB_dbi dbi, LiveHandles* live)
      : txn_(std::move(txn)), token_(live) {
    std::lock_guard<std::mutex> l(txn_->mu());
    const int rc = mdb_cursor_open(txn_->txn(), dbi, &cursor_);
    if (rc != 0) {
      cursor_ = nullptr;
      status_ = FromMdb(rc, "open cursor");
    }
  }
  ~LmdbIterator() override {
    if (!cursor_) return;
    std::lock_guard<std::mutex> l(txn_->mu());
    mdb_cursor_close(cursor_);
  }

  bool Valid() const override { return valid_; }
  void SeekToFirst() override { Op(MDB_FIRST, {}); }
  void SeekToLast() override { Op(MDB_LAST, {}); }

  void Seek(std::string_view target) override {
    if (target.empty()) return SeekToFirst();
    if (target.size() <= kMaxKeyBytes) return Op(MDB_SET_RANGE, target);
    // LMDB cannot take a target longer than its key limit. The only key >= its prefix and
    // < target is the prefix itself (no key is longer than the prefix).
    const std::string_view prefix = target.substr(0, kMaxKeyBytes);
    Op(MDB_SET_RANGE, prefix);
    if (valid_ && key_ == prefix) Op(MDB_NEXT, {});
  }

  void SeekForPrev(std::string_view target) override {
    if (target.empty()) {  // no key is <= the empty string
      valid_ = false;
      return;
    }
    Seek(target);
    if (!status_.ok()) return;
    if (!valid_) return SeekToLast();
    if (key_ != target) Op(MDB_PREV, {});
  }

  void Next() override { Op(MDB_NEXT, {}); }
  void Prev() override { Op(MDB_PREV, {}); }
  std::string_view key() const override { return key_; }
  std::string_view value() const override { return value_; }
  Status status() const override { return status_; }

 private:
  void Op(MDB_cursor_op op, std::string_view target) {
    valid_ = false;
    if (!cursor_) return;  // status_ says why
    MDB_val k = ToVal(target);
    MDB_val v{0, nullptr};
    int rc;
    {
      std::lock_guard<std::mutex> l(txn_->mu());
      rc = mdb_cursor_get(cursor_, &k, &v, op);
    }
    if (rc == MDB_NOTFOUND) return;
    if (rc != 0) {
      status_ = FromMdb(rc, "cursor");
      return;
    }
    // The views point into the memory map and stay valid while the transaction lives.
    key_ = ToView(k);
    value_ = ToView(v);
    valid_ = true;
  }

  std::shared_ptr<ReadTxn> txn_;  // outlives the cursor
  LiveHandles::Token token_;
  MDB_cursor* cursor_ = nullptr;
  bool valid_ = false;
  std::string_view key_;
  std::string_view value_;
  Status status_;
};

Result<std::string> GetIn(MDB_txn* txn, MDB_dbi dbi, std::string_view key) {
  if (key.empty() || key.size() > kMaxKeyBytes) return Status::NotFound();  // cannot exist
  MDB_val k = ToVal(key);
  MDB_val v;
  const int rc = mdb_get(txn, dbi, &k, &v);
  if (rc == MDB_NOTFOUND) return Status::NotFound();
  if (rc != 0) return FromMdb(rc, "get");
  return std::string(ToView(v));
}

class LmdbEngine;

class LmdbSnapshot final : public Snapshot {
 public:
  LmdbSnapshot(const LmdbEngine* engine, std::shared_ptr<ReadTxn> txn)
      : engine_(engine), txn_(std::move(txn)) {}
  Result<std::string> Get(Cf cf, std::string_view key) const override;
  std::unique_ptr<Iterator> NewIterator(Cf cf, const IterOptions& opts) const override;
  const LmdbEngine* engine() const { return engine_; }

 private:
  const LmdbEngine* engine_;
  std::shared_ptr<ReadTxn> txn_;
};

class LmdbEngine final : public Engine {
 public:
  LmdbEngine(MDB_env* env, std::unique_ptr<lmdb::DirLock> lock)
      : env_(env), lock_(std::move(lock)) {}
  ~LmdbEngine() override {
    live_.AssertNone();
    for (MDB_txn* txn : idle_get_txns_) mdb_txn_abort(txn);
    mdb_env_close(env_);  // also closes the dbi handles
  }

  Status OpenDatabases(bool create);

  EngineKind kind() const override { return EngineKind::kLmdb; }
  MDB_dbi Dbi(Cf cf) const { return dbis_[static_cast<size_t>(cf)]; }
  LiveHandles* live() const { return &live_; }

  Result<std::string> Get(Cf cf, std::string_view key) override {
    auto txn = TakeGetTxn();
    if (!txn.ok()) return txn.status();
    auto result = GetIn(*txn, Dbi(cf), key);
    ReturnGetTxn(*txn);
    return result;
  }

  Status Write(const WriteOptions& opts, const WriteBatch& batch) override {
    TESSERA_RETURN_IF_ERROR(batch.status());
    std::lock_guard<std::mutex> w(write_mu_);
    auto txn = WriteTxn::Begin(env_);
    if (!txn.ok()) return txn.status();
    TESSERA_RETURN_IF_ERROR(
        batch.ForEach([&](const BatchOp& op) { return Apply(txn->txn(), op); }));
    return txn->Commit(env_, opts.sync);
  }

  Result<std::unique_ptr<Snapshot>> GetSnapshot() override {
    auto txn = ReadTxn::Begin(env_, &live_);
    if (!txn.ok()) return txn.status();
    return std::unique_ptr<Snapshot>(std::make_unique<LmdbSnapshot>(this, std::move(*txn)));
  }

  std::unique_ptr<Iterator> NewIterator(Cf cf, const IterOptions& opts) override {
    auto txn = ReadTxn::Begin(env_, &live_);
    if (!txn.ok()) return NewErrorIterator(txn.status());
    return NewIteratorIn(std::move(*txn), cf, opts);
  }

  std::unique_ptr<Iterator> NewIteratorIn(std::shared_ptr<ReadTxn> txn, Cf cf,
                                          const IterOptions& opts) const {
    return NewBoundedIterator(std::make_unique<LmdbIterator>(std::move(txn), Dbi(cf), &live_),
                              opts);
  }

  Result<RangeStats> ApproximateRange(Cf cf, std::string_view start,
                                      std::string_view end) override {
    if (start.empty() && end.empty()) return WholeCfStats(cf);
    auto it = NewIterator(cf, IterOptions{std::string(start), std::string(end)});
    return ScanRangeStats(*it);
  }

  Result<std::string> SplitKey(Cf cf, std::string_view start, std::string_view end) override {
    auto it = NewIterator(cf, IterOptions{std::string(start), std::string(end)});
    return ScanSplitKey(*it);
  }

  Result<std::vector<ExportedFile>> Export(const Snapshot& snap, Cf cf, std::string_view start,
                                           std::string_view end, const std::string& dir,
                                           const ExportOptions& opts) override {
    const auto* ls = dynamic_cast<const LmdbSnapshot*>(&snap);
    if (!ls || ls->engine() != this) return Status::InvalidArgument("snapshot of another engine");
    auto it = ls->NewIterator(cf, IterOptions{std::string(start), std::string(end)});
    return ExportToFiles(*it, cf, dir, opts);
  }

  Status Ingest(Cf cf, const std::vector<std::string>& paths) override {
    std::lock_guard<std::mutex> w(write_mu_);
    auto txn = WriteTxn::Begin(env_);
    if (!txn.ok()) return txn.status();
    for (const std::string& path : paths) {
      // Each file is verified whole before its first record arrives; any failure aborts the
      // transaction, so nothing is ingested.
      TESSERA_RETURN_IF_ERROR(ReadExportFile(path, [&](std::string_view k, std::string_view v) {
        return Apply(txn->txn(), BatchOp{OpKind::kPut, cf, k, v});
      }));
    }
    return txn->Commit(env_, /*sync=*/true);
  }

  Status Checkpoint(const std::string& dir) override {
    TESSERA_RETURN_IF_ERROR(CreateNewDir(dir));
    // A compacting copy from a read transaction: consistent, and writers continue meanwhile.
    const int rc = mdb_env_copy2(env_, dir.c_str(), MDB_CP_COMPACT);
    if (rc != 0) return FromMdb(rc, "checkpoint copy");
    TESSERA_RETURN_IF_ERROR(SyncFile(dir + "/data.mdb"));
    return SyncDir(dir);
  }

 private:
  Status Apply(MDB_txn* txn, const BatchOp& op);
  Status DeleteRangeIn(MDB_txn* txn, MDB_dbi dbi, std::string_view start, std::string_view end);
  Result<RangeStats> WholeCfStats(Cf cf);
  static Status SyncFile(const std::string& path);

  // A read transaction for one Get: a reset one from the pool, renewed (no allocation, and the
  // reader slot is kept), or a new one.
  Result<MDB_txn*> TakeGetTxn();
  // Resets `txn` (releasing its snapshot) and pools it, or aborts it when the pool is full.
  void ReturnGetTxn(MDB_txn* txn);
  static constexpr size_t kMaxIdleGetTxns = 16;

  mutable LiveHandles live_;
  MDB_env* env_;  // owned
  std::mutex get_txns_mu_;
  std::vector<MDB_txn*> idle_get_txns_;  // guarded by get_txns_mu_; each reset, owned
  std::unique_ptr<lmdb::DirLock> lock_;
  std::array<MDB_dbi, kNumCfs> dbis_{};
  std::mutex write_mu_;  // one writer (LMDB would block a second one inside mdb_txn_begin)
};

Result<std::string> LmdbSnapshot::Get(Cf cf, std::string_view key) const {
  std::lock_guard<std::mutex> l(txn_->mu());
  return GetIn(txn_->txn(), engine_->Dbi(cf), key);
}

std::unique_ptr<Iterator> LmdbSnapshot::NewIterator(Cf cf, const IterOptions& opts) const {
  return engine_->NewIteratorIn(txn_, cf, opts);
}

Result<MDB_txn*> LmdbEngine::TakeGetTxn() {
  MDB_txn* txn = nullptr;
  {
    std::lock_guard<std::mutex> l(get_txns_mu_);
    if (!idle_get_txns_.empty()) {
      txn = idle_get_txns_.back();
      idle_get_txns_.pop_back();
    }
  }
  if (txn) {
    const int rc = mdb_txn_renew(txn);
    if (rc == 0) return txn;
    mdb_txn_abort(txn);
    return FromMdb(rc, "renew read transaction");
  }
  const int rc = mdb_txn_begin(env_, nullptr, MDB_RDONLY, &txn);
  if (rc != 0) return FromMdb(rc, "begin read transaction");
  return txn;
}

void LmdbEngine::ReturnGetTxn(MDB_txn* txn) {
  mdb_txn_reset(txn);
  {
    std::lock_guard<std::mutex> l(get_txns_mu_);
    if (idle_get_txns_.size() < kMaxIdleGetTxns) {
      idle_get_txns_.push_back(txn);
      return;
    }
  }
  mdb_txn_abort(txn);
}

Status LmdbEngine::OpenDatabases(bool create) {
  auto txn = WriteTxn::Begin(env_);
  if (!txn.ok()) return txn.status();
  for (Cf cf : kAllCfs) {
    const std::string name(CfName(cf));
    const int rc =
        mdb_dbi_open(txn->txn(), name.c_str(), create ? MDB_CREATE : 0, &dbis_[size_t(cf)]);
    if (rc != 0) return FromMdb(rc, fmt::format("open database {}", name));
  }
  return txn->Commit(env_, /*sync=*/true);
}

Status LmdbEngine::Apply(MDB_txn* txn, const BatchOp& op) {
  const MDB_dbi dbi = Dbi(op.cf);
  switch (op.kind) {
    case OpKind::kPut: {
      MDB_val k = ToVal(op.key);
      MDB_val v = ToVal(op.value);
      const int rc = mdb_put(txn, dbi, &k, &v, 0);
      return rc == 0 ? Status::OK() : FromMdb(rc, "put");
    }
    case OpKind::kDelete: {
      MDB_val k = ToVal(op.key);
      const int rc = mdb_del(txn, dbi, &k, nullptr);
      return rc == 0 || rc == MDB_NOTFOUND ? Status::OK() : FromMdb(rc, "delete");
    }
    case OpKind::kDeleteRange:
      return DeleteRangeIn(txn, dbi, op.key, op.value);
  }
  TESSERA_UNREACHABLE("unknown OpKind");
}

Status LmdbEngine::DeleteRangeIn(MDB_txn* txn, MDB_dbi dbi, std::string_view start,
                                 std::string_view end) {
  MDB_cursor* cursor = nullptr;
  int rc = mdb_cursor_open(txn, dbi, &cursor);
  if (rc != 0) return FromMdb(rc, "open cursor");
  MDB_val k = ToVal(start);
  MDB_val v;
  rc = mdb_cursor_get(cursor, &k, &v, start.empty() ? MDB_FIRST : MDB_SET_RANGE);
  while (rc == 0 && (end.empty() || ToView(k) < end)) {
    rc = mdb_cursor_del(cursor, 0);
    if (rc != 0) break;
    // After a delete the cursor already rests on the following key; MDB_NEXT returns it.
    rc = mdb_cursor_get(cursor, &k, &v, MDB_NEXT);
  }
  mdb_cursor_close(cursor);
  return rc == 0 || rc == MDB_NOTFOUND ? Status::OK() : FromMdb(rc, "delete range");
}

Result<RangeStats> LmdbEngine::WholeCfStats(Cf cf) {
  auto txn = ReadTxn::Begin(env_, &live_);
  if (!txn.ok()) return txn.status();
  MDB_stat st;
  const int rc = mdb_stat((*txn)->txn(), Dbi(cf), &st);
  if (rc != 0) return FromMdb(rc, "stat");
  const uint64_t pages = st.ms_branch_pages + st.ms_leaf_pages + st.ms_overflow_pages;
  return RangeStats{pages * st.ms_psize, st.ms_entries};
}

Status LmdbEngine::SyncFile(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return Status::IOError(fmt::format("open {}", path));
  const int rc = ::fsync(fd);
  ::close(fd);
  return rc == 0 ? Status::OK() : Status::IOError(fmt::format("fsync {}", path));
}

}  // namespace

Result<std::unique_ptr<Engine>> OpenLmdbEngine(const std::string& path, const LmdbOptions& opts) {
  if (opts.create_if_missing) {
    TESSERA_RETURN_IF_ERROR(CreateDirs(path));
  } else if (!PathExists(path + "/data.mdb")) {
    return Status::NotFound(fmt::format("no LMDB engine in {}", path));
  }
  auto lock = lmdb::DirLock::Acquire(path);
  if (!lock.ok()) return lock.status();
  MDB_env* env = nullptr;
  int rc = mdb_env_create(&env);
  if (rc != 0) return FromMdb(rc, "create environment");
  // From here the engine owns env and closes it on every path.
  auto engine = std::make_unique<LmdbEngine>(env, std::move(*lock));
  if (mdb_env_get_maxkeysize(env) < static_cast<int>(kMaxKeyBytes)) {
    return Status::NotSupported(fmt::format("this LMDB build stores keys of at most {} bytes",
                                            mdb_env_get_maxkeysize(env)));
  }
  if ((rc = mdb_env_set_mapsize(env, opts.map_size_bytes)) != 0 ||
      (rc = mdb_env_set_maxreaders(env, opts.max_readers)) != 0 ||
      (rc = mdb_env_set_maxdbs(env, kNumCfs)) != 0) {
    return FromMdb(rc, "configure environment");
  }
  // MDB_NOTLS: read transactions belong to Snapshot objects, not threads. MDB_NOMETASYNC: see
  // lmdb_engine.h, "Durability". MDB_NORDAHEAD: random reads over a large map.
  rc = mdb_env_open(env, path.c_str(), MDB_NOTLS | MDB_NOMETASYNC | MDB_NORDAHEAD, 0644);
  if (rc != 0) return FromMdb(rc, fmt::format("open environment {}", path));
  int dead = 0;
  mdb_reader_check(env, &dead);  // clear reader slots of crashed processes
  TESSERA_RETURN_IF_ERROR(engine->OpenDatabases(opts.create_if_missing));
  TESSERA_RETURN_IF_ERROR(InitOrCheckFormatVersion(*engine));
  return std::unique_ptr<Engine>(std::move(engine));
}

}  // namespace tessera::storage
