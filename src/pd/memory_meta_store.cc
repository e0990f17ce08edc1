// The in-memory MetaStore of meta_store.h (tests).
#include <map>
#include <memory>
#include <mutex>

#include "pd/meta_store.h"

namespace tessera::pd {

namespace {

class MemoryMetaStore final : public MetaStore {
 public:
  Result<std::optional<std::string>> Get(const std::string& key) override {
    std::lock_guard l(mu_);
    auto it = data_.find(key);
    if (it == data_.end()) return std::optional<std::string>();
    return std::optional<std::string>(it->second);
  }
  Result<std::vector<std::pair<std::string, std::string>>> Scan(
      const std::string& prefix) override {
    std::lock_guard l(mu_);
    std::vector<std::pair<std::string, std::string>> out;
    for (auto it = data_.lower_bound(prefix);
         it != data_.end() && it->first.compare(0, prefix.size(), prefix) == 0; ++it) {
      out.emplace_back(it->first, it->second);
    }
    return out;
  }
  Status Write(const std::vector<Put>& puts, const std::vector<std::string>& deletes) override {
    std::lock_guard l(mu_);
    for (const auto& p : puts) data_[p.key] = p.value;
    for (const auto& k : deletes) data_.erase(k);
    return Status::OK();
  }
  Result<bool> CompareAndSwap(const std::string& key, const std::optional<std::string>& expected,
                              const std::string& value) override {
    std::lock_guard l(mu_);
    auto it = data_.find(key);
    const bool matches =
        expected ? (it != data_.end() && it->second == *expected) : it == data_.end();
    if (!matches) return false;
    data_[key] = value;
    return true;
  }
  NodeId leader_hint() const override { return NodeId(); }

 private:
  std::mutex mu_;
  std::map<std::string, std::string> data_;
};

}  // namespace

std::unique_ptr<MetaStore> NewMemoryMetaStore() { return std::make_unique<MemoryMetaStore>(); }

}  // namespace tessera::pd
