// SnapshotManifest: what a shard snapshot directory holds, and its binary encoding (the file
// MANIFEST in the directory, and the header of the snapshot stream). Documented in
// docs/storage_format.md, "Shard snapshots"; keep the two in sync.
//
//   manifest := magic "TSNM" (4 bytes) | version u8 (= 1) | body | checksum fixed64
//   body     := lp descriptor | lp apply_state | format u8 | varint n | n x file
//   file     := lp name | varint size | varint keys | fixed64 checksum | lp smallest | lp largest
//
// lp = varint length + bytes; fixed64 is little-endian. `descriptor` is EncodeShardDescriptor,
// `apply_state` EncodeApplyState (local_state.h), `format` a SnapshotFileFormat. The trailing
// checksum is XXH3-64 (common/checksum.h) of every byte before it; a file's checksum is XXH3-64
// of the file's bytes.
//
// Decoding never crashes: malformed input (bad magic, version, checksum, truncation, trailing
// bytes, a bad descriptor or apply state, unsafe or duplicate file names, files out of order or
// outside the shard's range, more than the limits below) is Corruption.
//
// Thread safety: plain values and free functions.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "multiraft/local_state.h"
#include "multiraft/shard.h"
#include "raft/types.h"
#include "storage/engine.h"

namespace tessera::multiraft {

// The file name of the manifest inside a snapshot directory.
inline constexpr std::string_view kSnapshotManifestName = "MANIFEST";
inline constexpr std::string_view kSnapshotManifestMagic = "TSNM";
inline constexpr uint8_t kSnapshotManifestVersion = 1;
// Decoder bounds.
inline constexpr uint64_t kMaxSnapshotFiles = 1 << 16;
inline constexpr size_t kMaxSnapshotFileNameBytes = 255;
inline constexpr uint64_t kMaxSnapshotManifestBytes = 64ull << 20;

// How the data files are written; a snapshot can only be ingested by an engine that reads its
// format (RocksDB: SST; memory and LMDB: the Tessera export format, storage/export_file.h).
enum class SnapshotFileFormat : uint8_t {
  kRocksDbSst = 1,
  kTesseraExport = 2,
};
// The format Engine::Export writes for an engine of `kind`.
SnapshotFileFormat FileFormatOf(storage::EngineKind kind);
std::string_view FileFormatName(SnapshotFileFormat f);  // "sst", "tsx"

// One data file of a snapshot.
struct SnapshotFile {
  std::string name;       // relative to the snapshot directory: no '/', not "." or ".."
  uint64_t size = 0;      // bytes of the file
  uint64_t keys = 0;      // keys in the file
  uint64_t checksum = 0;  // XXH3-64 of the file's bytes
  std::string smallest;   // first key of the file
  std::string largest;    // last key of the file
  bool operator==(const SnapshotFile&) const = default;
};

struct SnapshotManifest {
  // The shard as of the snapshot: its key range is what the files replace on the receiver.
  ShardDescriptor desc;
  // applied index and term (the Raft snapshot's index and term) and the membership as of it.
  ApplyState apply;
  SnapshotFileFormat format = SnapshotFileFormat::kRocksDbSst;
  // Sorted by key, not overlapping, every key inside [desc.start_key, desc.end_key).
  std::vector<SnapshotFile> files;

  bool operator==(const SnapshotManifest&) const = default;
  uint64_t TotalBytes() const;
  uint64_t TotalKeys() const;
  // The Raft snapshot metadata this snapshot carries (index, term and conf state of `apply`).
  raft::SnapshotMetadata RaftMetadata() const;
};

std::string EncodeSnapshotManifest(const SnapshotManifest& m);
Result<SnapshotManifest> DecodeSnapshotManifest(std::string_view data);

// True if `name` is a safe relative file name for a snapshot file (what the decoder accepts).
bool IsValidSnapshotFileName(std::string_view name);

}  // namespace tessera::multiraft
