// What a model blob holds, after checking that it loads: for xb_model_info()
// and for importing a blob exported from another database. Torch-free.
#pragma once
#include <string>
#include <string_view>

#include "core/common/train_hooks.hpp"

namespace xb {

// A JSON object: format_version, kind, arch, bytes, then per kind
//   forecaster:            horizon, lookback, series, features, text_features, options
//   classifier, regressor: label, label_type, classes, features, members, options
// Throws Error(CorruptModel) for a blob that fails any check or does not load.
std::string describe_model(std::string_view blob, const RuntimeSettings &runtime);

}  // namespace xb
