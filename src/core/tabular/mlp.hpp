// The multilayer perceptron behind classifiers and regressors: optional
// embeddings of text columns, then Linear + ReLU per hidden layer (none: a
// linear model), dropout after every hidden layer but the last (as in the
// paper's network), and a linear output layer producing logits (or the
// scaled value). Core-internal (torch).
#pragma once
#include "core/common/torch_api.hpp"

#include "core/image/encoder.hpp"

#include <cstdint>
#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <string>
#include <vector>

namespace xb {

struct MlpShape {
  long dense_dim = 0;
  std::vector<long> cardinalities;  // embedding rows per text column (last row: unknown, zero)
  std::vector<long> embedding_dims;
  std::vector<int> hidden;
  double dropout = 0;
  long outputs = 1;
  std::optional<ImageSpec> image;  // an image feature's encoder, whose embedding joins the inputs

  long input_dim() const;
  // Float values the network stores, from the shape alone (nothing built).
  std::int64_t parameter_count() const;
  nlohmann::json to_json() const;
  static MlpShape from_json(const nlohmann::json &j);
};

class MlpImpl : public torch::nn::Module {
 public:
  explicit MlpImpl(const MlpShape &shape);
  // dense [N, dense_dim] float, codes [N, text columns] long, images
  // [N, C, H, W] uint8 (undefined without an image feature) -> [N, outputs]
  torch::Tensor forward(const torch::Tensor &dense, const torch::Tensor &codes, const torch::Tensor &images = {});
  ImageEncoder &image_encoder() { return image_; }

  const MlpShape &shape() const { return shape_; }
  // Layer 0 maps inputs to hidden[0]; layer hidden.size() is the output layer.
  torch::nn::Linear &layer(std::size_t i) { return i < hidden_.size() ? hidden_[i] : output_; }
  std::size_t layer_count() const { return hidden_.size() + 1; }
  torch::nn::Embedding &embedding(std::size_t i) { return embeddings_[i]; }
  std::size_t embedding_count() const { return embeddings_.size(); }
  // Dropout draws from this generator while one is set (a member training
  // on a thread of its own), else from LibTorch's global one.
  void set_dropout_generator(std::optional<at::Generator> generator) { dropout_generator_ = std::move(generator); }

 private:
  torch::Tensor dropout(const torch::Tensor &x);

  MlpShape shape_;
  std::vector<torch::nn::Embedding> embeddings_;
  std::vector<torch::nn::Linear> hidden_;
  torch::nn::Linear output_{nullptr};
  torch::nn::Dropout dropout_{nullptr};
  ImageEncoder image_{nullptr};
  std::optional<at::Generator> dropout_generator_;
};
TORCH_MODULE(Mlp);

// Several networks of one shape (an ensemble) in one string: per network a
// u64 little-endian length, then LibTorch's serialized module.
std::string save_mlps(std::vector<Mlp> &nets);
std::vector<Mlp> load_mlps(const MlpShape &shape, const std::string &weights, int count);  // throws Error(CorruptModel)

}  // namespace xb
