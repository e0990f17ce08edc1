#include "multiraft/snapshot.h"

#include <fmt/format.h>

#include <memory>
#include <utility>

#include "common/assert.h"
#include "common/checksum.h"
#include "common/coding.h"
#include "multiraft/snapshot_files.h"
#include "storage/fs_util.h"

namespace tessera::multiraft {
namespace {

constexpr uint8_t kPendingV1 = 1;
constexpr std::string_view kIngestStagingName = "ingest.tmp";

std::string Join(const std::string& dir, std::string_view name) {
  return dir + "/" + std::string(name);
}

// Describes the files Export wrote, with their checksums.
Result<std::vector<SnapshotFile>> DescribeFiles(
    const std::vector<storage::ExportedFile>& exported) {
  std::vector<SnapshotFile> files;
  files.reserve(exported.size());
  for (const storage::ExportedFile& e : exported) {
    TESSERA_ASSIGN_OR_RETURN(const FileDigest d, DigestFile(e.path));
    files.push_back(SnapshotFile{.name = BaseName(e.path),
                                 .size = d.size,
                                 .keys = e.keys,
                                 .checksum = d.checksum,
                                 .smallest = e.smallest,
                                 .largest = e.largest});
  }
  return files;
}

Result<SnapshotManifest> CutInto(storage::Engine* engine, const storage::Snapshot& snap,
                                 const ShardDescriptor& desc, const ApplyState& apply,
                                 const std::string& dir, const storage::ExportOptions& opts) {
  TESSERA_ASSIGN_OR_RETURN(
      const std::vector<storage::ExportedFile> exported,
      engine->Export(snap, storage::Cf::kData, desc.start_key, desc.end_key, dir, opts));
  SnapshotManifest m{.desc = desc, .apply = apply, .format = FileFormatOf(engine->kind())};
  TESSERA_ASSIGN_OR_RETURN(m.files, DescribeFiles(exported));
  const std::string encoded = EncodeSnapshotManifest(m);
  // Postcondition: what we write is what a receiver accepts (names, order, keys in range).
  const auto check = DecodeSnapshotManifest(encoded);
  TESSERA_ASSERT(check.ok() && *check == m, "cut a snapshot manifest that does not decode");
  TESSERA_RETURN_IF_ERROR(storage::WriteNewFileSync(Join(dir, kSnapshotManifestName), encoded));
  TESSERA_RETURN_IF_ERROR(storage::SyncDir(dir));
  return m;
}

// Verifies and copies every file of `m` from `dir` into `staging` (created afresh).
Result<std::vector<std::string>> StageFiles(const SnapshotManifest& m, const std::string& dir,
                                            const std::string& staging) {
  TESSERA_RETURN_IF_ERROR(RemoveAll(staging));  // a copy left by a crashed attempt
  TESSERA_RETURN_IF_ERROR(storage::CreateNewDir(staging));
  std::vector<std::string> paths;
  for (const SnapshotFile& f : m.files) {
    const std::string dst = Join(staging, f.name);
    const Status st = CopyFileVerified(Join(dir, f.name), dst, {f.size, f.checksum});
    if (st.Is(Status::Code::kNotFound)) return Status::Corruption(st.ToString());
    TESSERA_RETURN_IF_ERROR(st);
    paths.push_back(dst);
  }
  return paths;
}

Status CheckFormat(const storage::Engine& engine, const SnapshotManifest& m) {
  if (FileFormatOf(engine.kind()) == m.format) return Status::OK();
  return Status::NotSupported(fmt::format(
      "snapshot of {} holds {} files, which a {} engine cannot ingest", DescribeShard(m.desc),
      FileFormatName(m.format), storage::EngineKindName(engine.kind())));
}

}  // namespace

Result<SnapshotManifest> CutSnapshot(storage::Engine* engine, const storage::Snapshot& snap,
                                     const ShardDescriptor& desc, const ApplyState& apply,
                                     const std::string& dir, const storage::ExportOptions& opts) {
  TESSERA_ASSERT(engine != nullptr, "CutSnapshot without an engine");
  TESSERA_ASSERT(apply.applied_index > LogIndex(0), "snapshot at index 0");
  TESSERA_RETURN_IF_ERROR(storage::CreateNewDir(dir));
  auto m = CutInto(engine, snap, desc, apply, dir, opts);
  if (!m.ok()) (void)RemoveAll(dir);  // best effort: the start-up cleanup removes leftovers
  return m;
}

Result<SnapshotManifest> ReadSnapshotManifest(const std::string& dir) {
  TESSERA_ASSIGN_OR_RETURN(
      const std::string data,
      storage::ReadWholeFile(Join(dir, kSnapshotManifestName), kMaxSnapshotManifestBytes));
  return DecodeSnapshotManifest(data);
}

Status VerifySnapshotDir(const std::string& dir, SnapshotManifest* out) {
  auto m = ReadSnapshotManifest(dir);
  if (!m.ok()) {
    // A manifest too large to be ours is corrupt, not an argument error.
    if (m.status().Is(Status::Code::kInvalidArgument))
      return Status::Corruption(m.status().ToString());
    return m.status();
  }
  for (const SnapshotFile& f : m->files) {
    const std::string path = Join(dir, f.name);
    auto d = DigestFile(path);
    if (!d.ok()) {
      if (d.status().Is(Status::Code::kNotFound))
        return Status::Corruption(fmt::format("{} is missing", path));
      return d.status();
    }
    if (d->size != f.size || d->checksum != f.checksum) {
      return Status::Corruption(
          fmt::format("{}: size {} checksum {:016x}, manifest says {} {:016x}", path, d->size,
                      d->checksum, f.size, f.checksum));
    }
  }
  if (out != nullptr) *out = std::move(m).value();
  return Status::OK();
}

Status IngestSnapshot(storage::Engine* engine, const SnapshotManifest& m, const std::string& dir) {
  TESSERA_ASSERT(engine != nullptr, "IngestSnapshot without an engine");
  TESSERA_RETURN_IF_ERROR(CheckFormat(*engine, m));
  const std::string staging = Join(dir, kIngestStagingName);
  // Verify everything before touching the range: a bad file changes nothing.
  TESSERA_ASSIGN_OR_RETURN(const std::vector<std::string> paths, StageFiles(m, dir, staging));
  TESSERA_RETURN_IF_ERROR(engine->DeleteRange(
      storage::WriteOptions{.sync = true}, storage::Cf::kData, m.desc.start_key, m.desc.end_key));
  TESSERA_RETURN_IF_ERROR(engine->Ingest(storage::Cf::kData, paths));
  return RemoveAll(staging);
}

std::string SnapshotPendingKey(ShardId shard) {
  std::string k(kSnapshotPendingPrefix);
  PutBigEndian64(&k, shard.value());
  return k;
}

std::string EncodeSnapshotPending(std::string_view dir) {
  std::string out;
  out.push_back(static_cast<char>(kPendingV1));
  PutLengthPrefixed(&out, dir);
  PutFixed32(&out, Checksum32(out));
  return out;
}

Result<std::string> DecodeSnapshotPending(std::string_view value) {
  auto bad = [] { return Status::Corruption("malformed snapshot pending marker"); };
  if (value.size() < 5) return bad();
  const std::string_view body = value.substr(0, value.size() - 4);
  if (DecodeFixed32(value.data() + body.size()) != Checksum32(body)) return bad();
  std::string_view in = body;
  std::string_view dir;
  if (static_cast<uint8_t>(in[0]) != kPendingV1) return bad();
  in.remove_prefix(1);
  if (!GetLengthPrefixed(&in, &dir) || !in.empty() || dir.empty()) return bad();
  return std::string(dir);
}

Status PutSnapshotPending(storage::WriteBatch* batch, ShardId shard, std::string_view dir) {
  TESSERA_ASSERT(shard, "pending marker of shard 0");
  return batch->Put(storage::Cf::kMeta, SnapshotPendingKey(shard), EncodeSnapshotPending(dir));
}

Status ClearSnapshotPending(storage::WriteBatch* batch, ShardId shard) {
  return batch->Delete(storage::Cf::kMeta, SnapshotPendingKey(shard));
}

Result<std::vector<PendingSnapshot>> ListPendingSnapshots(storage::Engine* engine) {
  std::string end(kSnapshotPendingPrefix);
  end.back() += 1;  // the first key after the prefix: "snap_pending0"
  auto it = engine->NewIterator(storage::Cf::kMeta,
                                storage::IterOptions{std::string(kSnapshotPendingPrefix), end});
  std::vector<PendingSnapshot> out;
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    std::string_view key = it->key();
    key.remove_prefix(kSnapshotPendingPrefix.size());
    uint64_t id = 0;
    if (!GetBigEndian64(&key, &id) || !key.empty() || id == 0) {
      return Status::Corruption("malformed snapshot pending marker key");
    }
    TESSERA_ASSIGN_OR_RETURN(std::string dir, DecodeSnapshotPending(it->value()));
    out.push_back(PendingSnapshot{ShardId(id), std::move(dir)});
  }
  TESSERA_RETURN_IF_ERROR(it->status());
  return out;
}

