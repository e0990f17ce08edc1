#include "redis/keyspace.h"

#include <algorithm>
#include <optional>
#include <vector>

#include "common/assert.h"
#include "redis/codec.h"
#include "redis/glob.h"

namespace tessera::redis {
namespace {

// The first string after every string starting with `prefix`, or empty when there is none.
std::string PrefixSuccessor(std::string_view prefix) {
  std::string s(prefix);
  while (!s.empty()) {
    unsigned char last = static_cast<unsigned char>(s.back());
    if (last != 0xff) {
      s.back() = static_cast<char>(last + 1);
      return s;
    }
    s.pop_back();
  }
  return s;
}

}  // namespace

bool PatternRange(std::string_view pattern, std::string* lo, std::string* hi) {
  std::string_view literal = GlobLiteralPrefix(pattern);
  if (literal.size() > kMaxRedisKeyBytes) return false;
  lo->assign(kKeyPrefix);
  lo->append(literal);
  *hi = literal.empty() ? std::string(kKeyPrefixEnd) : PrefixSuccessor(*lo);
  TESSERA_ASSERT(!hi->empty() && *lo < *hi, "a Redis key range is never empty");
  return true;
}

bool KeyAfter(std::string_view key, std::string* next) {
  if (key.size() < kMaxStoreKeyBytes) {
    next->assign(key);
    next->push_back('\0');
    return true;
  }
  // No longer key exists, so the next one is past every key sharing this one as a prefix.
  *next = PrefixSuccessor(key.substr(0, kMaxStoreKeyBytes));
  return !next->empty();
}

Status CountKeys(Backend* backend, int64_t* keys, int64_t* expires) {
  std::string start(kKeyPrefix);
  *keys = 0;
  if (expires != nullptr) *expires = 0;
  std::vector<KvPair> page;
  size_t page_keys = expires != nullptr ? kScanPageKeys : 4 * kScanPageKeys;
  // Each page moves start forward; the loop ends at the namespace's end.
  while (true) {
    TESSERA_RETURN_IF_ERROR(
        backend->Scan(start, kKeyPrefixEnd, page_keys, expires == nullptr, &page));
    *keys += static_cast<int64_t>(page.size());
    for (const auto& kv : page) {
      DecodedValue d;
      if (expires != nullptr && DecodeValue(kv.value, &d).ok() && d.expire_at_ms != 0) {
        ++*expires;
      }
    }
    if (page.size() < page_keys || !KeyAfter(page.back().key, &start)) break;
  }
  return Status::OK();
}

Status SweepExpired(Backend* backend, size_t max_keys, std::string_view resume_after,
                    SweepResult* result) {
  TESSERA_ASSERT(max_keys > 0, "SweepExpired needs max_keys > 0");
  *result = SweepResult{};
  std::string start(kKeyPrefix);
  if (!resume_after.empty() && !KeyAfter(resume_after, &start)) return Status::OK();
  start = std::max(start, std::string(kKeyPrefix));
  std::vector<KvPair> page;
  while (result->examined < max_keys) {
    size_t limit = std::min(kScanPageKeys, max_keys - result->examined);
    TESSERA_RETURN_IF_ERROR(backend->Scan(start, kKeyPrefixEnd, limit, false, &page));
    int64_t now = backend->NowMs();
    for (auto& kv : page) {
      ++result->examined;
      result->resume_after = kv.key;
      DecodedValue d;
      if (!DecodeValue(kv.value, &d).ok() || !d.ExpiredAt(now)) continue;
      bool swapped = false;
      std::optional<std::string> previous;
      TESSERA_RETURN_IF_ERROR(
          backend->CompareAndSwap(kv.key, std::move(kv.value), std::nullopt, &swapped, &previous));
      if (swapped) ++result->deleted;
    }
    if (page.size() < limit) {
      result->resume_after.clear();  // the end of the namespace
      break;
    }
    if (!KeyAfter(result->resume_after, &start)) {
      result->resume_after.clear();
      break;
    }
  }
  return Status::OK();
}

}  // namespace tessera::redis
