// The forecasting networks: an encoder over the lookback window (GRU, LSTM,
// attention over LSTM states, or a Transformer encoder) and one decoder that
// maps the encoding plus each step's known-future inputs to that step's value
// (direct multi-horizon output). Core-internal (torch).
#pragma once
#include "core/common/torch_api.hpp"

#include <cstdint>
#include <optional>
#include <string>

namespace xb {

struct NetShape {
  std::string arch;
  int past_dim = 0;
  int future_dim = 0;
  int lookback = 0;
  int horizon = 0;
  int hidden = 0;
  int layers = 0;
  int heads = 0;
  double dropout = 0;
  int residual_channel = -1;  // future channel the output is added to (seasonal baseline), or -1
  int series_count = 0;       // with embedding_dim > 0: one learned vector per series
  int embedding_dim = 0;
};

// The number of float values a network of this shape stores (parameters and
// buffers), computed from the shape alone: what a blob's weights must hold
// and what training will allocate, known before anything is built.
std::int64_t parameter_count(const NetShape &shape);

class ForecastNetImpl : public torch::nn::Module {
 public:
  explicit ForecastNetImpl(const NetShape &shape);
  // past [N, lookback, past_dim], future [N, horizon, future_dim],
  // series [N] (int64 panel index; used with an embedding) -> [N, horizon]
  torch::Tensor forward(const torch::Tensor &past, const torch::Tensor &future, const torch::Tensor &series);
  const NetShape &shape() const { return shape_; }
  // Whether training draws random numbers only where a generator of its own
  // can be given (the decoder's dropout): then data-parallel shards
  // (core/common/data_parallel) train it the same for a seed. Not the
  // Transformer's layers nor stacked recurrent layers' dropout, which draw
  // from LibTorch's global generator.
  bool draws_only_from_own_generator() const;
  // In training, the decoder's dropout draws from `generator` (none: from
  // LibTorch's global one, as before shards existed).
  void set_dropout_generator(std::optional<at::Generator> generator) { dropout_generator_ = std::move(generator); }

 private:
  torch::Tensor encode(const torch::Tensor &past);
  torch::Tensor decode(const torch::Tensor &input);

  NetShape shape_;
  torch::nn::GRU gru_{nullptr};
  torch::nn::LSTM lstm_{nullptr};
  torch::nn::Linear attn_score_{nullptr}, attn_merge_{nullptr};
  torch::nn::Linear input_proj_{nullptr};
  torch::nn::TransformerEncoder transformer_{nullptr};
  torch::Tensor positions_;
  torch::nn::Sequential decoder_{nullptr};
  torch::nn::Embedding embedding_{nullptr};
  std::optional<at::Generator> dropout_generator_;
};
TORCH_MODULE(ForecastNet);

// Members trained from different seeds; the forecast is their mean, which
// is steadier than any one member on small data.
class ForecastEnsembleImpl : public torch::nn::Module {
 public:
  // Member i is initialised after torch::manual_seed(seed + i).
  ForecastEnsembleImpl(const NetShape &shape, int members, std::int64_t seed);
  torch::Tensor forward(const torch::Tensor &past, const torch::Tensor &future, const torch::Tensor &series);
  ForecastNet &member(std::size_t i) { return members_[i]; }
  std::size_t size() const { return members_.size(); }

 private:
  std::vector<ForecastNet> members_;
};
TORCH_MODULE(ForecastEnsemble);

}  // namespace xb
