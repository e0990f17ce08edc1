// File helpers of the shard snapshot code (snapshot.h, the snapshot transports): streaming
// checksums, checked copies, and a writer for files that arrive in chunks. Internal to the
// snapshot machinery; all return Status and never throw.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "common/checksum.h"
#include "common/result.h"
#include "common/status.h"

namespace tessera::multiraft {

// Bytes read or copied at a time.
inline constexpr size_t kSnapshotIoBufferBytes = 1 << 20;

struct FileDigest {
  uint64_t size = 0;
  uint64_t checksum = 0;  // XXH3-64 of the file's bytes
};

// Reads `path` whole, in pieces, and returns its size and checksum.
Result<FileDigest> DigestFile(const std::string& path);

// Copies `src` to `dst` (which must not exist) and fsyncs `dst`, checking on the way that `src`
// has `expect`'s size and checksum: Corruption otherwise (then `dst` is removed).
Status CopyFileVerified(const std::string& src, const std::string& dst, const FileDigest& expect);

// Removes `path` and everything below it; OK when it does not exist.
Status RemoveAll(const std::string& path);

// The last component of `path`.
std::string BaseName(const std::string& path);

// Writes a new file piece by piece, checksumming what it writes. Not thread-safe.
class ChunkedFileWriter {
 public:
  ChunkedFileWriter() = default;
  ~ChunkedFileWriter();  // closes the file if still open (no sync)
  ChunkedFileWriter(const ChunkedFileWriter&) = delete;
  ChunkedFileWriter& operator=(const ChunkedFileWriter&) = delete;

  // Creates `path`, which must not exist. REQUIRES: not open.
  Status Open(const std::string& path);
  bool is_open() const { return fd_ >= 0; }
  // REQUIRES: is_open().
  Status Append(std::string_view data);
  // fsyncs and closes the file. REQUIRES: is_open().
  Status SyncAndClose();
  uint64_t size() const { return size_; }
  uint64_t checksum() const { return sum_.Digest(); }

 private:
  int fd_ = -1;
  std::string path_;
  uint64_t size_ = 0;
  Checksummer sum_;
};

}  // namespace tessera::multiraft
