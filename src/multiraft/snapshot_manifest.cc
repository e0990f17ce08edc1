#include "multiraft/snapshot_manifest.h"

#include <set>

#include "common/checksum.h"
#include "common/coding.h"

namespace tessera::multiraft {
namespace {

// lp name (>= 2) | varint size | varint keys | fixed64 checksum | lp smallest (>= 2) | lp largest.
constexpr size_t kMinFileEntryBytes = 2 + 1 + 1 + 8 + 2 + 2;

Status Bad(std::string_view why) {
  return Status::Corruption(std::string("malformed snapshot manifest: ") + std::string(why));
}

bool GetString(std::string_view* in, std::string* out) {
  std::string_view v;
  if (!GetLengthPrefixed(in, &v)) return false;
  out->assign(v);
  return true;
}

bool GetFile(std::string_view* in, SnapshotFile* f) {
  return GetString(in, &f->name) && GetVarint64(in, &f->size) && GetVarint64(in, &f->keys) &&
         GetFixed64(in, &f->checksum) && GetString(in, &f->smallest) && GetString(in, &f->largest);
}

// The checks on the decoded content that the byte layout cannot express.
Status CheckFiles(const SnapshotManifest& m) {
  std::set<std::string_view> names;
  const std::string* prev_largest = nullptr;
  for (const SnapshotFile& f : m.files) {
    if (!IsValidSnapshotFileName(f.name)) return Bad("unsafe file name");
    if (!names.insert(f.name).second) return Bad("duplicate file name");
    if (f.keys == 0 || f.size == 0) return Bad("empty file");
    if (f.smallest.empty() || f.smallest > f.largest) return Bad("bad key range of a file");
    if (prev_largest != nullptr && f.smallest <= *prev_largest) {
      return Bad("files out of order or overlapping");
    }
    if (!m.desc.ContainsKey(f.smallest) || !m.desc.ContainsKey(f.largest)) {
      return Bad("file holds keys outside the shard");
    }
    prev_largest = &f.largest;
  }
  return Status::OK();
}

}  // namespace

SnapshotFileFormat FileFormatOf(storage::EngineKind kind) {
  return kind == storage::EngineKind::kRocksDb ? SnapshotFileFormat::kRocksDbSst
                                               : SnapshotFileFormat::kTesseraExport;
}

std::string_view FileFormatName(SnapshotFileFormat f) {
  return f == SnapshotFileFormat::kRocksDbSst ? "sst" : "tsx";
}

bool IsValidSnapshotFileName(std::string_view name) {
  return !name.empty() && name.size() <= kMaxSnapshotFileNameBytes && name != "." && name != ".." &&
         name != kSnapshotManifestName && name.find('/') == std::string_view::npos &&
         name.find('\0') == std::string_view::npos;
}

uint64_t SnapshotManifest::TotalBytes() const {
  uint64_t n = 0;
  for (const SnapshotFile& f : files) n += f.size;
  return n;
}

uint64_t SnapshotManifest::TotalKeys() const {
  uint64_t n = 0;
  for (const SnapshotFile& f : files) n += f.keys;
  return n;
}

raft::SnapshotMetadata SnapshotManifest::RaftMetadata() const {
  return raft::SnapshotMetadata{
      .conf_state = apply.conf_state, .index = apply.applied_index, .term = apply.applied_term};
}

std::string EncodeSnapshotManifest(const SnapshotManifest& m) {
  std::string out(kSnapshotManifestMagic);
  out.push_back(static_cast<char>(kSnapshotManifestVersion));
  PutLengthPrefixed(&out, EncodeShardDescriptor(m.desc));
  PutLengthPrefixed(&out, EncodeApplyState(m.apply));
  out.push_back(static_cast<char>(m.format));
  PutVarint64(&out, m.files.size());
  for (const SnapshotFile& f : m.files) {
    PutLengthPrefixed(&out, f.name);
    PutVarint64(&out, f.size);
    PutVarint64(&out, f.keys);
    PutFixed64(&out, f.checksum);
    PutLengthPrefixed(&out, f.smallest);
    PutLengthPrefixed(&out, f.largest);
  }
  PutFixed64(&out, Checksum64(out));
  return out;
}

Result<SnapshotManifest> DecodeSnapshotManifest(std::string_view data) {
  const size_t min = kSnapshotManifestMagic.size() + 1 + 8;
  if (data.size() < min) return Bad("truncated");
  if (data.size() > kMaxSnapshotManifestBytes) return Bad("too large");
  if (data.substr(0, kSnapshotManifestMagic.size()) != kSnapshotManifestMagic) {
    return Bad("bad magic");
  }
  const std::string_view covered = data.substr(0, data.size() - 8);
  if (DecodeFixed64(data.data() + covered.size()) != Checksum64(covered)) {
    return Status::Corruption("snapshot manifest checksum mismatch");
  }
  std::string_view in = covered.substr(kSnapshotManifestMagic.size());
  if (static_cast<uint8_t>(in[0]) != kSnapshotManifestVersion) return Bad("unknown version");
  in.remove_prefix(1);
  SnapshotManifest m;
  std::string_view desc, apply;
  if (!GetLengthPrefixed(&in, &desc) || !GetLengthPrefixed(&in, &apply) || in.empty()) {
    return Bad("truncated");
  }
  TESSERA_ASSIGN_OR_RETURN(m.desc, DecodeShardDescriptor(desc));
  TESSERA_ASSIGN_OR_RETURN(m.apply, DecodeApplyState(apply));
  if (!m.desc.id) return Bad("zero shard id");
  if (m.apply.applied_index == LogIndex(0) || m.apply.applied_term == Term(0)) {
    return Bad("zero index or term");
  }
  const uint8_t format = static_cast<uint8_t>(in[0]);
  if (format != static_cast<uint8_t>(SnapshotFileFormat::kRocksDbSst) &&
      format != static_cast<uint8_t>(SnapshotFileFormat::kTesseraExport)) {
    return Bad("unknown file format");
  }
  m.format = static_cast<SnapshotFileFormat>(format);
  in.remove_prefix(1);
  uint64_t n = 0;
  // Every file entry takes at least kMinFileEntryBytes: no allocation beyond the input's size.
  if (!GetVarint64(&in, &n) || n > kMaxSnapshotFiles || n > in.size() / kMinFileEntryBytes) {
    return Bad("bad file count");
  }
  m.files.resize(n);
  for (SnapshotFile& f : m.files) {
    if (!GetFile(&in, &f)) return Bad("truncated file entry");
  }
  if (!in.empty()) return Bad("trailing bytes");
  TESSERA_RETURN_IF_ERROR(CheckFiles(m));
  return m;
}

}  // namespace tessera::multiraft
