#include "core/tabular/plain_mlp.hpp"

#include <cblas.h>

#include <algorithm>
#include <cmath>

#include "core/common/error.hpp"

namespace xb {
namespace {

std::vector<float> floats_of(const torch::Tensor &t) {
  const torch::Tensor c = t.detach().to(torch::kCPU).to(torch::kFloat).contiguous();
  return std::vector<float>(c.data_ptr<float>(), c.data_ptr<float>() + c.numel());
}

}  // namespace

PlainMlp::PlainMlp(Mlp &net) {
  const MlpShape &shape = net->shape();
  if (shape.image) throw Error(ErrorKind::Internal, "PlainMlp: a network with an image encoder");
  dense_dim_ = shape.dense_dim;
  cardinalities_ = shape.cardinalities;
  embedding_dims_ = shape.embedding_dims;
  for (std::size_t i = 0; i < net->embedding_count(); ++i) embeddings_.push_back(floats_of(net->embedding(i)->weight));
  for (std::size_t i = 0; i < net->layer_count(); ++i) {
    torch::nn::Linear &linear = net->layer(i);
    Layer l;
    l.out = static_cast<int>(linear->weight.size(0));
    l.in = static_cast<int>(linear->weight.size(1));
    l.weight = floats_of(linear->weight);
    l.bias = floats_of(linear->bias);
    layers_.push_back(std::move(l));
  }
}

std::vector<double> PlainMlp::predict(const float *dense, const std::int64_t *codes, Head head) const {
  // The input as MlpImpl::forward concatenates it: dense values, then each
  // text column's embedding row.
  std::vector<float> x(dense, dense + dense_dim_);
  for (std::size_t i = 0; i < embeddings_.size(); ++i) {
    if (codes[i] < 0 || codes[i] >= cardinalities_[i])
      throw Error(ErrorKind::Internal, "PlainMlp: a category code outside its embedding");
    const float *row = embeddings_[i].data() + codes[i] * embedding_dims_[i];
    x.insert(x.end(), row, row + embedding_dims_[i]);
  }
  std::vector<float> y;
  for (std::size_t k = 0; k < layers_.size(); ++k) {
    const Layer &l = layers_[k];
    if (static_cast<int>(x.size()) != l.in) throw Error(ErrorKind::Internal, "PlainMlp: layer sizes");
    // y = W x + b as LibTorch's addmm computes a one-row Linear (the bias,
    // then the same column-major sgemm call), so that a row scores exactly
    // as it did through LibTorch: upgrades keep every score to 1e-9.
    y = l.bias;
    if (l.out == 1)  // a [1, 1] result: x^T W^T
      cblas_sgemm(CblasColMajor, CblasTrans, CblasNoTrans, 1, 1, l.in, 1.0f, x.data(), l.in, l.weight.data(), l.in,
                  1.0f, y.data(), 1);
    else  // a [1, out] result, computed transposed: W x
      cblas_sgemm(CblasColMajor, CblasTrans, CblasNoTrans, l.out, 1, l.in, 1.0f, l.weight.data(), l.in, x.data(), l.in,
                  1.0f, y.data(), l.out);
    if (k + 1 < layers_.size())
      for (float &v : y) v = std::max(v, 0.0f);
    x.swap(y);
  }
  // The head, in double (predict_mlp).
  std::vector<double> out(x.begin(), x.end());
  const auto sigmoid = [](double v) { return 1 / (1 + std::exp(-v)); };
  switch (head) {
    case Head::Sigmoid: {
      const double p1 = sigmoid(out[0]);
      return {1 - p1, p1};
    }
    case Head::Sigmoid2: {
      double sum = 0;
      for (double &v : out) sum += (v = sigmoid(v));
      for (double &v : out) v /= std::max(sum, 1e-12);
      return out;
    }
    case Head::Softmax: {
      const double top = *std::max_element(out.begin(), out.end());
      double sum = 0;
      for (double &v : out) sum += (v = std::exp(v - top));
      for (double &v : out) v /= sum;
      return out;
    }
    case Head::Value: return out;
  }
  return out;
}

}  // namespace xb
