// Training a forecasting network on lookback windows (the loss on scaled
// values; the loop itself is core/common/train_loop), and predicting windows.
// Core-internal (torch).
#pragma once
#include "core/common/torch_api.hpp"

#include <optional>
#include <vector>

#include "core/common/train_hooks.hpp"
#include "core/common/train_loop.hpp"
#include "core/forecast/nets.hpp"
#include "core/forecast/options.hpp"
#include "core/forecast/windows.hpp"

namespace xb {

// `shuffle`: the generator of each epoch's order (none: LibTorch's global one).
FitResult fit(ForecastNet &net, const WindowBatch &train, const WindowBatch &val, const ForecastOptions &o,
              const torch::Device &device, const TrainHooks &hooks, int member = 0, Deadline deadline = kNoDeadline,
              std::optional<at::Generator> shuffle = std::nullopt);

// Predictions in scaled units, [N, horizon], on the CPU, in eval mode.
template <typename Net>
torch::Tensor predict(Net &net, const WindowBatch &batch, const torch::Device &device, const TrainHooks &hooks) {
  constexpr long kEvalBatch = 512;
  torch::NoGradGuard no_grad;
  net->eval();
  const long n = batch.past.size(0);
  std::vector<torch::Tensor> parts(static_cast<std::size_t>((n + kEvalBatch - 1) / kEvalBatch));
  split_over_threads(
      static_cast<long>(parts.size()), device,
      [&](long b) {
        const long i = b * kEvalBatch, len = std::min(kEvalBatch, n - i);
        parts[static_cast<std::size_t>(b)] =
            net->forward(batch.past.narrow(0, i, len).to(device), batch.future.narrow(0, i, len).to(device),
                         batch.series.narrow(0, i, len).to(device));
      },
      [&] { stop_if_interrupted(hooks); });
  if (parts.empty()) return torch::zeros({0, batch.future.size(1)});
  return torch::cat(parts, 0).to(torch::kCPU);  // one copy back, not one per batch
}

}  // namespace xb
