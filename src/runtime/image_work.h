// ImageWork (sequence.h) implementations: features already at hand.
#pragma once

#include "runtime/sequence.h"

namespace prism::runtime {

class ReadyImages : public ImageWork {
 public:
  explicit ReadyImages(tensor::Tensor features) : features_(std::move(features)) {}
  bool step() override { return true; }
  const tensor::Tensor& features() const override { return features_; }

 private:
  tensor::Tensor features_;
};

}  // namespace prism::runtime
