#include "storage/lmdb_env.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace tessera::storage::lmdb {

Status FromMdb(int rc, std::string_view what) {
  const std::string msg = fmt::format("lmdb {}: {}", what, mdb_strerror(rc));
  switch (rc) {
    case MDB_NOTFOUND:
      return Status::NotFound(msg);
    case MDB_CORRUPTED:
    case MDB_PAGE_NOTFOUND:
    case MDB_INVALID:
    case MDB_VERSION_MISMATCH:
      return Status::Corruption(msg);
    case MDB_MAP_FULL:
    case ENOSPC:
      return Status::IOError(msg);
    case MDB_READERS_FULL:
    case MDB_TXN_FULL:
    case MDB_CURSOR_FULL:
    case EAGAIN:
      return Status::Busy(msg);
    case MDB_BAD_VALSIZE:
    case EINVAL:
      return Status::InvalidArgument(msg);
    case ENOENT:
      return Status::NotFound(msg);
    default:
      return Status::IOError(msg);
  }
}

Status CommitError(int rc, std::string_view what) {
  if (rc == MDB_MAP_FULL || rc == ENOSPC) return FromMdb(rc, what);
  const std::string msg = fmt::format(
      "lmdb engine: error while making a {} durable: {}; stopping, an fsync error is never "
      "retried",
      what, mdb_strerror(rc));
  TESSERA_ASSERT(false, msg.c_str());
  return Status::Internal(msg);  // not reached
}

Result<std::shared_ptr<ReadTxn>> ReadTxn::Begin(MDB_env* env, LiveHandles* live) {
  MDB_txn* txn = nullptr;
  const int rc = mdb_txn_begin(env, nullptr, MDB_RDONLY, &txn);
  if (rc != 0) return FromMdb(rc, "begin read transaction");
  return std::make_shared<ReadTxn>(txn, live);
}

Result<WriteTxn> WriteTxn::Begin(MDB_env* env) {
  MDB_txn* txn = nullptr;
  const int rc = mdb_txn_begin(env, nullptr, 0, &txn);
  if (rc != 0) return FromMdb(rc, "begin write transaction");
  return WriteTxn(txn);
}

Status WriteTxn::Commit(MDB_env* env, bool sync) {
  TESSERA_ASSERT(txn_ != nullptr, "commit of a finished transaction");
  MDB_txn* txn = txn_;
  txn_ = nullptr;
  // mdb_txn_commit frees the transaction whatever it returns.
  int rc = mdb_txn_commit(txn);
  if (rc != 0) return CommitError(rc, "commit");
  if (sync) {
    rc = mdb_env_sync(env, /*force=*/1);
    if (rc != 0) return CommitError(rc, "sync write");
  }
  return Status::OK();
}

Result<std::unique_ptr<DirLock>> DirLock::Acquire(const std::string& dir) {
  const std::string path = dir + "/LOCK";
  const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) return Status::IOError(fmt::format("open {}: {}", path, std::strerror(errno)));
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    const int err = errno;
    ::close(fd);
    return Status::IOError(
        fmt::format("lock {}: {} (held by another engine instance?)", path, std::strerror(err)));
  }
  return std::make_unique<DirLock>(fd);
}

DirLock::~DirLock() { ::close(fd_); }

}  // namespace tessera::storage::lmdb
