#include "storage/iterators.h"

#include <string>
#include <utility>

namespace tessera::storage {
namespace {

class BoundedIterator final : public Iterator {
 public:
  BoundedIterator(std::unique_ptr<Iterator> raw, const IterOptions& opts)
      : raw_(std::move(raw)), lower_(opts.lower_bound), upper_(opts.upper_bound) {}

  bool Valid() const override { return valid_; }

  void SeekToFirst() override {
    if (lower_.empty()) {
      raw_->SeekToFirst();
    } else {
      raw_->Seek(lower_);
    }
    Update();
  }

  void SeekToLast() override {
    if (upper_.empty()) {
      raw_->SeekToLast();
    } else {
      // The last key < upper_: the last key <= upper_, stepping back over upper_ itself.
      raw_->SeekForPrev(upper_);
      if (raw_->Valid() && raw_->key() == upper_) raw_->Prev();
    }
    Update();
  }

  void Seek(std::string_view target) override {
    if (!lower_.empty() && target < std::string_view(lower_)) target = lower_;
    raw_->Seek(target);
    Update();
  }

  void SeekForPrev(std::string_view target) override {
    if (!upper_.empty() && target >= std::string_view(upper_)) {
      SeekToLast();
      return;
    }
    raw_->SeekForPrev(target);
    Update();
  }

  void Next() override {
    TESSERA_ASSERT(valid_, "Next() on an invalid iterator");
    raw_->Next();
    Update();
  }

  void Prev() override {
    TESSERA_ASSERT(valid_, "Prev() on an invalid iterator");
    raw_->Prev();
    Update();
  }

  std::string_view key() const override {
    TESSERA_ASSERT(valid_, "key() of an invalid iterator");
    return raw_->key();
  }

  std::string_view value() const override {
    TESSERA_ASSERT(valid_, "value() of an invalid iterator");
    return raw_->value();
  }

  Status status() const override { return raw_->status(); }

 private:
  void Update() {
    valid_ = raw_->Valid();
    if (!valid_) return;
    const std::string_view k = raw_->key();
    if (!lower_.empty() && k < std::string_view(lower_)) valid_ = false;
    if (!upper_.empty() && k >= std::string_view(upper_)) valid_ = false;
  }

  std::unique_ptr<Iterator> raw_;
  const std::string lower_;
  const std::string upper_;
  bool valid_ = false;
};

class ErrorIterator final : public Iterator {
 public:
  explicit ErrorIterator(Status st) : st_(std::move(st)) {
    TESSERA_ASSERT(!st_.ok(), "an error iterator needs an error");
  }
  bool Valid() const override { return false; }
  void SeekToFirst() override {}
  void SeekToLast() override {}
  void Seek(std::string_view) override {}
  void SeekForPrev(std::string_view) override {}
  void Next() override { TESSERA_UNREACHABLE("Next() on an invalid iterator"); }
  void Prev() override { TESSERA_UNREACHABLE("Prev() on an invalid iterator"); }
  std::string_view key() const override { TESSERA_UNREACHABLE("key() of an invalid iterator"); }
  std::string_view value() const override { TESSERA_UNREACHABLE("value() of an invalid iterator"); }
  Status status() const override { return st_; }

 private:
  Status st_;
};

}  // namespace

std::unique_ptr<Iterator> NewBoundedIterator(std::unique_ptr<Iterator> raw,
                                             const IterOptions& opts) {
  return std::make_unique<BoundedIterator>(std::move(raw), opts);
}

std::unique_ptr<Iterator> NewErrorIterator(Status st) {
  return std::make_unique<ErrorIterator>(std::move(st));
}

}  // namespace tessera::storage
