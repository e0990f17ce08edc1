// What /proc says of a server process, for benchmarks: CPU time used and resident memory.
#pragma once

#include <unistd.h>

#include <cstdint>
#include <fstream>
#include <sstream>
#include <string>

namespace tessera::bench {

// utime + stime of `pid` in microseconds; -1 when unreadable.
inline int64_t ProcessCpuMicros(int pid) {
  std::ifstream f("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  if (!std::getline(f, line)) return -1;
  // The command name (field 2) may hold spaces; fields after its closing parenthesis are fixed.
  const size_t close = line.rfind(')');
  if (close == std::string::npos) return -1;
  std::istringstream rest(line.substr(close + 2));
  std::string field;
  int64_t utime = 0;
  int64_t stime = 0;
  for (int i = 3; i <= 15 && rest >> field; ++i) {
    if (i == 14) utime = std::stoll(field);
    if (i == 15) stime = std::stoll(field);
  }
  const int64_t hz = sysconf(_SC_CLK_TCK);
  return (utime + stime) * 1000000 / hz;
}

// Resident set size of `pid` in bytes (VmRSS); -1 when unreadable.
inline int64_t ProcessRssBytes(int pid) {
  std::ifstream f("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(f, line)) {
    if (line.rfind("VmRSS:", 0) == 0) {
      std::istringstream in(line.substr(6));
      int64_t kb = 0;
      in >> kb;
      return kb * 1024;
    }
  }
  return -1;
}

}  // namespace tessera::bench
