#include "core/mlp.hpp"
#include "core/weights.hpp"

#include <nlohmann/json.hpp>
#include <sstream>

#include "core/error.hpp"

namespace xb {

using nlohmann::json;

long MlpShape::input_dim() const {
  long d = dense_dim;
  for (long e : embedding_dims) d += e;
  return d;
}

json MlpShape::to_json() const {
  return {{"dense_dim", dense_dim}, {"cardinalities", cardinalities}, {"embedding_dims", embedding_dims},
          {"hidden", hidden},       {"dropout", dropout},             {"outputs", outputs}};
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
  } catch (const json::exception &e) {
    throw Error(ErrorKind::CorruptModel, std::string("model state is invalid: ") + e.what(), "Retrain the model.");
  }
  bool ok = s.dense_dim >= 0 && s.cardinalities.size() == s.embedding_dims.size() && !s.hidden.empty() &&
            s.outputs >= 1 && s.input_dim() >= 1 && s.dropout >= 0 && s.dropout < 1;
  for (int h : s.hidden) ok = ok && h >= 1;
  for (std::size_t i = 0; i < s.cardinalities.size(); ++i)
    ok = ok && s.cardinalities[i] >= 2 && s.embedding_dims[i] >= 1;
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
}

torch::Tensor MlpImpl::forward(const torch::Tensor &dense, const torch::Tensor &codes) {
  torch::Tensor x = dense;
  if (!embeddings_.empty()) {
    std::vector<torch::Tensor> parts{dense};
    for (std::size_t i = 0; i < embeddings_.size(); ++i) parts.push_back(embeddings_[i]->forward(codes.select(1, i)));
    x = torch::cat(parts, 1);
  }
  for (std::size_t i = 0; i < hidden_.size(); ++i) {
    x = torch::relu(hidden_[i]->forward(x));
    if (i + 1 < hidden_.size()) x = dropout_->forward(x);
  }
  return output_->forward(x);
}

std::string save_mlps(std::vector<Mlp> &nets) {
  std::string out;
  for (auto &net : nets) {
    const std::string bytes = save_weights(*net);
    for (int i = 0; i < 8; ++i) out.push_back(static_cast<char>((static_cast<std::uint64_t>(bytes.size()) >> (8 * i)) & 0xff));
    out += bytes;
  }
  return out;
}

std::vector<Mlp> load_mlps(const MlpShape &shape, const std::string &weights, int count) {
  const Error bad(ErrorKind::CorruptModel, "model weights do not load", "The blob does not match its header.");
  std::vector<Mlp> nets;
  std::size_t pos = 0;
  for (int k = 0; k < count; ++k) {
    if (weights.size() - pos < 8) throw bad;
    std::uint64_t len = 0;
    for (int i = 0; i < 8; ++i) len |= std::uint64_t(static_cast<unsigned char>(weights[pos + i])) << (8 * i);
    pos += 8;
    if (len > weights.size() - pos) throw bad;
    Mlp net{nullptr};
    try {
      net = Mlp(shape);
    } catch (const std::exception &) {  // a shape LibTorch refuses
      throw bad;
    }
    load_weights(*net, std::string_view(weights).substr(pos, static_cast<std::size_t>(len)));
    pos += static_cast<std::size_t>(len);
    if (pos != weights.size() && k + 1 == count) throw bad;
    net->eval();
    nets.push_back(net);
  }
  return nets;
}

}  // namespace xb
