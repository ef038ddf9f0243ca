// Decoded classifiers and regressors kept per backend between calls, so that
// scoring a table row by row decodes each blob once. Keyed by model id and
// version (training or deploying gives another id, so a stale entry is never
// used), bounded by xb.model_cache_size (least recently used goes first; 0
// keeps nothing). Entries are owned here by std::unique_ptr in a static map,
// never by palloc'd memory.
#pragma once
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "core/tabular/model.hpp"
#include "core/tabular/scorer.hpp"
#include "pg/catalog.hpp"

namespace xb::pg {

// The scorer of model m: from the cache, or decoded from the weights that
// load_weights returns. With the cache off it is kept in `holder`.
const TabularScorer &scorer_for(const std::string &name, const DeployedModel &m, std::unique_ptr<TabularScorer> &holder,
                                const std::function<std::string()> &load_weights);

struct CachedModel {
  std::string name;
  long id = 0;
  int version = 0;
  long uses = 0;
};
std::vector<CachedModel> cached_models();

}  // namespace xb::pg
