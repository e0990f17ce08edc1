// ScheduleConfig <-> JSON (PD's "c/schedule" record and its admin API). One table lists every
// field once, so that the two directions cannot drift apart.
#include <nlohmann/json.hpp>
#include <variant>

#include "pd/pd_core.h"

namespace tessera::pd {

namespace {

using FieldPtr =
    std::variant<uint32_t ScheduleConfig::*, int64_t ScheduleConfig::*, uint64_t ScheduleConfig::*,
                 double ScheduleConfig::*, bool ScheduleConfig::*>;

const std::vector<std::pair<const char*, FieldPtr>>& Fields() {
  static const std::vector<std::pair<const char*, FieldPtr>> fields = {
      {"replicas", &ScheduleConfig::replicas},
      {"max_node_down_time_ms", &ScheduleConfig::max_node_down_time_ms},
      {"node_disconnected_ms", &ScheduleConfig::node_disconnected_ms},
      {"max_shard_size_bytes", &ScheduleConfig::max_shard_size_bytes},
      {"max_shard_keys", &ScheduleConfig::max_shard_keys},
      {"merge_max_size_bytes", &ScheduleConfig::merge_max_size_bytes},
      {"merge_max_keys", &ScheduleConfig::merge_max_keys},
      {"split_merge_interval_ms", &ScheduleConfig::split_merge_interval_ms},
      {"split_load_ops_per_sec", &ScheduleConfig::split_load_ops_per_sec},
      {"split_load_bytes_per_sec", &ScheduleConfig::split_load_bytes_per_sec},
      {"balance_tolerance", &ScheduleConfig::balance_tolerance},
      {"hot_node_ratio", &ScheduleConfig::hot_node_ratio},
      {"hot_node_min_ops_per_sec", &ScheduleConfig::hot_node_min_ops_per_sec},
      {"max_operators", &ScheduleConfig::max_operators},
      {"max_snapshots_per_node", &ScheduleConfig::max_snapshots_per_node},
      {"max_operators_per_kind", &ScheduleConfig::max_operators_per_kind},
      {"operator_step_timeout_ms", &ScheduleConfig::operator_step_timeout_ms},
      {"enable_replica_checker", &ScheduleConfig::enable_replica_checker},
      {"enable_split", &ScheduleConfig::enable_split},
      {"enable_merge", &ScheduleConfig::enable_merge},
      {"enable_balance_replicas", &ScheduleConfig::enable_balance_replicas},
      {"enable_balance_leaders", &ScheduleConfig::enable_balance_leaders},
      {"enable_hot_shards", &ScheduleConfig::enable_hot_shards},
  };
  return fields;
}

}  // namespace

std::string ScheduleConfigToJson(const ScheduleConfig& c) {
  nlohmann::json j = nlohmann::json::object();
  for (const auto& [name, field] : Fields()) {
    std::visit([&, n = name](auto ptr) { j[n] = c.*ptr; }, field);
  }
  return j.dump();
}

Result<ScheduleConfig> ScheduleConfigFromJson(const std::string& json, ScheduleConfig base) {
  auto j = nlohmann::json::parse(json, nullptr, false);
  if (j.is_discarded() || !j.is_object()) {
    return Status::InvalidArgument("schedule config: not a JSON object");
  }
  for (const auto& [key, value] : j.items()) {
    const FieldPtr* field = nullptr;
    for (const auto& [name, f] : Fields()) {
      if (key == name) field = &f;
    }
    if (field == nullptr) return Status::InvalidArgument("schedule config: unknown field " + key);
    Status st;
    std::visit(
        [&](auto ptr) {
          using T = std::remove_reference_t<decltype(base.*ptr)>;
          const bool ok = std::is_same_v<T, bool>       ? value.is_boolean()
                          : std::is_floating_point_v<T> ? value.is_number()
                          : std::is_signed_v<T>         ? value.is_number_integer()
                                                        : value.is_number_unsigned();
          if (!ok) {
            st = Status::InvalidArgument("schedule config: wrong type for " + key);
            return;
          }
          base.*ptr = value.get<T>();
        },
        *field);
    TESSERA_RETURN_IF_ERROR(st);
  }
  if (base.replicas == 0 || base.replicas > 7) {
    return Status::InvalidArgument("schedule config: replicas must be 1..7");
  }
  if (base.balance_tolerance < 0 || base.hot_node_ratio < 1 || base.hot_node_min_ops_per_sec < 0) {
    return Status::InvalidArgument(
        "schedule config: balance_tolerance >= 0, hot_node_ratio >= 1, "
        "hot_node_min_ops_per_sec >= 0");
  }
  return base;
}

}  // namespace tessera::pd
