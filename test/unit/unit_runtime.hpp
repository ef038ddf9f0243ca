// The runtime the unit tests train with: the CPU, one thread, so that a
// fixed seed gives the same numbers on every machine (and, if given, a cap
// on training memory).
#pragma once
#include "core/common/train_hooks.hpp"

namespace xb::unit {

inline RuntimeSettings cpu(double max_memory_bytes = 0) { return RuntimeSettings{"cpu", 1, max_memory_bytes}; }

}  // namespace xb::unit
