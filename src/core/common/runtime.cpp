#include "core/common/runtime.hpp"

#include <torch/version.h>

#ifdef __GLIBC__
#include <malloc.h>
#endif

#include "core/common/error.hpp"

namespace xb {
namespace {

// glibc hands freed memory back to the kernel as soon as 128 KB lie free at
// the top of the heap, and maps larger chunks anew each time until its
// dynamic threshold catches up. Training frees and re-allocates the same
// tensors every batch, so each return is paid again in page faults (in a VM,
// each with a TLB shootdown): 13,000 faults in a new backend's 3 s GRU fit of
// 22 stores, and a third of its time. Keeping up to 128 MB of freed heap and
// serving chunks below 32 MB from it brings that to 1,800, and a new
// backend's first fit to a warm one's speed. Process-wide, so set once, in a
// backend about to run LibTorch (never in the postmaster).
void keep_freed_memory_for_reuse() {
#ifdef __GLIBC__
  mallopt(M_MMAP_THRESHOLD, 32 << 20);
  mallopt(M_TRIM_THRESHOLD, 128 << 20);
#endif
}

}  // namespace

torch::Device prepare_runtime(const RuntimeSettings &settings) {
  static bool process_set = false;
  if (!process_set) {
    // Inter-op parallelism only helps graphs with independent branches; one
    // thread keeps a backend's footprint small. It can be set only once.
    at::set_num_interop_threads(1);
    keep_freed_memory_for_reuse();
    process_set = true;
  }
  if (settings.threads > 0 && at::get_num_threads() != settings.threads) at::set_num_threads(settings.threads);

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
