// Runs every scenario file in tests/raft/testdata (one test per file).
//
// Rewrite mode regenerates the expected output in the files:
//   TESSERA_REWRITE=1 ./raft_scenario_test      or      ./raft_scenario_test --rewrite
// Review the diff afterwards: the expected output is a claim about what Raft must do.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "datadriven.h"
#include "interaction_env.h"

namespace tessera::raft::scenario {
namespace {

std::vector<std::string> ScenarioFiles() {
  std::vector<std::string> files;
  for (const auto& e : std::filesystem::directory_iterator(TESSERA_RAFT_TESTDATA)) {
    if (e.is_regular_file() && e.path().extension() == ".txt") {
      files.push_back(e.path().filename().string());
    }
  }
  std::sort(files.begin(), files.end());
  return files;
}

bool RewriteRequested() {
  if (const char* v = std::getenv("TESSERA_REWRITE"); v != nullptr && std::string(v) == "1") {
    return true;
  }
  const auto argv = ::testing::internal::GetArgvs();
  return std::find(argv.begin(), argv.end(), "--rewrite") != argv.end();
}

class ScenarioTest : public ::testing::TestWithParam<std::string> {};

TEST_P(ScenarioTest, Run) {
  const std::string path = std::string(TESSERA_RAFT_TESTDATA) + "/" + GetParam();
  auto file = ReadScenarioFile(path);
  ASSERT_TRUE(file.ok()) << file.status().ToString();
  InteractionEnv env;
  const bool rewrite = RewriteRequested();
  auto mismatches = RunScenario(
      *file, [&](const Directive& d) { return env.Handle(d); }, rewrite);
  ASSERT_TRUE(mismatches.ok()) << mismatches.status().ToString();
  for (const Mismatch& m : *mismatches) {
    ADD_FAILURE() << m.pos << "\n--- expected:\n" << m.expected << "\n--- actual:\n" << m.actual;
  }
}

TEST(ScenarioRunner, FindsScenarioFiles) { EXPECT_FALSE(ScenarioFiles().empty()); }

std::string TestName(const ::testing::TestParamInfo<std::string>& info) {
  std::string name = info.param.substr(0, info.param.size() - 4);  // drop ".txt"
  for (char& c : name) {
    if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
  }
  return name;
}

INSTANTIATE_TEST_SUITE_P(Testdata, ScenarioTest, ::testing::ValuesIn(ScenarioFiles()), TestName);

}  // namespace
}  // namespace tessera::raft::scenario
