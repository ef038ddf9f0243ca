#include "pg_base/guc.hpp"

#include <algorithm>
#include <cstring>

#include "core/common/cores.hpp"
#include "pg/postgres.hpp"

namespace xb::pg {
namespace {

char *device_setting = nullptr;
int threads_setting = 0;
int progress_every_setting = 10;
int max_train_rows_setting = 10000000;
int max_train_memory_setting = 4096;  // MB
int max_gpu_memory_setting = 0;       // MB, 0: the whole device
int model_cache_size_setting = 16;
int max_training_threads_setting = 0;

// Any role may set these two, so each is bounded: LibTorch starts its
// intra-op threads per backend (more threads than cores only oversubscribe,
// and every backend of every role could ask for them), and a decoded model
// holds its network in the backend's memory, outside any memory context.
constexpr int kMaxThreads = 64;
constexpr int kMaxCachedModels = 64;

bool check_device(char **newval, void **, GucSource) {
  const char *v = *newval;
  if (std::strcmp(v, "auto") == 0 || std::strcmp(v, "cpu") == 0 || std::strcmp(v, "cuda") == 0) return true;
  if (std::strncmp(v, "cuda:", 5) == 0 && v[5] != '\0' && std::strspn(v + 5, "0123456789") == std::strlen(v + 5))
    return true;
  GUC_check_errdetail("Valid values are auto, cpu, cuda and cuda:N.");
  return false;
}

}  // namespace

// GUC definitions only: nothing here touches LibTorch, so loading xb through
// shared_preload_libraries starts no threads and no CUDA in the postmaster.
void define_settings() {
  DefineCustomStringVariable("xb.device", "Device xb trains and predicts on: auto, cpu, cuda or cuda:N.",
                             "auto uses a GPU when the build links a CUDA LibTorch and one is present.",
                             &device_setting, "auto", PGC_USERSET, 0, check_device, nullptr, nullptr);
  DefineCustomIntVariable(
      "xb.threads", "LibTorch intra-op threads per backend (0: LibTorch's default).",
      "At most 64, and never more than the cores the server may use (its CPU affinity and cgroup quota).",
      &threads_setting, 0, 0, kMaxThreads, PGC_USERSET, 0, nullptr, nullptr, nullptr);
  DefineCustomIntVariable("xb.progress_every", "Epochs between training progress NOTICEs (0: none).", nullptr,
                          &progress_every_setting, 10, 0, 1000000, PGC_USERSET, 0, nullptr, nullptr, nullptr);
  DefineCustomIntVariable("xb.max_train_rows", "Largest source, in rows, that training accepts.", nullptr,
                          &max_train_rows_setting, 10000000, 1, INT_MAX, PGC_SUSET, 0, nullptr, nullptr, nullptr);
  DefineCustomIntVariable(
      "xb.max_train_memory",
      "Largest training tensors, in MB, that training accepts; larger requests are refused up front.", nullptr,
      &max_train_memory_setting, 4096, 1, INT_MAX, PGC_SUSET, GUC_UNIT_MB, nullptr, nullptr, nullptr);
  DefineCustomIntVariable(
      "xb.max_gpu_memory", "GPU memory, in MB, that one backend's xb calls may take (0: the whole device).",
      "Caps the CUDA caching allocator of the backend and refuses up front a training whose tensors would not fit; "
      "no effect on the CPU.",
      &max_gpu_memory_setting, 0, 0, INT_MAX, PGC_SUSET, GUC_UNIT_MB, nullptr, nullptr, nullptr);
  DefineCustomIntVariable(
      "xb.model_cache_size", "Models each backend keeps decoded between calls (0: none).",
      "At most 64. Entries are keyed by model id and version: training or deploying a version is seen at once.",
      &model_cache_size_setting, 16, 0, kMaxCachedModels, PGC_USERSET, 0, nullptr, nullptr, nullptr);
  // The cores the server may use by default: trainings of every session
  // together then run one thread a core.
  const int cores = usable_cores();
  DefineCustomIntVariable("xb.max_training_threads",
                          "Threads all trainings of the server may use at once (0: no cap); the default is the "
                          "cores the server may use.",
                          "A training takes as many as xb.threads asks for that are free, at least one, and waits "
                          "for one when none is.",
                          &max_training_threads_setting, cores, 0, 4096, PGC_SIGHUP, 0, nullptr, nullptr, nullptr);
  MarkGUCPrefixReserved("xb");
}

RuntimeSettings runtime_settings() {
  RuntimeSettings s;
  s.device = device_setting ? device_setting : "auto";
  // Read once per backend: it reads two files (17 us), and xb_forecast may
  // be called once per row.
  static const int cores = usable_cores();
  s.threads = std::min(threads_setting, cores);
  s.max_memory_bytes = static_cast<double>(max_train_memory_setting) * 1024.0 * 1024.0;
  s.max_gpu_memory_bytes = static_cast<double>(max_gpu_memory_setting) * 1024.0 * 1024.0;
  return s;
}

int progress_every() { return progress_every_setting; }
long max_train_rows() { return max_train_rows_setting; }
int model_cache_size() { return model_cache_size_setting; }
int max_training_threads() { return max_training_threads_setting; }

}  // namespace xb::pg
