// Reads and writes of the xb.* catalog tables, through SPI (connected).
#pragma once
#include <string>
#include <vector>

#include "core/forecast/forecaster.hpp"
#include "core/tabular/model.hpp"
#include "pg/spi_reader.hpp"

namespace xb::pg {

struct NewForecaster {
  std::string name;
  SourceSpec source;
  int horizon = 0;
  std::string arch;
  std::string options_json;  // as the caller gave them, for retraining
  long train_rows = 0;
  const TrainedForecaster *trained = nullptr;
};

// Raises 42501 unless the current role may add versions to name (its owner,
// 'manage' granted, or a name nobody has yet). Training calls it before
// reading any data; the insert checks again under the per-name lock.
void require_manage(const std::string &name);

// Inserts the model as the next version of its name (deployed), its metrics
// and its training log; returns the new id.
long insert_forecaster(const NewForecaster &m);

// The deployed version of a model and the spec it was trained from.
struct StoredModel {
  long id = 0;
  int version = 0;
  std::string kind;
  std::string arch;
  int horizon = 0;
  std::string options_json;  // as the caller gave them
  SourceSpec source;
  std::string bytes;
};

// Error(UndefinedObject) when the name has no deployed version.
StoredModel deployed_model(const std::string &name);

// --- Classifiers and regressors (product customization) ---

struct NewTabularModel {
  std::string name;
  std::string kind;  // classifier | regressor
  std::string source;
  std::string label_col;  // stored as target_col
  std::vector<std::string> feature_cols;
  std::string options_json;
  long train_rows = 0;
  const TrainedTabular *trained = nullptr;
};

// Like insert_forecaster: the next version of its name, deployed, with its
// metrics and training log; returns the new id.
long insert_tabular_model(const NewTabularModel &m);

struct DeployedModel {
  long id = 0;
  int version = 0;
  std::string kind;
};

// The deployed version of name; Error(UndefinedObject) when there is none.
DeployedModel deployed_version(const std::string &name);

// The weights of one model row; Error(UndefinedObject) when it is gone.
std::string model_bytes(long id);

}  // namespace xb::pg
