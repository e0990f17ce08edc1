// The Tessera export format: round trip, and every kind of damage reported as Corruption before
// any record is handed out.
#include "storage/export_file.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "common/checksum.h"
#include "common/coding.h"
#include "storage/fs_util.h"
#include "storage/test_util.h"

namespace tessera::storage {
namespace {

using testing::TempDir;

std::string WriteSample(const TempDir& dir, int keys) {
  ExportFileBuilder b;
  for (int i = 0; i < keys; ++i) b.Add(fmt::format("key{:03}", i), std::string(i, 'v'));
  const std::string path = dir.Sub("sample.tsx");
  auto f = b.Finish(path);
  EXPECT_TRUE(f.ok()) << f.status().ToString();
  if (f.ok()) {
    EXPECT_EQ(f->keys, static_cast<uint64_t>(keys));
  }
  return path;
}

Status ReadAll(const std::string& path, int* records) {
  *records = 0;
  return ReadExportFile(path, [&](std::string_view, std::string_view) {
    ++*records;
    return Status::OK();
  });
}

void Rewrite(const std::string& path, const std::string& data) {
  ASSERT_OK(Status(::unlink(path.c_str()) == 0 ? Status::OK() : Status::IOError("unlink")));
  ASSERT_OK(WriteNewFileSync(path, data));
}

TEST(ExportFileTest, RoundTrip) {
  TempDir dir;
  const std::string path = WriteSample(dir, 50);
  std::vector<std::string> keys;
  ASSERT_OK(ReadExportFile(path, [&](std::string_view k, std::string_view v) {
    EXPECT_EQ(v.size(), keys.size());
    keys.emplace_back(k);
    return Status::OK();
  }));
  ASSERT_EQ(keys.size(), 50u);
  EXPECT_EQ(keys.front(), "key000");
  EXPECT_EQ(keys.back(), "key049");
}

TEST(ExportFileTest, EmptyFileRoundTrips) {
  TempDir dir;
  const std::string path = WriteSample(dir, 0);
  int n = -1;
  ASSERT_OK(ReadAll(path, &n));
  EXPECT_EQ(n, 0);
}

TEST(ExportFileTest, ExistingFileIsNotOverwritten) {
  TempDir dir;
  const std::string path = WriteSample(dir, 1);
  ExportFileBuilder b;
  EXPECT_TRUE(b.Finish(path).status().Is(Status::Code::kAlreadyExists));
}

TEST(ExportFileTest, EveryFlippedByteIsCorruption) {
  TempDir dir;
  const std::string path = WriteSample(dir, 5);
  const std::string good = *ReadWholeFile(path, 1 << 20);
  for (size_t i = 0; i < good.size(); ++i) {
    std::string bad = good;
    bad[i] = static_cast<char>(bad[i] ^ 0x01);
    Rewrite(path, bad);
    int n = 0;
    const Status st = ReadAll(path, &n);
    EXPECT_TRUE(st.Is(Status::Code::kCorruption)) << "byte " << i << ": " << st.ToString();
    EXPECT_EQ(n, 0) << "byte " << i;
  }
}

TEST(ExportFileTest, EveryTruncationIsCorruption) {
  TempDir dir;
  const std::string path = WriteSample(dir, 5);
  const std::string good = *ReadWholeFile(path, 1 << 20);
  for (size_t len = 0; len < good.size(); ++len) {
    Rewrite(path, good.substr(0, len));
    int n = 0;
    EXPECT_TRUE(ReadAll(path, &n).Is(Status::Code::kCorruption)) << "length " << len;
    EXPECT_EQ(n, 0);
  }
}

TEST(ExportFileTest, WellFramedButUnsortedRecordsAreCorruption) {
  // A writer bug, not bit rot: the checksum matches but the keys descend.
  TempDir dir;
  std::string data(kExportMagic);
  PutFixed32(&data, kExportFormatVersion);
  PutLengthPrefixed(&data, "b");
  PutLengthPrefixed(&data, "1");
  PutLengthPrefixed(&data, "a");
  PutLengthPrefixed(&data, "2");
  const uint64_t sum = Checksum64(data);
  PutFixed64(&data, 2);
  PutFixed64(&data, sum);
  data.append(kExportMagic);
  const std::string path = dir.Sub("unsorted.tsx");
  ASSERT_OK(WriteNewFileSync(path, data));
  int n = 0;
  EXPECT_TRUE(ReadAll(path, &n).Is(Status::Code::kCorruption));
  EXPECT_EQ(n, 0);
}

}  // namespace
}  // namespace tessera::storage
