#include "storage/format_version.h"

#include <fmt/format.h>

#include "common/coding.h"
#include "storage/write_batch.h"

namespace tessera::storage {
namespace {

Result<bool> CfIsEmpty(Engine& engine, Cf cf) {
  auto it = engine.NewIterator(cf, {});
  it->SeekToFirst();
  TESSERA_RETURN_IF_ERROR(it->status());
  return !it->Valid();
}

}  // namespace

Status InitOrCheckFormatVersion(Engine& engine) {
  auto stored = engine.Get(Cf::kMeta, kFormatVersionKey);
  if (stored.ok()) {
    std::string_view in(*stored);
    uint32_t version = 0;
    if (!GetFixed32(&in, &version) || !in.empty()) {
      return Status::Corruption("undecodable storage format version");
    }
    if (version > kFormatVersion) {
      return Status::NotSupported(fmt::format(
          "storage format version {} is newer than this binary's {}", version, kFormatVersion));
    }
    TESSERA_ASSERT(version == kFormatVersion, "no migration from an older format exists");
    return Status::OK();
  }
  if (!stored.status().Is(Status::Code::kNotFound)) return stored.status();
  for (Cf cf : {Cf::kData, Cf::kRaft}) {
    auto empty = CfIsEmpty(engine, cf);
    if (!empty.ok()) return empty.status();
    if (!*empty) {
      return Status::Corruption(fmt::format(
          "column family {} holds data but no storage format version is recorded", CfName(cf)));
    }
  }
  std::string value;
  PutFixed32(&value, kFormatVersion);
  return engine.Put(WriteOptions{.sync = true}, Cf::kMeta, kFormatVersionKey, value);
}

}  // namespace tessera::storage
