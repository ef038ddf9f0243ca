// Mini-batch Adam with early stopping on validation loss; the best epoch's
// weights are restored at the end. Core-internal (torch).
#pragma once
#include "core/torch_api.hpp"

#include <vector>

#include "core/models.hpp"
#include "core/options.hpp"
#include "core/train_hooks.hpp"
#include "core/windows.hpp"

namespace xb {

struct FitResult {
  std::vector<EpochRecord> epochs;
  int best_epoch = 0;
  double best_val_loss = 0;
};

FitResult fit(ForecastNet &net, const WindowBatch &train, const WindowBatch &val, const ForecastOptions &o,
              const torch::Device &device, const TrainHooks &hooks);

// Predictions in scaled units, [N, horizon], on the CPU.
torch::Tensor predict(ForecastNet &net, const WindowBatch &batch, const torch::Device &device,
                      const TrainHooks &hooks);

}  // namespace xb
