#include "core/common/runtime.hpp"

#include <torch/version.h>

#include <algorithm>
#include <cctype>
#include <map>
#include <string_view>

#include "core/common/error.hpp"

namespace xb {
namespace {

// The caching allocator's cap for this process on GPU index (0: the whole
// device, as it starts: nothing is touched until a cap is asked for); a CPU
// build has none to set.
void cap_device_memory(int index, double bytes) {
#ifdef XB_CUDA_BUILD
  static std::map<int, double> applied;  // per GPU; absent: uncapped
  const auto it = applied.find(index);
  if (bytes == (it == applied.end() ? 0.0 : it->second)) return;
  xb_torch::set_device_memory_cap(bytes, index);
  applied[index] = bytes;
#else
  (void)index;
  (void)bytes;
#endif
}

void release_cached_device_memory() {
#ifdef XB_CUDA_BUILD
  xb_torch::empty_device_cache();
#endif
}

}  // namespace

double training_memory_limit(const RuntimeSettings &s) {
  const bool gpu = s.device.rfind("cuda", 0) == 0 || (s.device == "auto" && torch::cuda::is_available());
  if (!gpu || s.max_gpu_memory_bytes <= 0) return s.max_memory_bytes;
  return s.max_memory_bytes > 0 ? std::min(s.max_memory_bytes, s.max_gpu_memory_bytes) : s.max_gpu_memory_bytes;
}

std::optional<Error> library_error(const std::exception &e) {
  const bool device = dynamic_cast<const c10::OutOfMemoryError *>(&e) != nullptr;
  // LibTorch 1.13 raises a plain c10::Error when the host allocator fails
  // ("DefaultCPUAllocator: can't allocate memory", or "not enough memory").
  const std::string_view what(e.what());
  const std::string_view text = what.substr(0, std::min(what.size(), backtrace_start(what)));
  const bool host = !device && text.find("DefaultCPUAllocator: ") != std::string_view::npos &&
                    (text.find("can't allocate memory") != std::string_view::npos ||
                     text.find("not enough memory") != std::string_view::npos);
  if (!device && !host) return std::nullopt;
  release_cached_device_memory();
  // PyTorch's GPU message goes on to other processes on the device and
  // allocator settings a SQL user cannot change: up to "Tried to allocate N."
  std::string_view said = text;
  if (const std::size_t tried = said.find("Tried to allocate"); device && tried != std::string_view::npos) {
    const std::size_t end = said.find(". ", tried);
    if (end != std::string_view::npos) said = said.substr(0, end + 1);
  }
  while (!said.empty() && std::isspace(static_cast<unsigned char>(said.back()))) said.remove_suffix(1);
  return Error(ErrorKind::OutOfMemory,
               std::string(device ? "out of memory on the GPU: " : "out of memory: ") + std::string(said),
               device ? "Lower batch_size, hidden or ensemble, bound what one call may take with xb.max_gpu_memory, "
                        "or SET xb.device = 'cpu'."
                      : "Lower batch_size, hidden or ensemble, or train on fewer rows; xb.max_train_memory refuses "
                        "trainings that would not fit up front.");
}

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
  if (want == "auto") {
    if (!torch::cuda::is_available()) return torch::kCPU;
    cap_device_memory(0, settings.max_gpu_memory_bytes);
    return torch::Device(torch::kCUDA, 0);
  }
  if (want.rfind("cuda", 0) == 0) {
    if (!torch::cuda::is_available())
      throw Error(ErrorKind::InvalidParameter, "xb.device is \"" + want + "\" but no CUDA device is available",
                  "This build links a CPU LibTorch or the server has no GPU; set xb.device to auto or cpu.");
    torch::Device device(want);
    if (device.index() >= static_cast<int>(torch::cuda::device_count()))
      throw Error(ErrorKind::InvalidParameter, "xb.device \"" + want + "\" names a GPU that does not exist");
    cap_device_memory(device.has_index() ? device.index() : 0, settings.max_gpu_memory_bytes);
    return device;
  }
  throw Error(ErrorKind::InvalidParameter, "invalid xb.device \"" + want + "\"", "Use auto, cpu, cuda or cuda:N.");
}

std::string runtime_description(const torch::Device &device) {
  return std::string("LibTorch ") + TORCH_VERSION + ", " + device.str() + ", " + std::to_string(at::get_num_threads()) +
         " threads";
}

}  // namespace xb
