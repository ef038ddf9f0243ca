// Training a forecasting network on lookback windows (the loss on scaled
// values; the loop itself is core/common/train_loop), and predicting windows.
// Core-internal (torch).
#pragma once
#include "core/common/torch_api.hpp"

#include <vector>

#include "core/common/train_hooks.hpp"
#include "core/common/train_loop.hpp"
#include "core/forecast/nets.hpp"
#include "core/forecast/options.hpp"
#include "core/forecast/windows.hpp"

namespace xb {

FitResult fit(ForecastNet &net, const WindowBatch &train, const WindowBatch &val, const ForecastOptions &o,
              const torch::Device &device, const TrainHooks &hooks, int member = 0, Deadline deadline = kNoDeadline);

// Predictions in scaled units, [N, horizon], on the CPU, in eval mode.
template <typename Net>
torch::Tensor predict(Net &net, const WindowBatch &batch, const torch::Device &device, const TrainHooks &hooks) {
  constexpr long kEvalBatch = 512;
  torch::NoGradGuard no_grad;
  net->eval();
  const long n = batch.past.size(0);
  std::vector<torch::Tensor> parts;
  for (long i = 0; i < n; i += kEvalBatch) {
    stop_if_interrupted(hooks);
    long len = std::min(kEvalBatch, n - i);
    parts.push_back(net->forward(batch.past.narrow(0, i, len).to(device), batch.future.narrow(0, i, len).to(device),
                                 batch.series.narrow(0, i, len).to(device)));
  }
  if (parts.empty()) return torch::zeros({0, batch.future.size(1)});
  return torch::cat(parts, 0).to(torch::kCPU);  // one copy back, not one per batch
}

}  // namespace xb
