// SnapshotDirs: where a node keeps shard snapshot directories (docs/storage_format.md, "Shard
// snapshots"):
//
//   <data_dir>/snap/send/<shard>-<term>-<index>-<n>   cut here, streamed to followers
//   <data_dir>/snap/recv/<shard>-<term>-<index>-<n>   received here, ingested, then removed
//
// <n> is a counter that makes names unique: Open() starts it past every name already present,
// so a directory kept across a restart (one referenced by a pending marker) is never reused.
// The directories themselves are created by their writers (CutSnapshot, the snapshot
// transports); SnapshotDirs only hands out names and cleans up.
//
// Thread safety: NewSendDir/NewRecvDir may be called from any thread concurrently (workers and
// the snapshot service); Open and CleanupAbandoned run at startup, before any other call.
#pragma once

#include <atomic>
#include <cstdint>
#include <string>
#include <vector>

#include "common/ids.h"
#include "common/result.h"

namespace tessera::multiraft {

class SnapshotDirs {
 public:
  // `data_dir`: the node's data directory.
  explicit SnapshotDirs(const std::string& data_dir);

  SnapshotDirs(const SnapshotDirs&) = delete;
  SnapshotDirs& operator=(const SnapshotDirs&) = delete;

  // Creates snap/send and snap/recv if missing (durably) and sets the counter past every
  // existing name.
  Status Open();

  const std::string& send_root() const { return send_root_; }
  const std::string& recv_root() const { return recv_root_; }

  // A fresh path under send/ (resp. recv/); the directory is not created.
  std::string NewSendDir(ShardId shard, Term term, LogIndex index);
  std::string NewRecvDir(ShardId shard, Term term, LogIndex index);

  // Startup: removes every entry of send/ and recv/ except the directories in `keep` (the dirs
  // of the pending markers, ListPendingSnapshots in snapshot.h). Paths are compared after
  // lexical normalization. Returns the number of entries removed.
  Result<size_t> CleanupAbandoned(const std::vector<std::string>& keep);

  // Removes `dir` with its content; OK when it does not exist.
  static Status Remove(const std::string& dir);

 private:
  std::string NewDir(const std::string& root, ShardId shard, Term term, LogIndex index);

  const std::string root_;
  const std::string send_root_;
  const std::string recv_root_;
  std::atomic<uint64_t> next_{1};
};

}  // namespace tessera::multiraft
