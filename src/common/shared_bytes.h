// SharedBytes: an immutable byte string whose copies share one buffer.
//
// Log entries travel through many hands (the unstable log, append messages to each follower,
// the Ready, storage, the apply queue); with SharedBytes each hand-off costs a reference-count
// increment instead of an allocation and a copy. The bytes never change after construction.
// Thread safety: copies may be used and destroyed from different threads concurrently.
#pragma once

#include <memory>
#include <string>
#include <string_view>

namespace tessera {

class SharedBytes {
 public:
  SharedBytes() = default;
  // Takes ownership of s (no copy of the bytes when moved in). Implicit so that a std::string or
  // a literal can be passed where an entry's data is expected.
  SharedBytes(std::string s)  // NOLINT(google-explicit-constructor)
      : buf_(s.empty() ? nullptr : std::make_shared<const std::string>(std::move(s))) {}
  SharedBytes(const char* s)  // NOLINT(google-explicit-constructor)
      : SharedBytes(std::string(s)) {}
  SharedBytes(std::string_view s)  // NOLINT(google-explicit-constructor)
      : SharedBytes(std::string(s)) {}

  std::string_view view() const { return buf_ ? std::string_view(*buf_) : std::string_view(); }
  operator std::string_view() const { return view(); }  // NOLINT(google-explicit-constructor)
  const char* data() const { return view().data(); }
  size_t size() const { return buf_ ? buf_->size() : 0; }
  bool empty() const { return size() == 0; }
  std::string ToString() const { return std::string(view()); }

  // Content equality.
  friend bool operator==(const SharedBytes& a, const SharedBytes& b) {
    return a.view() == b.view();
  }
  friend bool operator==(const SharedBytes& a, std::string_view b) { return a.view() == b; }

 private:
  std::shared_ptr<const std::string> buf_;  // null when empty
};

}  // namespace tessera
