#include "server/metrics.h"

#include <charconv>
#include <cmath>
#include <set>
#include <system_error>
#include <type_traits>

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

// Help text escapes '\' and newline; a label value (`quoted`) also '"'.
void AppendEscaped(std::string_view text, bool quoted, std::string* out) {
  for (const char c : text) {
    if (c == '\\') {
      *out += "\\\\";
    } else if (c == '\n') {
      *out += "\\n";
    } else if (quoted && c == '"') {
      *out += "\\\"";
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

void AppendDouble(double d, std::string* out) {
  if (std::isnan(d)) {
    *out += "NaN";
  } else if (std::isinf(d)) {
    *out += d > 0 ? "+Inf" : "-Inf";
  } else {
    AppendNumber(d, out);  // shortest round-trip form
  }
}

bool ValidLabelName(std::string_view name) {
  if (name.empty() || name == "le") return false;
  for (size_t i = 0; i < name.size(); ++i) {
    const char c = name[i];
    const bool letter = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
    if (!letter && !(i > 0 && c >= '0' && c <= '9')) return false;
  }
  return true;
}

// {a="x",b="y"} plus an optional le="..." last; nothing at all without labels.
void AppendLabels(const std::vector<Label>& labels, const std::string* le, std::string* out) {
  if (labels.empty() && le == nullptr) return;
  *out += '{';
  bool first = true;
  const auto one = [&](std::string_view name, std::string_view value) {
    if (!first) *out += ',';
    first = false;
    *out += name;
    *out += "=\"";
    AppendEscaped(value, /*quoted=*/true, out);
    *out += '"';
  };
  for (const Label& l : labels) {
    TESSERA_ASSERT(ValidLabelName(l.name), "invalid label name");
    one(l.name, l.value);
  }
  if (le != nullptr) one("le", *le);
  *out += '}';
}

// One sample line: <name><suffix>{labels[,le]} <value>.
template <typename Value>
void AppendSample(std::string_view name, std::string_view suffix, const std::vector<Label>& labels,
                  const std::string* le, Value value, std::string* out) {
  *out += name;
  *out += suffix;
  AppendLabels(labels, le, out);
  *out += ' ';
  if constexpr (std::is_same_v<Value, double>) {
    AppendDouble(value, out);
  } else {
    AppendNumber(value, out);
  }
  *out += '\n';
}

void AppendHistogram(std::string_view name, const std::vector<Label>& labels,
                     const Histogram::Snapshot& h, std::string* out) {
  TESSERA_ASSERT(h.counts.size() == h.bounds.size() + 1, "histogram snapshot without overflow");
  uint64_t cumulative = 0;
  for (size_t i = 0; i <= h.bounds.size(); ++i) {
    cumulative += h.counts[i];
    std::string le = "+Inf";
    if (i < h.bounds.size()) {
      le.clear();
      AppendDouble(h.bounds[i], &le);
    }
    AppendSample(name, "_bucket", labels, &le, cumulative, out);
  }
  AppendSample(name, "_sum", labels, nullptr, h.sum, out);
  AppendSample(name, "_count", labels, nullptr, cumulative, out);
}

void AppendValue(const std::variant<uint64_t, int64_t, double, Histogram::Snapshot>& value,
                 std::string* out) {
  if (const auto* u = std::get_if<uint64_t>(&value)) {
    AppendNumber(*u, out);
  } else if (const auto* i = std::get_if<int64_t>(&value)) {
    AppendNumber(*i, out);
  } else {
    AppendDouble(std::get<double>(value), out);
  }
}

bool Negative(const std::variant<uint64_t, int64_t, double, Histogram::Snapshot>& value) {
  if (const auto* i = std::get_if<int64_t>(&value)) return *i < 0;
  if (const auto* d = std::get_if<double>(&value)) return *d < 0;
  return false;
}

}  // namespace

std::string RenderMetrics(const std::vector<Metric>& metrics) {
  std::set<std::string_view> families;
  std::string out;
  const Metric* family = nullptr;  // the first sample of the family being written
  std::set<std::string> label_sets;
  for (const Metric& m : metrics) {
    TESSERA_ASSERT(ValidName(m.name), "invalid metric name");
    const bool histogram = m.type == MetricType::kHistogram;
    TESSERA_ASSERT(histogram == std::holds_alternative<Histogram::Snapshot>(m.value),
                   "a histogram (and only a histogram) has a Histogram::Snapshot value");
    if (m.type == MetricType::kCounter) {
      TESSERA_ASSERT(m.name.ends_with("_total"), "a counter's name must end in _total");
      TESSERA_ASSERT(!Negative(m.value), "a counter cannot be negative");
    }
    if (family == nullptr || family->name != m.name) {
      TESSERA_ASSERT(families.insert(m.name).second, "metric rendered twice");
      family = &m;
      label_sets.clear();
      out += "# HELP ";
      out += m.name;
      out += ' ';
      AppendEscaped(m.help, /*quoted=*/false, &out);
      out += "\n# TYPE ";
      out += m.name;
      out += m.type == MetricType::kCounter ? " counter\n"
             : histogram                    ? " histogram\n"
                                            : " gauge\n";
    } else {
      TESSERA_ASSERT(family->type == m.type && family->help == m.help,
                     "the samples of a family share help and type");
    }
    std::string labels;
    AppendLabels(m.labels, nullptr, &labels);
    TESSERA_ASSERT(label_sets.insert(labels).second, "metric rendered twice");
    if (histogram) {
      AppendHistogram(m.name, m.labels, std::get<Histogram::Snapshot>(m.value), &out);
      continue;
    }
    out += m.name;
    out += labels;
    out += ' ';
    AppendValue(m.value, &out);
    out += '\n';
  }
  return out;
}

}  // namespace tessera::server
