// Redis glob patterns (util.c stringmatchlen), for KEYS, SCAN MATCH and CONFIG GET.
//
//   *      any run of bytes, including none
//   ?      any one byte
//   [abc]  one of the listed bytes; [^abc] none of them; [a-z] a range (bounds in either order);
//          inside brackets, \x is the literal x
//   \x     the literal x
//
// Bytes compare as unsigned (Redis compares range bounds as signed char; only bytes >= 0x80 in
// a range differ) and "*" matches the empty string (Redis's loop never runs). Matching is bounded:
// nesting beyond 1000 stars fails the match, as in Redis, and a failed star tail stops the search
// early, so no pattern costs exponential time. Thread safety: pure functions.
#pragma once

#include <string_view>

namespace tessera::redis {

bool GlobMatch(std::string_view pattern, std::string_view s);

// The literal bytes every match starts with (up to the first special byte *, ?, [ or \).
std::string_view GlobLiteralPrefix(std::string_view pattern);

}  // namespace tessera::redis
