// A small datadriven test-file reader and runner, in the style of cockroachdb/datadriven as used by
// etcd raft's interaction tests (shared/style.md, item 12).
//
// A file is a sequence of directives separated by blank lines. Lines starting with '#' between
// directives are comments. A directive is
//
//   command arg1 key=value key=(v1,v2 v3)      <- the command line
//   optional input lines                        <- passed to the command verbatim
//   ----
//   expected output lines                       <- until a blank line or the end of the file
//
// Positional arguments are keys without values. A value in parentheses is a list whose items are
// separated by commas and/or spaces. Expected output never contains blank lines (the runner
// removes them from actual output before comparing).
//
// Thread safety: none; values only.
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"

namespace tessera::raft::scenario {

struct Arg {
  std::string key;
  std::vector<std::string> vals;  // empty for a positional argument
};

struct Directive {
  std::string file;  // for messages
  int line = 0;      // 1-based line of the command
  std::string cmd;
  std::vector<Arg> args;
  std::string input;     // the input lines joined with '\n' (no trailing newline)
  std::string expected;  // the expected output joined with '\n' (no trailing newline)
  // Lines [expected_begin, expected_end) of the file hold the expected output (0-based).
  size_t expected_begin = 0;
  size_t expected_end = 0;

  // "file:line: command args" for failure messages.
  std::string Pos() const;
};

// A parsed file and its raw lines (kept for rewriting).
struct ScenarioFile {
  std::string path;
  std::vector<std::string> lines;
  std::vector<Directive> directives;
};

// Parses the text of a scenario file. InvalidArgument names the line of a syntax error.
Result<ScenarioFile> ParseScenario(std::string path, std::string_view text);
Result<ScenarioFile> ReadScenarioFile(const std::string& path);

// Splits a command line into the command and its arguments. InvalidArgument on unbalanced
// parentheses or an empty key.
Status ParseCommandLine(std::string_view line, std::string* cmd, std::vector<Arg>* args);

// Removes blank lines and trailing whitespace; returns "ok" for empty output.
std::string NormalizeOutput(std::string_view out);

// One mismatch between expected and actual output.
struct Mismatch {
  std::string pos;
  std::string expected;
  std::string actual;
};

// Runs every directive of `file` through `handler` in order. Without `rewrite`, returns the
// mismatches. With `rewrite`, writes the actual outputs back into file.path and returns none.
// Returns an error Status only when the file cannot be written.
using Handler = std::function<std::string(const Directive&)>;
Result<std::vector<Mismatch>> RunScenario(const ScenarioFile& file, const Handler& handler,
                                          bool rewrite);

}  // namespace tessera::raft::scenario
