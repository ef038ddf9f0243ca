// Training an Mlp on encoded rows: weighted losses for the classifier heads
// and the regressor, frozen layers left out of the optimiser (the loop itself,
// with early stopping, is core/common/train_loop), and predicting. Core-internal (torch).
#pragma once
#include "core/common/torch_api.hpp"

#include <optional>
#include <string>
#include <vector>

#include "core/tabular/mlp.hpp"
#include "core/tabular/encoding.hpp"
#include "core/tabular/options.hpp"
#include "core/common/train_hooks.hpp"
#include "core/common/train_loop.hpp"

namespace xb {

// sigmoid: one logit for class 1; sigmoid2: the paper's two sigmoid units;
// softmax: one logit per class; value: a standardised regression target.
enum class Head { Sigmoid, Sigmoid2, Softmax, Value };
const char *head_name(Head h);
Head head_from_name(const std::string &name);  // throws Error(CorruptModel)

struct TabularTensors {
  torch::Tensor dense;   // [N, dense_dim] float
  torch::Tensor codes;   // [N, text columns] long
  torch::Tensor target;  // [N] float: class index, or standardised value
  torch::Tensor weight;  // [N] float: per-row loss weight
  torch::Tensor images;  // [N, C, H, W] uint8, or undefined without an image feature
  long rows() const { return dense.size(0); }
};

TabularTensors to_tensors(const EncodedRows &x, const std::vector<double> &target, const std::vector<double> &weight);

// The generators a member training on a thread of its own draws from
// (LibTorch's global one is shared by every thread): each epoch's order
// from `order`; dropout, and the pictures' augmentation and erasing, from
// `noise`.
struct OwnGenerators {
  at::Generator order, noise;
};

// val may have no rows: then every epoch runs and the last weights are kept.
FitResult fit_mlp(Mlp &net, const TabularTensors &train, const TabularTensors &val, const TabularOptions &o, Head head,
                  const torch::Device &device, const TrainHooks &hooks, int member = 0,
                  const std::optional<OwnGenerators> &own = std::nullopt);

// Eval mode, no gradient, on the CPU: class probabilities [N, K] for the
// classifier heads, the standardised value [N, 1] for Head::Value.
torch::Tensor predict_mlp(Mlp &net, const TabularTensors &x, Head head, const torch::Device &device);
// Per row, the log-odds log(p / (1 - p)) of the class truth[row], from one
// pass over the inputs as given (predict_mlp also averages a picture with
// its mirror), computed from the logits: where a confident network's
// probability rounds to 1, its log-odds still tell two inputs apart.
torch::Tensor true_class_log_odds(Mlp &net, const TabularTensors &x, Head head, const torch::Device &device,
                                  const std::vector<long> &truth);

// The mean of the members' predict_mlp.
torch::Tensor predict_members(std::vector<Mlp> &nets, const TabularTensors &x, Head head, const torch::Device &device);

}  // namespace xb
