// Bounds shared by the option checks and the blob validation, so that a
// training request and an imported blob cannot describe a network the other
// refuses; and the one memory estimate every training run checks against
// xb.max_train_memory before it allocates.
#pragma once
#include <cstdio>
#include <string>

#include "core/common/error.hpp"

namespace xb::limits {

constexpr int kMaxHidden = 4096;  // forecaster width, and each tabular hidden layer
constexpr int kMaxLayers = 16;    // forecaster recurrent or encoder layers
constexpr int kMaxHeads = 64;
constexpr int kMaxEnsemble = 32;  // members of one model
constexpr int kMaxLookback = 10000;
constexpr double kMaxTimeBudgetSeconds = 7 * 24 * 3600;  // option time_budget: a week
constexpr int kMaxHorizon = 10000;
constexpr int kMaxEmbedding = 256;  // series embedding, tabular category embedding
constexpr int kMaxTabularLayers = 8;
constexpr long kMaxCategoriesPerColumn = 100000;

// What training holds per parameter: the value, its gradient, Adam's two
// moments and the best epoch's copy, as float32.
constexpr double kTrainBytesPerParameter = 5 * 4;

// Error(ResourceLimit) when `bytes` exceeds limit_bytes (0: no limit),
// naming both: xb.max_train_memory is RuntimeSettings::max_memory_bytes.
inline void check_training_memory(double bytes, double limit_bytes, const std::string &what) {
  if (limit_bytes <= 0 || bytes <= limit_bytes) return;
  char need[64], limit[64];
  std::snprintf(need, sizeof need, "%.0f", bytes / 1048576.0);
  std::snprintf(limit, sizeof limit, "%.0f", limit_bytes / 1048576.0);
  throw Error(
      ErrorKind::ResourceLimit,
      std::string("training would need about ") + need + " MB for " + what + ", over the limit of " + limit + " MB",
      "Use a smaller network, fewer ensemble members or less data, or raise xb.max_train_memory (on a GPU, "
      "xb.max_gpu_memory).");
}

}  // namespace xb::limits
