// LibTorch's process-wide settings, applied lazily in the backend that trains
// (never at library load: the postmaster forks backends and must not own
// thread pools or a CUDA context). Core-internal (torch).
#pragma once
#include "core/common/torch_api.hpp"

#include <string>

#include "core/common/train_hooks.hpp"

namespace xb {

// Sets the intra-op thread count and picks the device; call before any op.
torch::Device prepare_runtime(const RuntimeSettings &settings);

// "LibTorch 1.13.1, cpu, 2 threads": recorded with every model.
std::string runtime_description(const torch::Device &device);

// The bound on a training's tensors: xb.max_train_memory, and where the
// device is a GPU also xb.max_gpu_memory (0: none).
double training_memory_limit(const RuntimeSettings &settings);

}  // namespace xb
