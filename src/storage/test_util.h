// Helpers for the storage tests (not part of tessera_storage).
#pragma once

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <string>
#include <utility>
#include <vector>

#include "storage/engine.h"

namespace tessera::storage::testing {

// A fresh directory under $TMPDIR (or /tmp), removed with its content on destruction.
class TempDir {
 public:
  TempDir() {
    const char* base = std::getenv("TMPDIR");
    std::string tmpl = std::string(base && *base ? base : "/tmp") + "/tessera-storage-XXXXXX";
    const char* made = ::mkdtemp(tmpl.data());
    if (made == nullptr) ADD_FAILURE() << "mkdtemp failed for " << tmpl;
    path_ = tmpl;
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }
  std::string Sub(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

using KVs = std::vector<std::pair<std::string, std::string>>;

// Everything `it` yields forward from SeekToFirst (or backward from SeekToLast).
inline KVs ScanAll(Iterator& it, bool reverse = false) {
  KVs out;
  if (reverse) {
    for (it.SeekToLast(); it.Valid(); it.Prev()) out.emplace_back(it.key(), it.value());
  } else {
    for (it.SeekToFirst(); it.Valid(); it.Next()) out.emplace_back(it.key(), it.value());
  }
  EXPECT_TRUE(it.status().ok()) << it.status().ToString();
  return out;
}

}  // namespace tessera::storage::testing

#define ASSERT_OK(expr)                                     \
  do {                                                      \
    const ::tessera::Status _s = (expr);                    \
    ASSERT_TRUE(_s.ok()) << #expr << ": " << _s.ToString(); \
  } while (0)
#define EXPECT_OK(expr)                                     \
  do {                                                      \
    const ::tessera::Status _s = (expr);                    \
    EXPECT_TRUE(_s.ok()) << #expr << ": " << _s.ToString(); \
  } while (0)
