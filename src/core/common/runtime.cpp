#include "core/common/runtime.hpp"

#include <torch/version.h>

#include "core/common/error.hpp"

namespace xb {

torch::Device prepare_runtime(const RuntimeSettings &settings) {
  static bool interop_set = false;
  if (!interop_set) {
    // Inter-op parallelism only helps graphs with independent branches; one
    // thread keeps a backend's footprint small. It can be set only once.
    at::set_num_interop_threads(1);
    interop_set = true;
  }
  // 0 restores LibTorch's own default: a training granted fewer threads
  // (xb.max_training_threads) leaves none of that behind for the next call.
  static const int default_threads = at::get_num_threads();
  const int threads = settings.threads > 0 ? settings.threads : default_threads;
  if (at::get_num_threads() != threads) at::set_num_threads(threads);

  const std::string &want = settings.device;
  if (want == "cpu") return torch::kCPU;
  if (want == "auto") return torch::cuda::is_available() ? torch::Device(torch::kCUDA, 0) : torch::Device(torch::kCPU);
  if (want.rfind("cuda", 0) == 0) {
    if (!torch::cuda::is_available())
      throw Error(ErrorKind::InvalidParameter, "xb.device is \"" + want + "\" but no CUDA device is available",
                  "This build links a CPU LibTorch or the server has no GPU; set xb.device to auto or cpu.");
    torch::Device device(want);
    if (device.index() >= static_cast<int>(torch::cuda::device_count()))
      throw Error(ErrorKind::InvalidParameter, "xb.device \"" + want + "\" names a GPU that does not exist");
    return device;
  }
  throw Error(ErrorKind::InvalidParameter, "invalid xb.device \"" + want + "\"", "Use auto, cpu, cuda or cuda:N.");
}

std::string runtime_description(const torch::Device &device) {
  return std::string("LibTorch ") + TORCH_VERSION + ", " + device.str() + ", " + std::to_string(at::get_num_threads()) +
         " threads";
}

}  // namespace xb
