#include "storage/engine.h"

#include "storage/write_batch.h"

namespace tessera::storage {

std::string_view CfName(Cf cf) {
  switch (cf) {
    case Cf::kData:
      return "data";
    case Cf::kRaft:
      return "raft";
    case Cf::kMeta:
      return "meta";
  }
  TESSERA_UNREACHABLE("unknown Cf");
}

bool CfFromInt(uint32_t v, Cf* cf) {
  if (v >= kNumCfs) return false;
  *cf = static_cast<Cf>(v);
  return true;
}

std::string_view EngineKindName(EngineKind kind) {
  switch (kind) {
    case EngineKind::kRocksDb:
      return "rocksdb";
    case EngineKind::kMemory:
      return "memory";
    case EngineKind::kLmdb:
      return "lmdb";
  }
  TESSERA_UNREACHABLE("unknown EngineKind");
}

Status Engine::DeleteRange(const WriteOptions& opts, Cf cf, std::string_view start,
                           std::string_view end) {
  WriteBatch batch;
  TESSERA_RETURN_IF_ERROR(batch.DeleteRange(cf, start, end));
  return Write(opts, batch);
}

Status Engine::Put(const WriteOptions& opts, Cf cf, std::string_view key, std::string_view value) {
  WriteBatch batch;
  TESSERA_RETURN_IF_ERROR(batch.Put(cf, key, value));
  return Write(opts, batch);
}

Status Engine::Delete(const WriteOptions& opts, Cf cf, std::string_view key) {
  WriteBatch batch;
  TESSERA_RETURN_IF_ERROR(batch.Delete(cf, key));
  return Write(opts, batch);
}

}  // namespace tessera::storage
