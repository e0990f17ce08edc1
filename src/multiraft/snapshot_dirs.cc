#include "multiraft/snapshot_dirs.h"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <filesystem>
#include <set>

#include "multiraft/snapshot_files.h"
#include "storage/fs_util.h"

namespace tessera::multiraft {
namespace {

// The counter of a name "<shard>-<term>-<index>-<n>"; 0 for any other name.
uint64_t CounterOf(const std::string& name) {
  const size_t dash = name.rfind('-');
  if (dash == std::string::npos) return 0;
  uint64_t n = 0;
  const char* first = name.data() + dash + 1;
  const char* last = name.data() + name.size();
  const auto [ptr, ec] = std::from_chars(first, last, n);
  return ec == std::errc() && ptr == last ? n : 0;
}

std::string Normal(const std::string& path) {
  std::string s = std::filesystem::path(path).lexically_normal().string();
  while (s.size() > 1 && s.back() == '/') s.pop_back();
  return s;
}

}  // namespace

SnapshotDirs::SnapshotDirs(const std::string& data_dir)
    : root_(data_dir + "/snap"), send_root_(root_ + "/send"), recv_root_(root_ + "/recv") {}

Status SnapshotDirs::Open() {
  uint64_t max = 0;
  for (const std::string& sub : {send_root_, recv_root_}) {
    const bool existed = storage::PathExists(sub);
    TESSERA_RETURN_IF_ERROR(storage::CreateDirs(sub));
    if (!existed) {
      TESSERA_RETURN_IF_ERROR(storage::SyncDir(root_));
      TESSERA_RETURN_IF_ERROR(storage::SyncDir(storage::ParentDir(root_)));
    }
    TESSERA_ASSIGN_OR_RETURN(const std::vector<std::string> names, storage::ListDir(sub));
    for (const std::string& name : names) max = std::max(max, CounterOf(name));
  }
  next_.store(max + 1, std::memory_order_relaxed);
  return Status::OK();
}

std::string SnapshotDirs::NewDir(const std::string& root, ShardId shard, Term term,
                                 LogIndex index) {
  const uint64_t n = next_.fetch_add(1, std::memory_order_relaxed);
  return fmt::format("{}/{}-{}-{}-{}", root, shard.value(), term.value(), index.value(), n);
}

std::string SnapshotDirs::NewSendDir(ShardId shard, Term term, LogIndex index) {
  return NewDir(send_root_, shard, term, index);
}

std::string SnapshotDirs::NewRecvDir(ShardId shard, Term term, LogIndex index) {
  return NewDir(recv_root_, shard, term, index);
}

Result<size_t> SnapshotDirs::CleanupAbandoned(const std::vector<std::string>& keep) {
  std::set<std::string> kept;
  for (const std::string& k : keep) kept.insert(Normal(k));
  size_t removed = 0;
  for (const std::string& sub : {send_root_, recv_root_}) {
    TESSERA_ASSIGN_OR_RETURN(const std::vector<std::string> names, storage::ListDir(sub));
    for (const std::string& name : names) {
      const std::string path = sub + "/" + name;
      if (kept.count(Normal(path))) continue;
      TESSERA_RETURN_IF_ERROR(RemoveAll(path));
      ++removed;
    }
    if (removed > 0) TESSERA_RETURN_IF_ERROR(storage::SyncDir(sub));
  }
  return removed;
}

Status SnapshotDirs::Remove(const std::string& dir) { return RemoveAll(dir); }

}  // namespace tessera::multiraft
