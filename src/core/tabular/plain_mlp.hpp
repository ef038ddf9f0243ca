// A trained MLP's weights as plain float arrays, and its forward pass for
// one row on BLAS (cblas_sgemm, called as LibTorch calls it for a one-row
// Linear; OpenBLAS at run time). Scoring one row
// through LibTorch costs about 17 us of per-call overhead for a small
// network, most of xb_recommend's time per row; this path costs a fraction
// of a microsecond. Built from a loaded Mlp, so the blob's checks have run.
// Core-internal (torch, for the Mlp it copies).
#pragma once
#include <cstdint>
#include <vector>

#include "core/tabular/mlp.hpp"
#include "core/tabular/trainer.hpp"

namespace xb {

class PlainMlp {
 public:
  explicit PlainMlp(Mlp &net);  // copies the weights; networks with an image encoder are not for this path

  // dense [dense_dim] and codes [text columns] of one row -> the head's
  // outputs in double, as predict_mlp gives them: every class's probability,
  // or the value in scaled units. A code outside its embedding is
  // Error(Internal).
  std::vector<double> predict(const float *dense, const std::int64_t *codes, Head head) const;

 private:
  struct Layer {
    int in = 0, out = 0;
    std::vector<float> weight;  // [out, in], row-major
    std::vector<float> bias;
  };
  long dense_dim_ = 0;
  std::vector<std::vector<float>> embeddings_;  // per text column, [cardinality, dim], row-major
  std::vector<long> cardinalities_, embedding_dims_;
  std::vector<Layer> layers_;  // the hidden layers (ReLU), then the output layer
};

}  // namespace xb
