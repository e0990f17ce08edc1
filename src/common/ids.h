// Strong id types (shared/style.md, item 3): a Term cannot be passed where a LogIndex is expected.
//
// Each type wraps a uint64_t. Ids (NodeId, ShardId) only compare; ordinal types (Term, LogIndex)
// also step forward and back and take offsets, because Raft does arithmetic on them.
// Zero means "none" for ids and terms, and "before the first entry" for log indexes.
#pragma once

#include <compare>
#include <cstdint>
#include <functional>
#include <ostream>

namespace tessera {

template <typename Tag>
class StrongId {
 public:
  constexpr StrongId() = default;
  constexpr explicit StrongId(uint64_t v) : v_(v) {}
  constexpr uint64_t value() const { return v_; }
  constexpr explicit operator bool() const { return v_ != 0; }
  constexpr auto operator<=>(const StrongId&) const = default;

 private:
  uint64_t v_ = 0;
};

template <typename Tag>
class Ordinal {
 public:
  constexpr Ordinal() = default;
  constexpr explicit Ordinal(uint64_t v) : v_(v) {}
  constexpr uint64_t value() const { return v_; }
  constexpr auto operator<=>(const Ordinal&) const = default;

  constexpr Ordinal next() const { return Ordinal(v_ + 1); }
  // REQUIRES: value() > 0.
  constexpr Ordinal prev() const { return Ordinal(v_ - 1); }
  constexpr Ordinal operator+(uint64_t n) const { return Ordinal(v_ + n); }
  // REQUIRES: value() >= n.
  constexpr Ordinal operator-(uint64_t n) const { return Ordinal(v_ - n); }
  // The distance between two ordinals. REQUIRES: *this >= o.
  constexpr uint64_t operator-(Ordinal o) const { return v_ - o.v_; }
  constexpr Ordinal& operator++() {
    ++v_;
    return *this;
  }

 private:
  uint64_t v_ = 0;
};

struct NodeIdTag {};
struct ShardIdTag {};
struct TermTag {};
struct LogIndexTag {};

using NodeId = StrongId<NodeIdTag>;     // a `tessera server` process (or a PD member)
using ShardId = StrongId<ShardIdTag>;   // a key range with its own Raft group
using Term = Ordinal<TermTag>;          // a Raft term
using LogIndex = Ordinal<LogIndexTag>;  // a position in a Raft log

template <typename Tag>
std::ostream& operator<<(std::ostream& os, StrongId<Tag> id) {
  return os << id.value();
}
template <typename Tag>
std::ostream& operator<<(std::ostream& os, Ordinal<Tag> o) {
  return os << o.value();
}

}  // namespace tessera

template <typename Tag>
struct std::hash<tessera::StrongId<Tag>> {
  size_t operator()(tessera::StrongId<Tag> id) const noexcept {
    return std::hash<uint64_t>()(id.value());
  }
};
