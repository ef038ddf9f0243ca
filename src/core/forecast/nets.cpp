#include "core/forecast/nets.hpp"

#include <algorithm>
#include <cmath>

#include "core/common/error.hpp"

namespace xb {
namespace {

// Sinusoidal positional encoding [length, dim] (Vaswani et al.).
torch::Tensor positional_encoding(int length, int dim) {
  auto pe = torch::zeros({length, dim});
  auto pos = torch::arange(length, torch::kFloat32).unsqueeze(1);
  auto div = torch::exp(torch::arange(0, dim, 2, torch::kFloat32) * (-std::log(10000.0) / dim));
  pe.index_put_({torch::indexing::Slice(), torch::indexing::Slice(0, torch::indexing::None, 2)}, torch::sin(pos * div));
  pe.index_put_({torch::indexing::Slice(), torch::indexing::Slice(1, torch::indexing::None, 2)},
                torch::cos(pos * div).narrow(1, 0, dim / 2));
  return pe;
}

}  // namespace

std::int64_t parameter_count(const NetShape &s) {
  const std::int64_t h = s.hidden, in = s.past_dim, L = s.layers;
  std::int64_t n = 0;
  auto recurrent = [&](std::int64_t gates) {  // weights ih, hh and two biases per layer
    return gates * h * (in + h) + 2 * gates * h + (L - 1) * (gates * h * 2 * h + 2 * gates * h);
  };
  if (s.arch == "gru")
    n += recurrent(3);
  else if (s.arch == "lstm" || s.arch == "attention_lstm")
    n += recurrent(4);
  if (s.arch == "attention_lstm") n += (2 * h + 1) + (2 * h * h + h);
  if (s.arch == "transformer")  // input projection, positions, per layer attention + feed-forward + 2 norms
    n += (in * h + h) + static_cast<std::int64_t>(s.lookback) * h + L * (8 * h * h + 11 * h);
  n += (h + s.embedding_dim + s.future_dim + s.horizon) * h + h + h + 1;  // decoder
  if (s.embedding_dim > 0) n += std::max<std::int64_t>(s.series_count, 1) * s.embedding_dim;
  return n;
}

ForecastNetImpl::ForecastNetImpl(const NetShape &shape) : shape_(shape) {
  const int hid = shape.hidden;
  const double rnn_dropout = shape.layers > 1 ? shape.dropout : 0.0;
  if (shape.arch == "gru") {
    gru_ = register_module("gru", torch::nn::GRU(torch::nn::GRUOptions(shape.past_dim, hid)
                                                     .num_layers(shape.layers)
                                                     .batch_first(true)
                                                     .dropout(rnn_dropout)));
  } else if (shape.arch == "lstm" || shape.arch == "attention_lstm") {
    lstm_ = register_module("lstm", torch::nn::LSTM(torch::nn::LSTMOptions(shape.past_dim, hid)
                                                        .num_layers(shape.layers)
                                                        .batch_first(true)
                                                        .dropout(rnn_dropout)));
    if (shape.arch == "attention_lstm") {
      attn_score_ = register_module("attn_score", torch::nn::Linear(2 * hid, 1));
      attn_merge_ = register_module("attn_merge", torch::nn::Linear(2 * hid, hid));
    }
  } else if (shape.arch == "transformer") {
    input_proj_ = register_module("input_proj", torch::nn::Linear(shape.past_dim, hid));
    auto layer = torch::nn::TransformerEncoderLayer(
        torch::nn::TransformerEncoderLayerOptions(hid, shape.heads).dim_feedforward(2 * hid).dropout(shape.dropout));
    transformer_ = register_module("transformer", torch::nn::TransformerEncoder(layer, shape.layers));
    positions_ = register_buffer("positions", positional_encoding(shape.lookback, hid));
  } else {
    throw Error(ErrorKind::InvalidParameter, "unknown architecture \"" + shape.arch + "\"");
  }
  // Per step: encoding, that step's known-future inputs, a one-hot of the step.
  // Layers made one statement each: argument evaluation order is the
  // compiler's, and initialisation order decides the weights for a seed.
  torch::nn::Linear decode_in(hid + shape.embedding_dim + shape.future_dim + shape.horizon, hid);
  torch::nn::Linear decode_out(hid, 1);
  decoder_ = register_module(
      "decoder", torch::nn::Sequential(decode_in, torch::nn::ReLU(), torch::nn::Dropout(shape.dropout), decode_out));
  // Created last so that models without it keep their initial weights per seed.
  if (shape.embedding_dim > 0)
    embedding_ =
        register_module("embedding", torch::nn::Embedding(std::max(shape.series_count, 1), shape.embedding_dim));
}

torch::Tensor ForecastNetImpl::encode(const torch::Tensor &past) {
  if (gru_) return std::get<0>(gru_->forward(past)).select(1, -1);
  if (lstm_) {
    auto states = std::get<0>(lstm_->forward(past));  // [N, L, hid]
    auto last = states.select(1, -1);
    if (!attn_score_) return last;
    // Attention over time: score each hidden state against the last one.
    auto query = last.unsqueeze(1).expand_as(states);
    auto weights = torch::softmax(attn_score_->forward(torch::tanh(torch::cat({states, query}, 2))), 1);
    auto context = (weights * states).sum(1);
    return torch::relu(attn_merge_->forward(torch::cat({last, context}, 1)));
  }
  // The C++ TransformerEncoder of LibTorch 1.13 takes [L, N, E].
  auto x = input_proj_->forward(past) + positions_.unsqueeze(0);
  auto encoded = transformer_->forward(x.transpose(0, 1));
  return encoded.select(0, -1);
}

ForecastEnsembleImpl::ForecastEnsembleImpl(const NetShape &shape, int members, std::int64_t seed) {
  for (int i = 0; i < members; ++i) {
    torch::manual_seed(static_cast<std::uint64_t>(seed + i));
    members_.push_back(register_module("member" + std::to_string(i), ForecastNet(shape)));
  }
}

torch::Tensor ForecastEnsembleImpl::forward(const torch::Tensor &past, const torch::Tensor &future,
                                            const torch::Tensor &series) {
  auto sum = members_[0]->forward(past, future, series);
  for (std::size_t i = 1; i < members_.size(); ++i) sum = sum + members_[i]->forward(past, future, series);
  return sum / static_cast<double>(members_.size());
}

torch::Tensor ForecastNetImpl::forward(const torch::Tensor &past, const torch::Tensor &future,
                                       const torch::Tensor &series) {
  auto enc = encode(past);  // [N, hid]
  if (embedding_) enc = torch::cat({enc, embedding_->forward(series)}, 1);
  const auto n = past.size(0);
  const int H = shape_.horizon;
  auto steps = torch::eye(H, past.options()).unsqueeze(0).expand({n, H, H});
  auto input = torch::cat({enc.unsqueeze(1).expand({n, H, enc.size(1)}), future, steps}, 2);
  auto out = decode(input).squeeze(2);
  if (shape_.residual_channel >= 0) out = out + future.select(2, shape_.residual_channel);
  return out;
}

bool ForecastNetImpl::draws_only_from_own_generator() const {
  if (transformer_) return shape_.dropout == 0;
  return shape_.layers <= 1 || shape_.dropout == 0;
}

torch::Tensor ForecastNetImpl::decode(const torch::Tensor &input) {
  if (!dropout_generator_ || !is_training() || shape_.dropout <= 0) return decoder_->forward(input);
  // The decoder's layers in turn, its dropout drawn from the given generator.
  auto hidden = torch::relu(decoder_[0]->as<torch::nn::Linear>()->forward(input));
  const double keep = 1 - shape_.dropout;
  hidden = hidden * torch::empty_like(hidden).bernoulli_(keep, *dropout_generator_) / keep;
  return decoder_[3]->as<torch::nn::Linear>()->forward(hidden);
}

}  // namespace xb
