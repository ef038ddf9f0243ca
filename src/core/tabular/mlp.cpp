#include "core/tabular/mlp.hpp"
#include "core/common/weights.hpp"

#include <nlohmann/json.hpp>
#include <sstream>

#include "core/common/byte_codec.hpp"
#include "core/common/error.hpp"
#include "core/common/limits.hpp"

namespace xb {

using nlohmann::json;

std::int64_t MlpShape::parameter_count() const {
  std::int64_t n = 0;
  for (std::size_t i = 0; i < cardinalities.size(); ++i)
    n += static_cast<std::int64_t>(cardinalities[i]) * embedding_dims[i];
  std::int64_t in = input_dim();
  for (int h : hidden) {
    n += in * h + h;
    in = h;
  }
  if (image) n += image->value_count();
  return n + in * outputs + outputs;
}

long MlpShape::input_dim() const {
  long d = dense_dim;
  for (long e : embedding_dims) d += e;
  if (image) d += image->embedding_dim();
  return d;
}

json MlpShape::to_json() const {
  json j = {{"dense_dim", dense_dim},
            {"cardinalities", cardinalities},
            {"embedding_dims", embedding_dims},
            {"hidden", hidden},
            {"dropout", dropout},
            {"outputs", outputs}};
  if (image) j["image"] = image->to_json();
  return j;
}

MlpShape MlpShape::from_json(const json &j) {
  MlpShape s;
  try {
    s.dense_dim = j.at("dense_dim").get<long>();
    s.cardinalities = j.at("cardinalities").get<std::vector<long>>();
    s.embedding_dims = j.at("embedding_dims").get<std::vector<long>>();
    s.hidden = j.at("hidden").get<std::vector<int>>();
    s.dropout = j.at("dropout").get<double>();
    s.outputs = j.at("outputs").get<long>();
    if (j.contains("image")) s.image = ImageSpec::from_json(j.at("image"));
  } catch (const json::exception &e) {
    throw Error(ErrorKind::CorruptModel, std::string("model state is invalid: ") + e.what(), "Retrain the model.");
  }
  // Every size bounded first, so the sums below cannot overflow.
  bool ok = s.dense_dim >= 0 && s.dense_dim <= limits::kMaxCategoriesPerColumn * 64 &&
            s.cardinalities.size() == s.embedding_dims.size() && s.cardinalities.size() <= 4096 &&
            s.hidden.size() <= static_cast<std::size_t>(limits::kMaxTabularLayers) && s.outputs >= 1 &&
            s.outputs <= limits::kMaxCategoriesPerColumn && s.dropout >= 0 && s.dropout < 1;
  for (int h : s.hidden) ok = ok && h >= 1 && h <= limits::kMaxHidden;
  for (std::size_t i = 0; ok && i < s.cardinalities.size(); ++i)
    ok = s.cardinalities[i] >= 2 && s.cardinalities[i] <= limits::kMaxCategoriesPerColumn + 2 &&
         s.embedding_dims[i] >= 1 && s.embedding_dims[i] <= limits::kMaxEmbedding;
  ok = ok && s.input_dim() >= 1;
  if (!ok) throw Error(ErrorKind::CorruptModel, "model state is inconsistent", "Retrain the model.");
  return s;
}

MlpImpl::MlpImpl(const MlpShape &shape) : shape_(shape) {
  for (std::size_t i = 0; i < shape.cardinalities.size(); ++i) {
    // The last row stands for categories never seen in training: kept at zero.
    auto options = torch::nn::EmbeddingOptions(shape.cardinalities[i], shape.embedding_dims[i])
                       .padding_idx(shape.cardinalities[i] - 1);
    embeddings_.push_back(register_module("embedding" + std::to_string(i), torch::nn::Embedding(options)));
  }
  long in = shape.input_dim();
  for (std::size_t i = 0; i < shape.hidden.size(); ++i) {
    hidden_.push_back(register_module("layer" + std::to_string(i), torch::nn::Linear(in, shape.hidden[i])));
    in = shape.hidden[i];
  }
  output_ = register_module("output", torch::nn::Linear(in, shape.outputs));
  dropout_ = register_module("dropout", torch::nn::Dropout(shape.dropout));
  if (shape.image) image_ = register_module("image", ImageEncoder(*shape.image));
}

torch::Tensor MlpImpl::forward(const torch::Tensor &dense, const torch::Tensor &codes, const torch::Tensor &images) {
  torch::Tensor x = dense;
  if (!embeddings_.empty() || image_) {
    std::vector<torch::Tensor> parts{dense};
    for (std::size_t i = 0; i < embeddings_.size(); ++i) parts.push_back(embeddings_[i]->forward(codes.select(1, i)));
    if (image_) parts.push_back(image_->forward(images).embedding);
    x = torch::cat(parts, 1);
  }
  for (std::size_t i = 0; i < hidden_.size(); ++i) {
    x = torch::relu(hidden_[i]->forward(x));
    if (i + 1 < hidden_.size()) x = dropout(x);
  }
  return output_->forward(x);
}

torch::Tensor MlpImpl::dropout(const torch::Tensor &x) {
  if (!dropout_generator_ || !is_training() || shape_.dropout <= 0) return dropout_->forward(x);
  const double keep = 1 - shape_.dropout;
  return x * torch::empty_like(x).bernoulli_(keep, *dropout_generator_) / keep;
}

std::string save_mlps(std::vector<Mlp> &nets) {
  ByteWriter out;
  for (auto &net : nets) out.put_section(save_weights(*net), true);
  return out.take();
}

std::vector<Mlp> load_mlps(const MlpShape &shape, const std::string &weights, int count) {
  // The declared members must fit in the bytes really there (4 a value)
  // before one of them is built.
  if (4.0 * static_cast<double>(shape.parameter_count()) * count > static_cast<double>(weights.size()))
    throw corrupt_model("the declared network is larger than its weights");
  ByteReader in(weights);
  std::vector<Mlp> nets;
  for (int k = 0; k < count; ++k) {
    const std::string_view bytes = in.section(true, in.remaining());
    Mlp net{nullptr};
    try {
      net = Mlp(shape);
    } catch (const std::exception &) {  // a shape LibTorch refuses
      throw corrupt_model("the network cannot be built");
    }
    load_weights(*net, bytes);
    net->eval();
    nets.push_back(net);
  }
  if (!in.at_end()) throw corrupt_model("trailing bytes after the weights");
  return nets;
}

}  // namespace xb
