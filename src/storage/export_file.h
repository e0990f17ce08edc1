// The Tessera export file format, used by the memory and LMDB engines for Engine::Export,
// Engine::Ingest and the memory engine's checkpoints (RocksDB uses SST files instead).
// Documented in docs/storage_format.md, "Export files"; keep the two in sync.
//
//   file    := header record* footer
//   header  := magic "TSXF" (4 bytes) | format_version fixed32 (= kExportFormatVersion)
//   record  := varint32 key_len | key | varint32 value_len | value
//   footer  := record_count fixed64 | checksum fixed64 | magic "TSXF" (4 bytes)
//
// All fixed-width integers are little-endian. Keys are strictly ascending, non-empty and within
// kMaxKeyBytes; values within kMaxValueBytes. `checksum` is XXH3-64 (common/checksum.h) of every
// byte before the footer. A reader verifies the trailing magic (truncation), the checksum, the
// header, every record and the count before it hands out a single record, so a corrupt or
// truncated file is Corruption and never served.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "storage/engine.h"

namespace tessera::storage {

inline constexpr std::string_view kExportMagic = "TSXF";
inline constexpr uint32_t kExportFormatVersion = 1;
inline constexpr size_t kExportHeaderBytes = 8;
inline constexpr size_t kExportFooterBytes = 20;
// Largest file a reader accepts: a writer's largest target plus one largest record.
inline constexpr uint64_t kMaxExportTargetBytes = uint64_t{1} << 30;
inline constexpr uint64_t kMaxExportFileBytes =
    kMaxExportTargetBytes + kMaxKeyBytes + kMaxValueBytes + 64;
// File name extension of the format.
inline constexpr std::string_view kExportFileExtension = ".tsx";

// Builds one export file in memory (bounded by the export target size plus one record) and
// writes it durably in Finish. Not thread-safe.
class ExportFileBuilder {
 public:
  ExportFileBuilder();
  // REQUIRES: key > every key added before; key and value within the limits (asserted).
  void Add(std::string_view key, std::string_view value);
  uint64_t keys() const { return file_.keys; }
  uint64_t bytes() const { return file_.bytes; }
  // Appends the footer and writes the file to `path`, which must not exist, with fsync.
  Result<ExportedFile> Finish(const std::string& path);

 private:
  std::string buf_;
  ExportedFile file_;
};

// Verifies the whole file at `path`, then calls fn on each record in order; stops at the first
// non-OK status of fn and returns it. Corruption for any malformed content.
Status ReadExportFile(const std::string& path,
                      const std::function<Status(std::string_view, std::string_view)>& fn);

// Exports every key `it` yields from SeekToFirst on (the iterator carries the range as its
// bounds) into files "<dir>/<cf>-<n>.tsx", rolling files at opts.target_file_bytes.
Result<std::vector<ExportedFile>> ExportToFiles(Iterator& it, Cf cf, const std::string& dir,
                                                const ExportOptions& opts);

// InvalidArgument unless 0 < opts.target_file_bytes <= kMaxExportTargetBytes.
Status ValidateExportOptions(const ExportOptions& opts);

// "<dir>/<cf>-<n><ext>", n zero-padded to six digits.
std::string ExportFilePath(const std::string& dir, Cf cf, uint64_t n, std::string_view ext);

}  // namespace tessera::storage
