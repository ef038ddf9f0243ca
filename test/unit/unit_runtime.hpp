// The runtime the unit tests train with: the CPU, one thread, so that a
// fixed seed gives the same numbers on every machine (and, if given, a cap
// on training memory).
#pragma once
#include <cstdlib>
#include <string>
#include <thread>

#include "core/common/train_hooks.hpp"

namespace xb::unit {

inline RuntimeSettings cpu(double max_memory_bytes = 0) { return RuntimeSettings{"cpu", 1, max_memory_bytes}; }

// The runtime of the tests whose assertions hold on any device (shapes,
// counts, errors, orderings within one run; no numbers only the CPU's seed
// reproduces): the device XB_UNIT_DEVICE names ("cuda", "cuda:1", "auto";
// test/gpu/run sets it), else the CPU as cpu() above, so CI is unchanged.
inline RuntimeSettings device_under_test(double max_memory_bytes = 0) {
  const char *device = std::getenv("XB_UNIT_DEVICE");
  return RuntimeSettings{device != nullptr && *device != '\0' ? std::string(device) : "cpu", 1, max_memory_bytes};
}

// Hooks that count the epochs reported and note whether any came on a
// thread other than the one that made them (members side by side must
// report through the calling thread).
struct ProgressOnCaller {
  int epochs = 0;
  bool elsewhere = false;
  TrainHooks hooks() {
    return TrainHooks{nullptr, [this, caller = std::this_thread::get_id()](const EpochRecord &) {
                        ++epochs;
                        elsewhere = elsewhere || std::this_thread::get_id() != caller;
                      }};
  }
};

}  // namespace xb::unit
