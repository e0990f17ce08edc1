#include "multiraft/versioned_value.h"

#include "common/coding.h"

namespace tessera::multiraft {
namespace {
constexpr char kVersionedV1 = 0x01;
}  // namespace

void EncodeVersionedValue(uint64_t create_revision, uint64_t mod_revision, uint64_t version,
                          std::string_view payload, std::string* out) {
  out->push_back(kVersionedV1);
  PutVarint64(out, create_revision);
  PutVarint64(out, mod_revision);
  PutVarint64(out, version);
  out->append(payload);
}

std::optional<VersionedValue> DecodeVersionedValue(std::string_view stored) {
  if (stored.empty() || stored[0] != kVersionedV1) return std::nullopt;
  stored.remove_prefix(1);
  VersionedValue v;
  if (!GetVarint64(&stored, &v.create_revision) || !GetVarint64(&stored, &v.mod_revision) ||
      !GetVarint64(&stored, &v.version)) {
    return std::nullopt;
  }
  v.payload = stored;
  return v;
}

}  // namespace tessera::multiraft
