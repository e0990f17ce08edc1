// Small POSIX file helpers for the engines and the snapshot files. All return Status; none
// throws. Paths are plain strings.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "common/status.h"

namespace tessera::storage {

// The Status for a failed system call on `path`: NotFound for ENOENT, AlreadyExists for EEXIST,
// IOError otherwise; the message names the operation, the path and strerror(err).
Status ErrnoStatus(std::string_view what, const std::string& path, int err);

bool PathExists(const std::string& path);
// Creates `dir` and its missing parents; OK if it already exists as a directory.
Status CreateDirs(const std::string& dir);
// Creates `dir`, which must not exist (AlreadyExists otherwise); its parent must exist.
Status CreateNewDir(const std::string& dir);
// fsyncs the directory itself, so that entries created in it survive a machine crash.
Status SyncDir(const std::string& dir);
// The whole content of `path`; InvalidArgument if it is larger than `max_bytes`.
Result<std::string> ReadWholeFile(const std::string& path, uint64_t max_bytes);
// Creates `path` (AlreadyExists if it exists), writes `data`, fsyncs and closes it.
Status WriteNewFileSync(const std::string& path, std::string_view data);
// The names (not paths) of the entries of `dir`, sorted.
Result<std::vector<std::string>> ListDir(const std::string& dir);

// The parent directory of `path` ("." when it has none).
std::string ParentDir(const std::string& path);

}  // namespace tessera::storage