Result<std::vector<RecoveredSnapshot>> RecoverPendingSnapshots(storage::Engine* engine) {
  TESSERA_ASSIGN_OR_RETURN(const std::vector<PendingSnapshot> pending,
                           ListPendingSnapshots(engine));
  std::vector<RecoveredSnapshot> out;
  for (const PendingSnapshot& p : pending) {
    RecoveredSnapshot r{.shard = p.shard, .dir = p.dir};
    auto unrecoverable = [&](const Status& why) {
      return Status::Corruption(fmt::format(
          "replica of shard {} cannot be recovered: it was installing the snapshot in {}, which "
          "is unusable ({}); its key range may be partly replaced, so it must not be started: "
          "remove it and re-create it from another replica",
          p.shard.value(), p.dir, why.ToString()));
    };
    Status st = VerifySnapshotDir(p.dir, &r.manifest);
    if (st.ok() && r.manifest.desc.id != p.shard) {
      st = Status::Corruption(
          fmt::format("the manifest is of shard {}", r.manifest.desc.id.value()));
    }
    if (st.ok()) {
      st = IngestSnapshot(engine, r.manifest, p.dir);
      // Anything but a bad directory (an engine failure) stops the recovery as a whole.
      if (!st.ok() && !st.Is(Status::Code::kCorruption) && !st.Is(Status::Code::kNotFound) &&
          !st.Is(Status::Code::kNotSupported))
        return st;
    }
    r.status = st.ok() ? st : unrecoverable(st);
    out.push_back(std::move(r));
  }
  return out;
}

}  // namespace tessera::multiraft
