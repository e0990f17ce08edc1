// Result<T>: a value or a non-OK Status, for functions that return something or fail with an
// expected error. Accessing the value of an error Result is a programmer error and asserts.
#pragma once

#include <optional>
#include <utility>

#include "common/assert.h"
#include "common/status.h"

namespace tessera {

template <typename T>
class [[nodiscard]] Result {
 public:
  // Implicit so that `return value;` and `return Status::NotFound();` both work.
  Result(T value) : value_(std::move(value)) {}         // NOLINT(google-explicit-constructor)
  Result(Status status) : status_(std::move(status)) {  // NOLINT(google-explicit-constructor)
    TESSERA_ASSERT(!status_.ok(), "Result constructed from an OK status without a value");
  }

  bool ok() const { return value_.has_value(); }
  const Status& status() const { return status_; }

  T& value() & {
    TESSERA_ASSERT(ok(), "value() of an error Result");
    return *value_;
  }
  const T& value() const& {
    TESSERA_ASSERT(ok(), "value() of an error Result");
    return *value_;
  }
  T&& value() && {
    TESSERA_ASSERT(ok(), "value() of an error Result");
    return std::move(*value_);
  }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

 private:
  std::optional<T> value_;
  Status status_;  // OK when value_ is set
};

}  // namespace tessera

// Assigns the value of a Result expression to `lhs`, or returns its status.
#define TESSERA_CONCAT_INNER(a, b) a##b
#define TESSERA_CONCAT(a, b) TESSERA_CONCAT_INNER(a, b)
#define TESSERA_ASSIGN_OR_RETURN(lhs, expr)                                                   \
  auto TESSERA_CONCAT(_res_, __LINE__) = (expr);                                              \
  if (!TESSERA_CONCAT(_res_, __LINE__).ok()) return TESSERA_CONCAT(_res_, __LINE__).status(); \
  lhs = std::move(TESSERA_CONCAT(_res_, __LINE__)).value()
