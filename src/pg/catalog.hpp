// Reads and writes of the xb.* catalog tables, through SPI (connected).
//
// Reads run as the caller, under the catalog's row-level security. Writes
// have one way in: write_catalog checks the caller's right on the model name
// as the caller, then runs fixed statements as the owner of xb's tables
// (ordinary roles hold no INSERT, UPDATE or DELETE on them). The SQL-callable
// primitives (xb.deploy_version, xb.set_grant, ...) are thin wrappers around
// it, so calling one directly gives nothing the public functions do not.
#pragma once
#include <optional>
#include <string>
#include <vector>

#include "core/forecast/forecast.hpp"
#include "core/forecast/forecaster.hpp"
#include "core/tabular/model.hpp"
#include "pg/run_as.hpp"
#include "pg/spi_reader.hpp"

namespace xb::pg {

enum class Right { Use, Manage, Own };

// A version of a model: what the one lookup returns.
struct ModelVersion {
  long id = 0;
  int version = 0;
  std::string kind;
  std::string stamp;  // row_stamp(id), where a caller needs it
};

// The one model lookup every function that takes a model name goes through
// (the SQL ones through xb.model_id): the deployed version of name, or the
// given one, for a role with the right needed. Its answers:
//   42501 the name exists and the role lacks the right (the hint names the
//         owner and the xb_grant call that would give it);
//   42704 no such name (the hint names the closest name the role may use,
//         when one is close), or no such version of it (the hint lists them).
ModelVersion find_model(const std::string &name, Right needed, std::optional<int> version = std::nullopt);

// The row's xmin and ctid, which any UPDATE of it changes (read as the
// catalog's owner, after find_model's check): a decoded model is reused only
// while its row is the one it was decoded from (pg/model_cache).
std::string row_stamp(long id);

// The same privilege answer for a name that need not exist yet: a name
// nobody has passes Use and Manage (training claims it) and is 42704 for Own.
void require_right(const std::string &name, Right needed);

// Whether the current role may use the name's models (the read policies' test).
bool may_use(const std::string &name);

// The one way the catalog is written: require_right as the caller, then
// write(caller's role name) as the owner of xb's tables (see run_as.hpp).
template <typename F>
void write_catalog(const std::string &name, Right needed, F &&write) {
  require_right(name, needed);
  const std::string caller = current_role_name();
  as_catalog_owner([&] { write(caller); });
}

struct NewForecaster {
  std::string name;
  SourceSpec source;
  int horizon = 0;
  std::string arch;
  std::string options_json;  // as the caller gave them, for retraining
  SourceAuthor author;       // who wrote source (the caller, or the retrained version's author)
  long train_rows = 0;
  double read_seconds = 0;  // reading the source, for the lineage
  const TrainedForecaster *trained = nullptr;
};

// Inserts the model as the next version of its name (deployed), its metrics
// and its training log; returns the new id.
long insert_forecaster(const NewForecaster &m);

// The deployed version of a model and the spec it was trained from.
struct StoredModel {
  long id = 0;
  int version = 0;
  std::string stamp;  // row_stamp(id)
  std::string kind;
  std::string arch;
  int horizon = 0;
  std::string options_json;    // as the caller gave them
  std::string arch_requested;  // the arch argument of its training (auto, say)
  SourceSpec source;
  SourceAuthor author;  // who wrote source: it runs only as them
  std::string bytes;    // empty when read without weights
};

// find_model(name, needed, version), with the spec and, unless told not to
// (a caller that finds the decoded model in pg/model_cache), the weights.
StoredModel stored_model(const std::string &name, Right needed, std::optional<int> version, bool with_weights = true);
inline StoredModel deployed_model(const std::string &name, Right needed, bool with_weights = true) {
  return stored_model(name, needed, std::nullopt, with_weights);
}

// --- Classifiers and regressors (product customization) ---

struct NewTabularModel {
  std::string name;
  std::string kind;  // classifier | regressor
  std::string source;
  std::string label_col;  // stored as target_col
  std::vector<std::string> feature_cols;
  std::string options_json;
  SourceAuthor author;
  long train_rows = 0;
  double read_seconds = 0;
  const TrainedTabular *trained = nullptr;
};

// Like insert_forecaster: the next version of its name, deployed, with its
// metrics and training log; returns the new id.
long insert_tabular_model(const NewTabularModel &m);

// The weights of one model row, read as the catalog's owner: only after
// find_model has checked the caller's right on it. Error(UndefinedObject)
// when it is gone.
std::string model_bytes(long id);
// model_bytes with the version's rows of xb.model_metrics in its state
// (reported_metrics), as xb_model_bytes exports it; a version without
// metric rows (an import not evaluated here) keeps the ones its blob reports.
std::string exported_model_bytes(long id);

// The per-name lock every writer of a name's versions takes, to the end of
// the transaction (the key the SQL functions take too). Whoever compares
// with, or writes from, the deployed version takes it before reading it:
// retraining (keep or reject against what is deployed while it holds the
// lock) and refreshing forecasts (never an old version's forecast written
// while a retrain runs).
void lock_name(const std::string &name);

// --- Catalog primitives (each through write_catalog) ---

// Deploys version of name (manage); a version that does not exist changes nothing.
void deploy_version(const std::string &name, int version);
// Marks a version rejected by xb_retrain (manage).
void reject_version(const std::string &name, int version);
// Gives or takes back a grant (owner only).
void set_grant(const std::string &name, const std::string &grantee, const std::string &privilege);
void drop_grant(const std::string &name, const std::string &grantee);
// Replaces the version's rows of split 'evaluation' in xb.model_metrics
// (manage): what xb_evaluate measured on all series together.
void replace_evaluation(const std::string &name, long model_id, const std::vector<MetricRow> &rows);
// Replaces the name's rows of xb.forecasts (manage); returns how many.
long replace_forecasts(const std::string &name, const StoredModel &m, const std::vector<ForecastPoint> &points);
// What an importer may say about the source a blob was trained from (the
// blob does not know): for a forecaster, its time, target and series
// columns, which xb_evaluate and future_source read; empty: not named.
struct ImportedColumns {
  std::string time_col;
  std::string target_col;
  std::vector<std::string> series_cols;
};
// Imports a blob as the next version of name (manage); returns its id.
long import_version(const std::string &name, const std::string &bytes, bool deploy, const ImportedColumns &columns);
// Drops one version that is not deployed, with its metrics, log, residuals,
// trials and materialized forecasts (manage).
void drop_version(const std::string &name, int version);
// Drops every version of name, its grants and the name itself (owner only);
// returns how many versions.
long drop_model(const std::string &name);
// Sets how many versions xb_retrain keeps (manage); 0: all.
void set_retention(const std::string &name, int keep_versions);

}  // namespace xb::pg
