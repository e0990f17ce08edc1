#include "storage/export_file.h"

#include <fmt/format.h>

#include "common/checksum.h"
#include "common/coding.h"
#include "storage/fs_util.h"
#include "storage/write_batch.h"

namespace tessera::storage {

ExportFileBuilder::ExportFileBuilder() {
  buf_.append(kExportMagic);
  PutFixed32(&buf_, kExportFormatVersion);
}

void ExportFileBuilder::Add(std::string_view key, std::string_view value) {
  TESSERA_ASSERT(ValidateKey(key).ok() && ValidateValue(value).ok(),
                 "export record outside the key/value limits");
  TESSERA_ASSERT(file_.keys == 0 || key > std::string_view(file_.largest),
                 "export keys must be strictly ascending");
  PutLengthPrefixed(&buf_, key);
  PutLengthPrefixed(&buf_, value);
  if (file_.keys == 0) file_.smallest = key;
  file_.largest = key;
  ++file_.keys;
  file_.bytes += key.size() + value.size();
}

Result<ExportedFile> ExportFileBuilder::Finish(const std::string& path) {
  const uint64_t sum = Checksum64(buf_);
  PutFixed64(&buf_, file_.keys);
  PutFixed64(&buf_, sum);
  buf_.append(kExportMagic);
  TESSERA_RETURN_IF_ERROR(WriteNewFileSync(path, buf_));
  file_.path = path;
  return file_;
}

namespace {

Status Corrupt(const std::string& path, std::string_view what) {
  return Status::Corruption(fmt::format("export file {}: {}", path, what));
}

// Checks magic, checksum and header; leaves `body` viewing the records and `count` the footer's
// record count.
Status VerifyFrame(const std::string& path, std::string_view data, std::string_view* body,
                   uint64_t* count) {
  if (data.size() < kExportHeaderBytes + kExportFooterBytes) return Corrupt(path, "truncated");
  if (data.substr(data.size() - kExportMagic.size()) != kExportMagic) {
    return Corrupt(path, "bad trailing magic (truncated?)");
  }
  const std::string_view covered = data.substr(0, data.size() - kExportFooterBytes);
  *count = DecodeFixed64(data.data() + covered.size());
  const uint64_t stored_sum = DecodeFixed64(data.data() + covered.size() + 8);
  if (Checksum64(covered) != stored_sum) return Corrupt(path, "checksum mismatch");
  if (covered.substr(0, kExportMagic.size()) != kExportMagic) return Corrupt(path, "bad magic");
  const uint32_t version = DecodeFixed32(covered.data() + kExportMagic.size());
  if (version != kExportFormatVersion) {
    return Corrupt(path, fmt::format("unsupported format version {}", version));
  }
  *body = covered.substr(kExportHeaderBytes);
  return Status::OK();
}

}  // namespace

Status ReadExportFile(const std::string& path,
                      const std::function<Status(std::string_view, std::string_view)>& fn) {
  auto data = ReadWholeFile(path, kMaxExportFileBytes);
  if (!data.ok()) return data.status();
  std::string_view body;
  uint64_t count = 0;
  TESSERA_RETURN_IF_ERROR(VerifyFrame(path, *data, &body, &count));
  // First pass: validate every record, so that fn never sees part of a bad file.
  std::string_view in = body;
  std::string_view prev;
  uint64_t seen = 0;
  while (!in.empty()) {
    std::string_view key, value;
    if (!GetLengthPrefixed(&in, &key) || !GetLengthPrefixed(&in, &value)) {
      return Corrupt(path, "malformed record");
    }
    if (!ValidateKey(key).ok() || !ValidateValue(value).ok()) {
      return Corrupt(path, "record outside the key/value limits");
    }
    if (seen > 0 && key <= prev) return Corrupt(path, "keys not strictly ascending");
    prev = key;
    ++seen;
  }
  if (seen != count) return Corrupt(path, "record count does not match the footer");
  in = body;
  while (!in.empty()) {
    std::string_view key, value;
    GetLengthPrefixed(&in, &key);
    GetLengthPrefixed(&in, &value);
    TESSERA_RETURN_IF_ERROR(fn(key, value));
  }
  return Status::OK();
}

Status ValidateExportOptions(const ExportOptions& opts) {
  if (opts.target_file_bytes == 0 || opts.target_file_bytes > kMaxExportTargetBytes) {
    return Status::InvalidArgument(
        fmt::format("export target_file_bytes must be in [1, {}]", kMaxExportTargetBytes));
  }
  return Status::OK();
}

std::string ExportFilePath(const std::string& dir, Cf cf, uint64_t n, std::string_view ext) {
  return fmt::format("{}/{}-{:06}{}", dir, CfName(cf), n, ext);
}

Result<std::vector<ExportedFile>> ExportToFiles(Iterator& it, Cf cf, const std::string& dir,
                                                const ExportOptions& opts) {
  TESSERA_RETURN_IF_ERROR(ValidateExportOptions(opts));
  TESSERA_RETURN_IF_ERROR(CreateDirs(dir));
  std::vector<ExportedFile> files;
  auto builder = std::make_unique<ExportFileBuilder>();
  auto finish = [&]() -> Status {
    auto file = builder->Finish(ExportFilePath(dir, cf, files.size() + 1, kExportFileExtension));
    if (!file.ok()) return file.status();
    files.push_back(std::move(file).value());
    builder = std::make_unique<ExportFileBuilder>();
    return Status::OK();
  };
  for (it.SeekToFirst(); it.Valid(); it.Next()) {
    builder->Add(it.key(), it.value());
    if (builder->bytes() >= opts.target_file_bytes) TESSERA_RETURN_IF_ERROR(finish());
  }
  TESSERA_RETURN_IF_ERROR(it.status());
  if (builder->keys() > 0) TESSERA_RETURN_IF_ERROR(finish());
  TESSERA_RETURN_IF_ERROR(SyncDir(dir));
  return files;
}

}  // namespace tessera::storage
