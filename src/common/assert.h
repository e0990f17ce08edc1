// Invariant assertions. They stay on in every build type: a broken invariant in a database must
// stop the process, not corrupt data (shared/style.md, item 11). Use them only for programmer
// errors; expected failures are Status values.
#pragma once

namespace tessera::detail {
[[noreturn]] void AssertFail(const char* expr, const char* file, int line, const char* msg);
}  // namespace tessera::detail

#define TESSERA_ASSERT(cond, msg)                                      \
  do {                                                                 \
    if (__builtin_expect(!(cond), 0)) {                                \
      ::tessera::detail::AssertFail(#cond, __FILE__, __LINE__, (msg)); \
    }                                                                  \
  } while (0)

#define TESSERA_CHECK(cond) TESSERA_ASSERT(cond, "")
#define TESSERA_UNREACHABLE(msg) \
  ::tessera::detail::AssertFail("unreachable", __FILE__, __LINE__, (msg))
