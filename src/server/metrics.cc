#include "server/metrics.h"

#include <charconv>
#include <cmath>
#include <set>
#include <system_error>

#include "common/assert.h"

namespace tessera::server {
namespace {

bool ValidName(std::string_view name) {
  if (name.empty()) return false;
  for (size_t i = 0; i < name.size(); ++i) {
    const char c = name[i];
    const bool letter = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':';
    if (!letter && !(i > 0 && c >= '0' && c <= '9')) return false;
  }
  return true;
}

void AppendEscapedHelp(std::string_view help, std::string* out) {
  for (const char c : help) {
    if (c == '\\') {
      *out += "\\\\";
    } else if (c == '\n') {
      *out += "\\n";
    } else {
      *out += c;
    }
  }
}

template <typename T>
void AppendNumber(T v, std::string* out) {
  char buf[64];
  const auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
  TESSERA_ASSERT(ec == std::errc(), "a number longer than 64 characters");
  out->append(buf, end);
}

void AppendValue(const std::variant<uint64_t, int64_t, double>& value, std::string* out) {
  if (const auto* u = std::get_if<uint64_t>(&value)) {
    AppendNumber(*u, out);
  } else if (const auto* i = std::get_if<int64_t>(&value)) {
    AppendNumber(*i, out);
  } else {
    const double d = std::get<double>(value);
    if (std::isnan(d)) {
      *out += "NaN";
    } else if (std::isinf(d)) {
      *out += d > 0 ? "+Inf" : "-Inf";
    } else {
      AppendNumber(d, out);  // shortest round-trip form
    }
  }
}

bool Negative(const std::variant<uint64_t, int64_t, double>& value) {
  if (const auto* i = std::get_if<int64_t>(&value)) return *i < 0;
  if (const auto* d = std::get_if<double>(&value)) return *d < 0;
  return false;
}

}  // namespace

std::string RenderMetrics(const std::vector<Metric>& metrics) {
  std::set<std::string_view> seen;
  std::string out;
  for (const Metric& m : metrics) {
    TESSERA_ASSERT(ValidName(m.name), "invalid metric name");
    TESSERA_ASSERT(seen.insert(m.name).second, "metric rendered twice");
    const bool counter = m.type == MetricType::kCounter;
    if (counter) {
      TESSERA_ASSERT(m.name.ends_with("_total"), "a counter's name must end in _total");
      TESSERA_ASSERT(!Negative(m.value), "a counter cannot be negative");
    }
    out += "# HELP ";
    out += m.name;
    out += ' ';
    AppendEscapedHelp(m.help, &out);
    out += "\n# TYPE ";
    out += m.name;
    out += counter ? " counter\n" : " gauge\n";
    out += m.name;
    out += ' ';
    AppendValue(m.value, &out);
    out += '\n';
  }
  return out;
}

}  // namespace tessera::server
