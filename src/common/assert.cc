#include "common/assert.h"

#include <cstdio>
#include <cstdlib>

namespace tessera::detail {

void AssertFail(const char* expr, const char* file, int line, const char* msg) {
  std::fprintf(stderr, "FATAL %s:%d: assertion failed: %s%s%s\n", file, line, expr,
               (msg && *msg) ? ": " : "", msg ? msg : "");
  std::fflush(stderr);
  std::abort();
}

}  // namespace tessera::detail
