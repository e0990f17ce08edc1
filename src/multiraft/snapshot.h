// Shard snapshots on disk: cutting one from an engine snapshot, verifying a snapshot directory,
// ingesting it into a replica's key range, and the crash protocol around the ingestion.
// Formats and layout: docs/storage_format.md, "Shard snapshots".
//
// A snapshot directory holds the data files Engine::Export wrote for the shard's range of
// Cf::kData, and MANIFEST (snapshot_manifest.h): the shard's descriptor, its apply state (the
// Raft snapshot's index, term and membership), the file format, and per file its name, size, key
// count, key range and XXH3-64 checksum. Directories live under <data_dir>/snap/
// (snapshot_dirs.h).
//
// Installing a received snapshot (the caller is the replica's worker; Raft thesis, section 5.3:
// the snapshot replaces the state machine and the log before it):
//   1. VerifySnapshotDir(dir)                       (the transports verify on receipt too)
//   2. write batch {PutSnapshotPending(shard, dir)}, sync
//   3. IngestSnapshot(engine, manifest, dir)       (replaces [start_key, end_key) of kData)
//   4. write batch {ClearSnapshotPending(shard), shard descriptor = manifest.desc,
//                   apply state = manifest.apply}, sync; and the log store's ApplySnapshot
//                   (storage::LogWriteBatch::ApplySnapshot) with manifest.RaftMetadata()
//   5. remove dir
// The replica must neither apply entries nor serve reads between 2 and 4. After a crash between
// 2 and 4, the node calls RecoverPendingSnapshots() at open, before any replica starts: for each
// marker it re-runs step 3 from the directory (IngestSnapshot is idempotent: it never consumes
// the directory's files, and re-running it after a crash at any point gives the same data), and
// returns the manifests so that the caller does step 4 and 5. A marker whose directory is gone
// or corrupt cannot be completed: the replica's range may be half replaced, and the replica
// cannot be recovered from this node; the caller must not start it and must have it removed and
// re-created from another replica (the marker stays, so the node keeps refusing it).
//
// Thread safety: free functions without shared state; each directory must be used by one caller
// at a time.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "common/ids.h"
#include "common/result.h"
#include "multiraft/local_state.h"
#include "multiraft/shard.h"
#include "multiraft/snapshot_manifest.h"
#include "storage/engine.h"
#include "storage/write_batch.h"

namespace tessera::multiraft {

// Writes a snapshot of the shard into `dir`: the keys of [desc.start_key, desc.end_key) of
// Cf::kData as seen by `snap` (an empty end key: to the end of the key space), in files of about
// opts.target_file_bytes, and MANIFEST, all durable (files and directory fsynced) when it
// returns. An empty range gives a manifest with no file. `dir` must not exist (AlreadyExists);
// its parent must. On failure `dir` is removed.
// REQUIRES: `snap` comes from `engine`; `apply` is the apply state as of `snap` (the caller reads
// both from the same engine snapshot, so data and index agree); apply.applied_index > 0.
Result<SnapshotManifest> CutSnapshot(storage::Engine* engine, const storage::Snapshot& snap,
                                     const ShardDescriptor& desc, const ApplyState& apply,
                                     const std::string& dir,
                                     const storage::ExportOptions& opts = {});

// Reads and decodes dir/MANIFEST without looking at the files.
Result<SnapshotManifest> ReadSnapshotManifest(const std::string& dir);

// Reads dir/MANIFEST and checks that every file it lists exists with its size and checksum.
// Corruption for a malformed manifest or a missing, short, long or altered file; NotFound when
// there is no MANIFEST. On success, *out (if not null) holds the manifest.
Status VerifySnapshotDir(const std::string& dir, SnapshotManifest* out);

// Replaces the shard's range of Cf::kData with the snapshot's files: verifies and copies every
// file into dir/ingest.tmp/ (the engine may consume what it ingests, so the originals stay
// untouched), then DeleteRange [start_key, end_key) (synced) and Engine::Ingest of the copies,
// then removes the copies. NotSupported when the engine cannot read the snapshot's file format
// (a RocksDB snapshot on an LMDB node, or the reverse); Corruption when a file does not verify,
// and then nothing was changed.
// Idempotent: running it again, after success or after a crash at any point, gives the same
// content of the range, as long as nothing else writes to the range meanwhile.
Status IngestSnapshot(storage::Engine* engine, const SnapshotManifest& m, const std::string& dir);

// --- The pending marker (Cf::kMeta) ---------------------------------------------------------
//
//   "snap_pending/" + be64(shard id)  ->  version u8 (1) | lp dir | fixed32 checksum
//
// Present while a snapshot is being installed (steps 2 to 4 above); `dir` is the snapshot
// directory to re-ingest from.
inline constexpr std::string_view kSnapshotPendingPrefix = "snap_pending/";
std::string SnapshotPendingKey(ShardId shard);
std::string EncodeSnapshotPending(std::string_view dir);
Result<std::string> DecodeSnapshotPending(std::string_view value);

// Add the marker's Put / Delete to a batch the caller writes (with sync = true).
Status PutSnapshotPending(storage::WriteBatch* batch, ShardId shard, std::string_view dir);
Status ClearSnapshotPending(storage::WriteBatch* batch, ShardId shard);

struct PendingSnapshot {
  ShardId shard;
  std::string dir;
};
// Every marker in the engine, by shard id. Corruption for a marker that does not decode.
Result<std::vector<PendingSnapshot>> ListPendingSnapshots(storage::Engine* engine);

struct RecoveredSnapshot {
  ShardId shard;
  std::string dir;
  // OK: the range was re-ingested from `dir` and `manifest` is valid; the caller does steps 4
  // and 5. Otherwise (Corruption naming the shard and the directory) the replica cannot be
  // recovered on this node; the marker is left in place.
  Status status;
  SnapshotManifest manifest;
};
// For every pending marker: verifies its directory, re-ingests it (IngestSnapshot) and reports
// the outcome per shard. Fails as a whole only when the markers cannot be read or an ingestion
// fails for another reason than a bad directory (an I/O error of the engine).
Result<std::vector<RecoveredSnapshot>> RecoverPendingSnapshots(storage::Engine* engine);

}  // namespace tessera::multiraft
