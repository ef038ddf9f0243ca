// How a training run talks back to its caller: progress, notices, and the
// question "should I stop?" asked between mini-batches.
#pragma once
#include <functional>
#include <string>

namespace xb {

struct EpochRecord {
  int member = 0;  // ensemble member
  int epoch = 0;
  double train_loss = 0;
  double val_loss = 0;
  double lr = 0;
  double seconds = 0;  // since training began
};

struct TrainHooks {
  std::function<bool()> interrupted;                  // true: unwind with Error(Interrupted)
  std::function<void(const EpochRecord &)> on_epoch;  // after every epoch
  std::function<void(const std::string &)> notice;    // something the user should know
};

// Where and how LibTorch runs, from the xb.* settings.
struct RuntimeSettings {
  std::string device = "auto";  // auto | cpu | cuda | cuda:N
  int threads = 0;              // 0: LibTorch's default
  double max_memory_bytes = 0;  // training tensors larger than this are refused up front; 0: no limit
  // On a GPU: what one call's tensors may take there (the caching
  // allocator's cap, and the same up-front refusal); 0: the whole device.
  double max_gpu_memory_bytes = 0;
};

}  // namespace xb
