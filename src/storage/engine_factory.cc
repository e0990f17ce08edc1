#include "storage/engine_factory.h"

namespace tessera::storage {

Result<std::unique_ptr<Engine>> OpenEngine(const std::string& path, const EngineOptions& opts) {
  switch (opts.kind) {
    case EngineKind::kRocksDb:
      return OpenRocksDbEngine(path, opts.rocksdb);
    case EngineKind::kLmdb:
      return OpenLmdbEngine(path, opts.lmdb);
    case EngineKind::kMemory:
      return OpenMemoryEngine(opts.memory);
  }
  TESSERA_UNREACHABLE("unknown EngineKind");
}

bool ParseEngineKind(std::string_view name, EngineKind* kind) {
  for (EngineKind k : {EngineKind::kRocksDb, EngineKind::kMemory, EngineKind::kLmdb}) {
    if (EngineKindName(k) == name) {
      *kind = k;
      return true;
    }
  }
  return false;
}

}  // namespace tessera::storage
