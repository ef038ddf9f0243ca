// What a model blob holds, after checking that it loads: for xb_model_info()
// and for importing a blob exported from another database. Torch-free.
#pragma once
#include <string>
#include <string_view>
#include <vector>

#include "core/common/point_metrics.hpp"
#include "core/common/train_hooks.hpp"

namespace xb {

// A JSON object: format_version, kind, arch, bytes, then per kind
//   forecaster:            horizon, lookback, series, features, text_features, options
//   classifier, regressor: label, label_type, classes, features, members, options
// and reported_metrics when an export carries them (see below).
// Throws Error(CorruptModel) for a blob that fails any check or does not load.
std::string describe_model(std::string_view blob, const RuntimeSettings &runtime);

// Metric rows an exported blob may carry.
constexpr std::size_t kMaxReportedMetrics = 10000;

// The blob with `metrics` (its version's rows of xb.model_metrics) in its
// state as "reported_metrics", replacing any there: what xb_model_bytes
// exports, so that an import shows how the model scored where it was
// trained, as the blob reports it (unverified until xb_evaluate scores it).
// The first kMaxReportedMetrics rows go (put the ones that matter first);
// a row whose names the import would refuse is left out. Error(CorruptModel)
// for a blob that does not decode.
std::string with_reported_metrics(std::string_view blob, const std::vector<MetricRow> &metrics);

}  // namespace xb
