#include "check/history.h"

#include <fmt/format.h>

#include <charconv>
#include <fstream>
#include <sstream>
#include <unordered_map>
#include <unordered_set>
#include <variant>

namespace tessera::check {
namespace {

// The VALUE field of a Jepsen log line.
struct Nil {};
struct Pair {
  int64_t expected;
  int64_t value;
};
struct Keyword {};  // `:timed-out` and the like: an annotation, not a value
using Value = std::variant<Nil, int64_t, Pair, Keyword>;

enum class EventType : uint8_t { kInvoke, kOk, kFail, kInfo };

struct Event {
  int64_t process = 0;
  EventType type = EventType::kInvoke;
  RegisterOp f = RegisterOp::kRead;
  Value value;
};

std::vector<std::string_view> SplitFields(std::string_view line) {
  std::vector<std::string_view> fields;
  size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && (line[i] == ' ' || line[i] == '\t')) ++i;
    const size_t start = i;
    while (i < line.size() && line[i] != ' ' && line[i] != '\t') ++i;
    if (i > start) fields.push_back(line.substr(start, i - start));
  }
  return fields;
}

bool ParseInt(std::string_view s, int64_t* out) {
  if (s.empty()) return false;
  const char* end = s.data() + s.size();
  auto [ptr, ec] = std::from_chars(s.data(), end, *out);
  return ec == std::errc() && ptr == end;
}

Result<EventType> ParseType(std::string_view s) {
  if (s == ":invoke") return EventType::kInvoke;
  if (s == ":ok") return EventType::kOk;
  if (s == ":fail") return EventType::kFail;
  if (s == ":info") return EventType::kInfo;
  return Status::InvalidArgument("unknown event type");
}

Result<RegisterOp> ParseF(std::string_view s) {
  if (s == ":read") return RegisterOp::kRead;
  if (s == ":write") return RegisterOp::kWrite;
  if (s == ":cas") return RegisterOp::kCas;
  return Status::InvalidArgument("unknown operation (want :read, :write or :cas)");
}

// `nil`, an integer, `:keyword` or `[expected new]` (given as the fields after F).
Result<Value> ParseValue(const std::vector<std::string_view>& f) {
  if (f.size() == 1 && f[0] == "nil") return Value(Nil{});
  if (f.size() == 1 && f[0].size() > 1 && f[0][0] == ':') return Value(Keyword{});
  int64_t a = 0;
  int64_t b = 0;
  if (f.size() == 1 && ParseInt(f[0], &a)) return Value(a);
  if (f.size() == 2 && f[0].size() > 1 && f[0].front() == '[' && f[1].size() > 1 &&
      f[1].back() == ']' && ParseInt(f[0].substr(1), &a) &&
      ParseInt(f[1].substr(0, f[1].size() - 1), &b)) {
    return Value(Pair{a, b});
  }
  return Status::InvalidArgument("malformed value");
}

// Parses one non-blank line. Sets *skip for lines of the nemesis, which are not operations.
Result<Event> ParseEvent(std::string_view line, bool* skip) {
  std::vector<std::string_view> fields = SplitFields(line);
  size_t dash = 0;
  while (dash < fields.size() && fields[dash] != "-") ++dash;
  if (dash == fields.size()) return Status::InvalidArgument("no logger prefix ending in '-'");
  fields.erase(fields.begin(), fields.begin() + static_cast<std::ptrdiff_t>(dash) + 1);
  *skip = !fields.empty() && fields[0] == ":nemesis";
  if (*skip) return Event{};
  if (fields.size() < 4) return Status::InvalidArgument("want PROCESS :TYPE :F VALUE");
  Event e;
  if (!ParseInt(fields[0], &e.process) || e.process < 0) {
    return Status::InvalidArgument("malformed process number");
  }
  TESSERA_ASSIGN_OR_RETURN(e.type, ParseType(fields[1]));
  TESSERA_ASSIGN_OR_RETURN(e.f, ParseF(fields[2]));
  TESSERA_ASSIGN_OR_RETURN(e.value, ParseValue({fields.begin() + 3, fields.end()}));
  return e;
}

// The value an invoke of `f` must carry.
bool InvokeValueFits(RegisterOp f, const Value& v) {
  switch (f) {
    case RegisterOp::kRead:
      return std::holds_alternative<Nil>(v);
    case RegisterOp::kWrite:
      return std::holds_alternative<int64_t>(v);
    case RegisterOp::kCas:
      return std::holds_alternative<Pair>(v);
  }
  return false;
}

bool SameValue(const Value& a, const Value& b) {
  if (a.index() != b.index()) return false;
  if (const auto* x = std::get_if<int64_t>(&a)) return *x == std::get<int64_t>(b);
  if (const auto* p = std::get_if<Pair>(&a)) {
    const Pair& q = std::get<Pair>(b);
    return p->expected == q.expected && p->value == q.value;
  }
  return true;
}

// Turns events into operations, checking that each process runs one operation at a time.
class Builder {
  using RegisterOperation = RegisterHistory::value_type;
  struct Pending {
    size_t index;  // into ops_
    Value invoke_value;
  };

 public:
  Status Apply(const Event& e, int64_t line) {
    return e.type == EventType::kInvoke ? Invoke(e, line) : Complete(e, line);
  }

