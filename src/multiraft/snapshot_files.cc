#include "multiraft/snapshot_files.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <memory>
#include <system_error>

#include "common/assert.h"
#include "storage/fs_util.h"

namespace tessera::multiraft {
namespace {

using storage::ErrnoStatus;

// Closes the descriptor on scope exit.
struct Fd {
  int fd = -1;
  ~Fd() {
    if (fd >= 0) ::close(fd);
  }
};

Status WriteAll(int fd, const std::string& path, std::string_view data) {
  while (!data.empty()) {
    const ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return ErrnoStatus("write", path, errno);
    data.remove_prefix(static_cast<size_t>(n));
  }
  return Status::OK();
}

// Reads `src` to its end, handing each piece to fn.
template <typename Fn>
Status ReadPieces(int fd, const std::string& path, Fn&& fn) {
  auto buf = std::make_unique<char[]>(kSnapshotIoBufferBytes);
  for (;;) {
    const ssize_t n = ::read(fd, buf.get(), kSnapshotIoBufferBytes);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return ErrnoStatus("read", path, errno);
    if (n == 0) return Status::OK();
    TESSERA_RETURN_IF_ERROR(fn(std::string_view(buf.get(), static_cast<size_t>(n))));
  }
}

}  // namespace

Result<FileDigest> DigestFile(const std::string& path) {
  Fd f{::open(path.c_str(), O_RDONLY | O_CLOEXEC)};
  if (f.fd < 0) return ErrnoStatus("open", path, errno);
  Checksummer sum;
  FileDigest d;
  TESSERA_RETURN_IF_ERROR(ReadPieces(f.fd, path, [&](std::string_view piece) {
    sum.Update(piece);
    d.size += piece.size();
    return Status::OK();
  }));
  d.checksum = sum.Digest();
  return d;
}

Status CopyFileVerified(const std::string& src, const std::string& dst, const FileDigest& expect) {
  Fd in{::open(src.c_str(), O_RDONLY | O_CLOEXEC)};
  if (in.fd < 0) return ErrnoStatus("open", src, errno);
  ChunkedFileWriter out;
  TESSERA_RETURN_IF_ERROR(out.Open(dst));
  Status st = ReadPieces(in.fd, src, [&](std::string_view piece) -> Status {
    if (out.size() + piece.size() > expect.size) {
      return Status::Corruption(fmt::format("{} is longer than {} bytes", src, expect.size));
    }
    return out.Append(piece);
  });
  if (st.ok()) st = out.SyncAndClose();
  if (st.ok() && (out.size() != expect.size || out.checksum() != expect.checksum)) {
    st = Status::Corruption(fmt::format("{}: size {} checksum {:016x}, expected {} {:016x}", src,
                                        out.size(), out.checksum(), expect.size, expect.checksum));
  }
  if (!st.ok()) {
    std::error_code ec;
    std::filesystem::remove(dst, ec);
  }
  return st;
}

Status RemoveAll(const std::string& path) {
  std::error_code ec;
  std::filesystem::remove_all(path, ec);
  if (ec) return Status::IOError(fmt::format("remove {}: {}", path, ec.message()));
  return Status::OK();
}

std::string BaseName(const std::string& path) {
  return std::filesystem::path(path).filename().string();
}

ChunkedFileWriter::~ChunkedFileWriter() {
  if (fd_ >= 0) ::close(fd_);
}

Status ChunkedFileWriter::Open(const std::string& path) {
  TESSERA_ASSERT(fd_ < 0, "ChunkedFileWriter opened twice");
  fd_ = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd_ < 0) return ErrnoStatus("create", path, errno);
  path_ = path;
  return Status::OK();
}

Status ChunkedFileWriter::Append(std::string_view data) {
  TESSERA_ASSERT(fd_ >= 0, "append to a closed file");
  TESSERA_RETURN_IF_ERROR(WriteAll(fd_, path_, data));
  sum_.Update(data);
  size_ += data.size();
  return Status::OK();
}

Status ChunkedFileWriter::SyncAndClose() {
  TESSERA_ASSERT(fd_ >= 0, "sync of a closed file");
  const int fd = fd_;
  fd_ = -1;
  if (::fsync(fd) != 0) {
    const int err = errno;
    ::close(fd);
    return ErrnoStatus("fsync", path_, err);
  }
  if (::close(fd) != 0) return ErrnoStatus("close", path_, errno);
  return Status::OK();
}

}  // namespace tessera::multiraft
