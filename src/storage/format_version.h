// The storage format version, kept at kFormatVersionKey in Cf::kMeta (docs/storage_format.md,
// "Versioning"). Internal to storage/: every engine's Open calls InitOrCheckFormatVersion.
#pragma once

#include "common/status.h"
#include "storage/engine.h"

namespace tessera::storage {

// On an engine without the key: Corruption if Cf::kData or Cf::kRaft hold keys (data written by
// something that is not Tessera, or a lost meta key), else writes kFormatVersion with sync.
// With the key: NotSupported if it is newer than kFormatVersion (a downgrade), Corruption if it
// cannot be decoded; older versions would be migrated here (none exist yet).
Status InitOrCheckFormatVersion(Engine& engine);

}  // namespace tessera::storage
