#include "datadriven.h"

#include <fstream>
#include <sstream>

namespace tessera::raft::scenario {
namespace {

constexpr char kSeparator[] = "----";

bool IsBlank(std::string_view s) { return s.find_first_not_of(" \t\r") == std::string_view::npos; }

std::string_view TrimRight(std::string_view s) {
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) {
    s.remove_suffix(1);
  }
  return s;
}

std::vector<std::string> SplitLines(std::string_view text) {
  std::vector<std::string> lines;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t end = text.find('\n', pos);
    if (end == std::string_view::npos) end = text.size();
    lines.emplace_back(TrimRight(text.substr(pos, end - pos)));
    pos = end + 1;
  }
  return lines;
}

std::string Join(const std::vector<std::string>& lines, size_t begin, size_t end) {
  std::string s;
  for (size_t i = begin; i < end; ++i) {
    if (i > begin) s += '\n';
    s += lines[i];
  }
  return s;
}

// Splits "a=(1, 2)" style values into items.
std::vector<std::string> SplitList(std::string_view v) {
  std::vector<std::string> items;
  std::string cur;
  for (char c : v) {
    if (c == ',' || c == ' ') {
      if (!cur.empty()) items.push_back(std::move(cur));
      cur.clear();
    } else {
      cur += c;
    }
  }
  if (!cur.empty()) items.push_back(std::move(cur));
  return items;
}

Status ParseArg(std::string_view tok, Arg* arg) {
  const size_t eq = tok.find('=');
  if (eq == std::string_view::npos) {
    arg->key = std::string(tok);
    return Status::OK();
  }
  if (eq == 0) return Status::InvalidArgument("argument with an empty key");
  arg->key = std::string(tok.substr(0, eq));
  std::string_view v = tok.substr(eq + 1);
  if (v.size() >= 2 && v.front() == '(' && v.back() == ')') {
    arg->vals = SplitList(v.substr(1, v.size() - 2));
  } else {
    arg->vals.emplace_back(v);
  }
  return Status::OK();
}

}  // namespace

std::string Directive::Pos() const {
  std::ostringstream os;
  os << file << ":" << line << ": " << cmd;
  for (const Arg& a : args) {
    os << " " << a.key;
    if (a.vals.empty()) continue;
    os << "=";
    if (a.vals.size() == 1) {
      os << a.vals[0];
    } else {
      os << "(";
      for (size_t i = 0; i < a.vals.size(); ++i) os << (i ? "," : "") << a.vals[i];
      os << ")";
    }
  }
  return os.str();
}

Status ParseCommandLine(std::string_view line, std::string* cmd, std::vector<Arg>* args) {
  std::vector<std::string> toks;
  std::string cur;
  int depth = 0;
  for (char c : line) {
    if (c == '(') ++depth;
    if (c == ')' && --depth < 0) return Status::InvalidArgument("unbalanced ')'");
    if (c == ' ' && depth == 0) {
      if (!cur.empty()) toks.push_back(std::move(cur));
      cur.clear();
      continue;
    }
    cur += c;
  }
  if (depth != 0) return Status::InvalidArgument("unbalanced '('");
  if (!cur.empty()) toks.push_back(std::move(cur));
  if (toks.empty()) return Status::InvalidArgument("empty command line");
  *cmd = toks[0];
  args->clear();
  for (size_t i = 1; i < toks.size(); ++i) {
    Arg a;
    TESSERA_RETURN_IF_ERROR(ParseArg(toks[i], &a));
    args->push_back(std::move(a));
  }
  return Status::OK();
}

Result<ScenarioFile> ParseScenario(std::string path, std::string_view text) {
  ScenarioFile f;
  f.path = std::move(path);
  f.lines = SplitLines(text);
  const std::vector<std::string>& lines = f.lines;
  auto error = [&](size_t i, std::string_view what) {
    return Status::InvalidArgument(f.path + ":" + std::to_string(i + 1) + ": " + std::string(what));
  };
  size_t i = 0;
  while (i < lines.size()) {
    if (IsBlank(lines[i]) || lines[i][0] == '#') {
      ++i;
      continue;
    }
    Directive d;
    d.file = f.path;
    d.line = static_cast<int>(i + 1);
    Status s = ParseCommandLine(lines[i], &d.cmd, &d.args);
    if (!s.ok()) return error(i, s.message());
    ++i;
    const size_t input_begin = i;
    while (i < lines.size() && lines[i] != kSeparator) {
      if (IsBlank(lines[i])) return error(i, "blank line before '----'");
      ++i;
    }
    if (i == lines.size()) return error(d.line - 1, "directive without '----'");
    d.input = Join(lines, input_begin, i);
    ++i;  // the separator
    d.expected_begin = i;
    while (i < lines.size() && !IsBlank(lines[i])) ++i;
    d.expected_end = i;
    d.expected = Join(lines, d.expected_begin, d.expected_end);
    f.directives.push_back(std::move(d));
  }
  return f;
}

Result<ScenarioFile> ReadScenarioFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::IOError("cannot open " + path);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ParseScenario(path, ss.str());
}

std::string NormalizeOutput(std::string_view out) {
  std::string s;
  for (const std::string& line : SplitLines(out)) {
    if (IsBlank(line)) continue;
    if (!s.empty()) s += '\n';
    s += line;
  }
  return s.empty() ? "ok" : s;
}

Result<std::vector<Mismatch>> RunScenario(const ScenarioFile& file, const Handler& handler,
                                          bool rewrite) {
  std::vector<Mismatch> mismatches;
  std::vector<std::string> actual;
  actual.reserve(file.directives.size());
  for (const Directive& d : file.directives) {
    std::string got = NormalizeOutput(handler(d));
    if (!rewrite && got != d.expected) mismatches.push_back({d.Pos(), d.expected, got});
    actual.push_back(std::move(got));
  }
  if (!rewrite) return mismatches;
  std::string out;
  size_t next = 0;  // the next original line to copy
  for (size_t k = 0; k < file.directives.size(); ++k) {
    const Directive& d = file.directives[k];
    for (; next < d.expected_begin; ++next) out += file.lines[next] + "\n";
    out += actual[k] + "\n";
    next = d.expected_end;
  }
  for (; next < file.lines.size(); ++next) out += file.lines[next] + "\n";
  std::ofstream o(file.path, std::ios::binary | std::ios::trunc);
  if (!o) return Status::IOError("cannot write " + file.path);
  o << out;
  if (!o) return Status::IOError("short write to " + file.path);
  return mismatches;
}

}  // namespace tessera::raft::scenario
