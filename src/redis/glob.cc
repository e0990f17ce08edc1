#include "redis/glob.h"

#include <cstddef>
#include <utility>

namespace tessera::redis {
namespace {

bool MatchBracket(std::string_view pat, size_t* p_io, unsigned char c) {
  size_t p = *p_io + 1;  // after '['
  bool negate = p < pat.size() && pat[p] == '^';
  if (negate) ++p;
  bool match = false;
  // Each iteration advances p by at least one, so the loop is bounded by pat.size().
  while (true) {
    size_t rem = pat.size() - p;
    if (rem == 0) {  // unterminated: like Redis, the class ends with the pattern
      --p;
      break;
    }
    if (pat[p] == '\\' && rem >= 2) {
      ++p;
      if (static_cast<unsigned char>(pat[p]) == c) match = true;
    } else if (pat[p] == ']') {
      break;
    } else if (rem >= 3 && pat[p + 1] == '-') {
      unsigned char lo = static_cast<unsigned char>(pat[p]);
      unsigned char hi = static_cast<unsigned char>(pat[p + 2]);
      if (lo > hi) std::swap(lo, hi);
      if (c >= lo && c <= hi) match = true;
      p += 2;
    } else if (static_cast<unsigned char>(pat[p]) == c) {
      match = true;
    }
    ++p;
  }
  *p_io = p;
  return negate ? !match : match;
}

bool MatchImpl(std::string_view pat, std::string_view str, bool* skip_longer, int nesting) {
  if (nesting > 1000) return false;
  size_t p = 0;
  size_t s = 0;
  while (p < pat.size() && s < str.size()) {
    switch (pat[p]) {
      case '*': {
        while (p + 1 < pat.size() && pat[p + 1] == '*') ++p;
        if (p + 1 == pat.size()) return true;
        for (; s < str.size(); ++s) {
          if (MatchImpl(pat.substr(p + 1), str.substr(s), skip_longer, nesting + 1)) return true;
          if (*skip_longer) return false;
        }
        // The rest of the pattern matches nowhere in the rest of the string: no earlier star
        // can help either (Redis's skipLongerMatches).
        *skip_longer = true;
        return false;
      }
      case '?':
        ++s;
        break;
      case '[':
        if (!MatchBracket(pat, &p, static_cast<unsigned char>(str[s]))) return false;
        ++s;
        break;
      case '\\':
        if (pat.size() - p >= 2) ++p;
        [[fallthrough]];
      default:
        if (pat[p] != str[s]) return false;
        ++s;
        break;
    }
    ++p;
    if (s == str.size()) {
      while (p < pat.size() && pat[p] == '*') ++p;
      break;
    }
  }
  if (str.empty()) {  // Redis never enters the loop here, so "*" would not match "": it should
    while (p < pat.size() && pat[p] == '*') ++p;
  }
  return p == pat.size() && s == str.size();
}

}  // namespace

bool GlobMatch(std::string_view pattern, std::string_view s) {
  bool skip_longer = false;
  return MatchImpl(pattern, s, &skip_longer, 0);
}

std::string_view GlobLiteralPrefix(std::string_view pattern) {
  size_t n = pattern.find_first_of("*?[\\");
  return n == std::string_view::npos ? pattern : pattern.substr(0, n);
}

}  // namespace tessera::redis
