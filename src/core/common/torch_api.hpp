// The parts of LibTorch the core uses, and the core's precompiled header.
// Only core-internal headers include this; the boundary never does.
#pragma once
#include <torch/cuda.h>
#include <torch/nn.h>
#include <torch/optim.h>
#include <torch/serialize.h>
#include <torch/utils.h>
#include <torch/version.h>

// What differs between the LibTorch generations xb builds against (Debian's
// 1.13 on CPU, PyTorch 2.x's with CUDA), in one place. XB_CUDA_BUILD: the
// LibTorch has CUDA (CMake sets it when c10_cuda exists).
#ifdef XB_CUDA_BUILD
#include <c10/cuda/CUDACachingAllocator.h>
#include <cuda_runtime_api.h>

namespace xb_torch {
inline void set_device_memory_fraction(double fraction, int index) {
  c10::cuda::CUDACachingAllocator::setMemoryFraction(fraction, static_cast<c10::DeviceIndex>(index));
}
inline void empty_device_cache() { c10::cuda::CUDACachingAllocator::emptyCache(); }
}  // namespace xb_torch
#endif