  RegisterHistory Finish() && {
    RegisterHistory out;
    out.reserve(ops_.size());
    for (size_t i = 0; i < ops_.size(); ++i) {
      if (!dropped_[i]) out.push_back(ops_[i]);
    }
    return out;
  }

 private:
  Status Invoke(const Event& e, int64_t line) {
    if (pending_.contains(e.process)) {
      return Status::InvalidArgument("invoke while the process has an operation pending");
    }
    if (crashed_.contains(e.process)) {
      return Status::InvalidArgument("invoke by a process whose operation ended in :info");
    }
    if (!InvokeValueFits(e.f, e.value)) return Status::InvalidArgument("bad invoke value");
    RegisterOperation op;
    op.client_id = e.process;
    op.call = line;
    op.ret = kNever;  // until it completes
    op.input.op = e.f;
    if (const auto* v = std::get_if<int64_t>(&e.value)) op.input.value = *v;
    if (const auto* p = std::get_if<Pair>(&e.value)) {
      op.input.expected = p->expected;
      op.input.value = p->value;
    }
    op.output.outcome = Outcome::kUnknown;
    pending_[e.process] = Pending{ops_.size(), e.value};
    ops_.push_back(op);
    dropped_.push_back(false);
    return Status::OK();
  }

  Status Complete(const Event& e, int64_t line) {
    auto it = pending_.find(e.process);
    if (it == pending_.end()) return Status::InvalidArgument("completion without an invoke");
    const Pending p = it->second;
    RegisterOperation& op = ops_[p.index];
    if (op.input.op != e.f) return Status::InvalidArgument("completion of another operation");
    pending_.erase(it);
    const bool keyword = std::holds_alternative<Keyword>(e.value);
    if (e.type == EventType::kOk) return CompleteOk(e, line, p, &op);
    if (!keyword && !SameValue(e.value, p.invoke_value)) {
      return Status::InvalidArgument("completion value differs from the invoke's");
    }
    if (e.type == EventType::kInfo) {
      crashed_.insert(e.process);
      return Status::OK();  // stays indeterminate: ret = kNever, outcome kUnknown
    }
    // kFail: certainly no effect. Only a cas failing its comparison observed anything.
    op.ret = line;
    op.output.outcome = Outcome::kFail;
    dropped_[p.index] = keyword || e.f != RegisterOp::kCas;
    return Status::OK();
  }

  Status CompleteOk(const Event& e, int64_t line, const Pending& p, RegisterOperation* op) {
    if (e.f == RegisterOp::kRead) {
      if (const auto* v = std::get_if<int64_t>(&e.value)) {
        op->output.value = *v;
      } else if (!std::holds_alternative<Nil>(e.value)) {
        return Status::InvalidArgument("a read must return an integer or nil");
      }
    } else if (!SameValue(e.value, p.invoke_value)) {
      return Status::InvalidArgument("completion value differs from the invoke's");
    }
    op->ret = line;
    op->output.outcome = Outcome::kOk;
    return Status::OK();
  }

  std::vector<RegisterOperation> ops_;
  std::vector<bool> dropped_;
  std::unordered_map<int64_t, Pending> pending_;  // process -> its pending operation
  std::unordered_set<int64_t> crashed_;           // processes whose last operation was :info
};

// A short, printable excerpt of a line for error messages.
std::string Excerpt(std::string_view line) {
  std::string s(line.substr(0, 80));
  for (char& c : s) {
    if (static_cast<unsigned char>(c) < 0x20 || static_cast<unsigned char>(c) >= 0x7f) c = '?';
  }
  return s;
}

Status LineError(int64_t line_no, std::string_view line, const Status& st) {
  return Status::InvalidArgument(
      fmt::format("line {}: {}: '{}'", line_no, st.message(), Excerpt(line)));
}

}  // namespace

Status ValidateTimes(int64_t index, int64_t call, int64_t ret) {
  if (call == kNever) {
    return Status::InvalidArgument(fmt::format("operation {}: call time is kNever", index));
  }
  if (ret < call) {
    return Status::InvalidArgument(
        fmt::format("operation {}: returns at {} before its call at {}", index, ret, call));
  }
  return Status::OK();
}

Result<RegisterHistory> ParseJepsenLog(std::string_view text) {
  Builder builder;
  int64_t line_no = 0;
  while (!text.empty()) {
    const size_t eol = text.find('\n');
    std::string_view line = text.substr(0, eol);
    text = eol == std::string_view::npos ? std::string_view() : text.substr(eol + 1);
    ++line_no;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.find_first_not_of(" \t") == std::string_view::npos) continue;
    bool skip = false;
    Result<Event> event = ParseEvent(line, &skip);
    if (!event.ok()) return LineError(line_no, line, event.status());
    if (skip) continue;
    Status st = builder.Apply(*event, line_no);
    if (!st.ok()) return LineError(line_no, line, st);
  }
  return std::move(builder).Finish();
}

Result<RegisterHistory> ParseJepsenLogFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::IOError(fmt::format("cannot open {}", path));
  std::ostringstream buf;
  buf << in.rdbuf();
  if (in.bad()) return Status::IOError(fmt::format("cannot read {}", path));
  Result<RegisterHistory> h = ParseJepsenLog(buf.str());
  if (!h.ok()) return Status::InvalidArgument(fmt::format("{}: {}", path, h.status().message()));
  return h;
}

}  // namespace tessera::check
