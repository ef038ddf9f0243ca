// The parts of LibTorch the core uses, and the core's precompiled header.
// Only core-internal headers include this; the boundary never does.
#pragma once
#include <torch/cuda.h>
#include <torch/nn.h>
#include <torch/optim.h>
#include <torch/serialize.h>
#include <torch/utils.h>
#include <torch/version.h>

#include <ATen/autocast_mode.h>

// What differs between the LibTorch generations xb builds against (Debian's
// 1.13 on CPU, PyTorch 2.x's with CUDA), in one place. XB_CUDA_BUILD: the
// LibTorch has CUDA (CMake sets it when c10_cuda exists).
#ifdef XB_CUDA_BUILD
#include <c10/cuda/CUDACachingAllocator.h>
#include <cuda_runtime_api.h>

namespace xb_torch {
// The allocator of GPU index may hold bytes at most (0: the whole device).
// It exists once a tensor was made there (setMemoryFraction asserts so).
inline void set_device_memory_cap(double bytes, int index) {
  torch::empty({1}, torch::TensorOptions().device(torch::kCUDA, static_cast<c10::DeviceIndex>(index)));
  cudaDeviceProp properties;
  if (cudaGetDeviceProperties(&properties, index) != cudaSuccess || properties.totalGlobalMem == 0) return;
  const double total = static_cast<double>(properties.totalGlobalMem);
  c10::cuda::CUDACachingAllocator::setMemoryFraction(bytes > 0 ? std::min(1.0, bytes / total) : 1.0,
                                                     static_cast<c10::DeviceIndex>(index));
}
inline void empty_device_cache() { c10::cuda::CUDACachingAllocator::emptyCache(); }
}  // namespace xb_torch
#endif

// LibTorch 2.4 names autocast's switches by device type; 1.13 has one per kind.
#define XB_AUTOCAST_BY_DEVICE_TYPE (TORCH_VERSION_MAJOR > 2 || (TORCH_VERSION_MAJOR == 2 && TORCH_VERSION_MINOR >= 4))

namespace xb_torch {

// Whether autocast is on for device's kind.
inline bool autocast_on(const c10::Device &device) {
#if XB_AUTOCAST_BY_DEVICE_TYPE
  return at::autocast::is_autocast_enabled(device.is_cuda() ? at::kCUDA : at::kCPU);
#else
  return device.is_cuda() ? at::autocast::is_enabled() : at::autocast::is_cpu_enabled();
#endif
}

// bf16 autocast on device's kind while alive (when on), as it was after.
class Bf16Autocast {
 public:
  Bf16Autocast(const c10::Device &device, bool on) : gpu_(device.is_cuda()), on_(on) {
    if (!on_) return;
    was_on_ = autocast_on(device);
#if XB_AUTOCAST_BY_DEVICE_TYPE
    const auto kind = gpu_ ? at::kCUDA : at::kCPU;
    was_type_ = at::autocast::get_autocast_dtype(kind);
    at::autocast::set_autocast_dtype(kind, at::kBFloat16);
    at::autocast::set_autocast_enabled(kind, true);
#else
    was_type_ = gpu_ ? at::autocast::get_autocast_gpu_dtype() : at::autocast::get_autocast_cpu_dtype();
    if (gpu_) {
      at::autocast::set_autocast_gpu_dtype(at::kBFloat16);
      at::autocast::set_enabled(true);
    } else {
      at::autocast::set_autocast_cpu_dtype(at::kBFloat16);
      at::autocast::set_cpu_enabled(true);
    }
#endif
  }
  ~Bf16Autocast() {
    if (!on_) return;
#if XB_AUTOCAST_BY_DEVICE_TYPE
    const auto kind = gpu_ ? at::kCUDA : at::kCPU;
    at::autocast::set_autocast_enabled(kind, was_on_);
    at::autocast::set_autocast_dtype(kind, was_type_);
#else
    if (gpu_) {
      at::autocast::set_enabled(was_on_);
      at::autocast::set_autocast_gpu_dtype(was_type_);
    } else {
      at::autocast::set_cpu_enabled(was_on_);
      at::autocast::set_autocast_cpu_dtype(was_type_);
    }
#endif
    if (!was_on_) at::autocast::clear_cache();  // the weights' bf16 copies of this scope
  }
  Bf16Autocast(const Bf16Autocast &) = delete;
  Bf16Autocast &operator=(const Bf16Autocast &) = delete;

 private:
  bool gpu_, on_, was_on_ = false;
  at::ScalarType was_type_ = at::kFloat;
};

}  // namespace xb_torch
