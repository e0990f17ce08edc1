#include "redis/codec.h"

#include "common/assert.h"
#include "common/coding.h"

namespace tessera::redis {

std::string EncodeKey(std::string_view redis_key) {
  TESSERA_ASSERT(redis_key.size() <= kMaxRedisKeyBytes, "Redis key too long to encode");
  std::string out;
  out.reserve(kKeyPrefix.size() + redis_key.size());
  out.append(kKeyPrefix);
  out.append(redis_key);
  return out;
}

bool DecodeKey(std::string_view store_key, std::string_view* redis_key) {
  if (!store_key.starts_with(kKeyPrefix)) return false;
  *redis_key = store_key.substr(kKeyPrefix.size());
  return true;
}

std::string EncodeValue(std::string_view payload, int64_t expire_at_ms) {
  TESSERA_ASSERT(payload.size() <= kMaxValueBytes, "Redis value too large to encode");
  TESSERA_ASSERT(expire_at_ms >= 0, "negative expiry");
  std::string out;
  out.reserve(kMaxValueHeaderBytes + payload.size());
  if (expire_at_ms == 0) {
    out.push_back(kTagString);
  } else {
    out.push_back(kTagStringWithExpiry);
    PutFixed64(&out, static_cast<uint64_t>(expire_at_ms));
  }
  out.append(payload);
  return out;
}

Status DecodeValue(std::string_view stored, DecodedValue* out) {
  if (stored.empty()) return Status::Corruption("empty Redis value");
  char tag = stored[0];
  stored.remove_prefix(1);
  if (tag == kTagString) {
    out->expire_at_ms = 0;
    out->payload = stored;
    return Status::OK();
  }
  if (tag != kTagStringWithExpiry) return Status::Corruption("unknown Redis value format");
  uint64_t expire = 0;
  if (!GetFixed64(&stored, &expire)) return Status::Corruption("truncated Redis value header");
  if (expire == 0 || expire > static_cast<uint64_t>(INT64_MAX)) {
    return Status::Corruption("invalid expiry in Redis value");
  }
  out->expire_at_ms = static_cast<int64_t>(expire);
  out->payload = stored;
  return Status::OK();
}

}  // namespace tessera::redis
