// Reads and writes of the xb.* catalog tables, through SPI (connected).
#pragma once
#include <string>
#include <vector>

#include "core/forecaster.hpp"
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

}  // namespace xb::pg
