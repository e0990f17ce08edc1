#include "etcd/ranges.h"

#include "etcd/errors.h"

namespace tessera::etcd {
namespace {

// The half-open interval [lo, hi) of byte strings a range covers; an empty `hi` is +infinity.
// A single key k covers [k, k + "\0"): no other key sorts between them.
struct Interval {
  std::string lo;
  std::string hi;
};

Interval ToInterval(const KeyRange& r) {
  if (!r.end.has_value()) return {r.key, r.key + std::string(1, '\0')};
  return {r.key, *r.end};
}

// a < b where an empty string is +infinity (as an interval's upper end).
bool LessThanUpper(const std::string& a, const std::string& upper) {
  return upper.empty() || a < upper;
}

}  // namespace

Result<EtcdRange> ToEtcdRange(std::string_view key, std::string_view range_end) {
  if (key.empty()) return errors::EmptyKey();
  EtcdRange out;
  out.range.key = std::string(key);
  if (range_end.empty()) return out;
  if (range_end == std::string_view("\0", 1)) {
    out.range.end = std::string();
    return out;
  }
  if (range_end <= key) {
    out.inverted = true;
    return out;
  }
  out.range.end = std::string(range_end);
  return out;
}

bool RangeContains(const KeyRange& range, std::string_view key) {
  if (!range.end.has_value()) return key == range.key;
  return key >= range.key && (range.end->empty() || key < *range.end);
}

bool RangesOverlap(const KeyRange& a, const KeyRange& b) {
  const Interval x = ToInterval(a);
  const Interval y = ToInterval(b);
  return LessThanUpper(x.lo, y.hi) && LessThanUpper(y.lo, x.hi);
}

}  // namespace tessera::etcd
