// Decoded models kept per backend between calls, so that scoring a table row
// by row, or forecasting again, decodes each blob once. Keyed by model id and
// version (training or deploying gives another id, so a stale entry is never
// used), bounded by xb.model_cache_size (least recently used goes first; 0
// keeps nothing). Entries are shared: a caller keeps its model alive with
// the std::shared_ptr it got, even when reading a batch runs SQL that scores
// other models and evicts this one (never a raw reference across SQL).
#pragma once
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "core/forecast/forecast.hpp"
#include "core/tabular/model.hpp"
#include "core/tabular/scorer.hpp"
#include "pg/catalog.hpp"

namespace xb::pg {

using SharedScorer = std::shared_ptr<const TabularScorer>;
using WeightsLoader = std::function<std::string()>;

// The classifier or regressor m: from the cache, or decoded from the
// weights that load_weights returns (and cached when the cache is on).
SharedScorer scorer_for(const std::string &name, const ModelVersion &m, const WeightsLoader &load_weights);
// The same for a forecaster (xb_forecast, its explanation and sensitivity).
SharedForecaster forecaster_for(const std::string &name, const ModelVersion &m, const WeightsLoader &load_weights);

struct CachedModel {
  std::string name;
  long id = 0;
  int version = 0;
  long uses = 0;
};
// Every entry; xb_cached_models() shows the caller only those it may use.
std::vector<CachedModel> cached_models();

}  // namespace xb::pg
