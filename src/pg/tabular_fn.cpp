// The product-customization job's SQL entry points: xb_train_classifier,
// xb_train_regressor, xb_recommend, xb_predict, xb_predict_label, xb_score,
// xb_feature_importance and xb_cached_models.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <functional>

#include "core/common/error.hpp"
#include "core/common/phase_clock.hpp"
#include "core/tabular/model.hpp"
#include "core/tabular/scorer.hpp"
#include "pg/args.hpp"
#include "pg/catalog.hpp"
#include "pg/guard.hpp"
#include "pg/heap_reuse.hpp"
#include "pg_base/guc.hpp"
#include "pg/interrupts.hpp"
#include "pg/model_cache.hpp"
#include "pg/result_rows.hpp"
#include "pg/run_as.hpp"
#include "pg/scorer_call.hpp"
#include "pg/tabular_reader.hpp"

using namespace xb;
using namespace xb::pg;

namespace {

constexpr long kScoreBatch = 1000;

// What a retraining does between training and storing (the rows as read,
// the new version as trained): xb_retrain's comparison.
using BeforeStore = std::function<void(const TabularRows &, TrainedTabular &)>;

// Trains model (SPI connected) and stores it as the next version of its
// name. A source given now is read with the caller's rights; a stored one
// (retraining) only as its author.
long train_and_store(NewTabularModel &model, bool stored_source, const BeforeStore &before_store = nullptr) {
  const bool classifier = model.kind == "classifier";
  // Options are checked before any data is read.
  const TabularOptions options = parse_tabular_options(classifier, model.options_json);
  require_right(model.name, Right::Manage);
  const std::string init_from =
      options.init_from.empty() ? std::string() : deployed_model(options.init_from, Right::Use).bytes;
  TabularSourceSpec spec{model.source, model.label_col, model.feature_cols, options.categorical, classifier};
  TabularRows rows;
  const auto read = [&] { rows = read_tabular(spec, max_train_rows()); };
  const PhaseClock read_clock;
  if (stored_source)
    as_source_author(model.name, model.author, read);
  else
    read();
  model.read_seconds = read_clock.seconds();
  model.train_rows = static_cast<long>(rows.rows());
  TrainedTabular trained;
  {  // its training threads are given back before the catalog writes wait for the name's lock
    const TrainingActivity activity(model.name.c_str(), "training");
    const TrainHooks hooks = activity.hooks();
    trained = classifier ? train_classifier(rows, options, activity.runtime(), hooks, init_from)
                         : train_regressor(rows, options, activity.runtime(), hooks, init_from);
    if (before_store) before_store(rows, trained);
  }
  model.trained = &trained;
  const long id = insert_tabular_model(model);
  for (const auto &[message, hint] : trained.warnings) {
    const std::string text = "model \"" + model.name + "\": " + message;
    pg_call([&] { ereport(WARNING, (errmsg("%s", text.c_str()), errhint("%s", hint.c_str()))); });
  }
  return id;
}

Datum train(FunctionCallInfo fcinfo, bool classifier) {
  NewTabularModel model;
  model.name = required_text(fcinfo, 0, "name");
  if (model.name.empty()) throw Error(ErrorKind::InvalidParameter, "name must not be empty");
  model.kind = classifier ? "classifier" : "regressor";
  model.source = required_text(fcinfo, 1, "source");
  model.label_col = required_text(fcinfo, 2, classifier ? "label_col" : "target_col");
  if (PG_ARGISNULL(3)) throw Error(ErrorKind::InvalidParameter, "feature_cols must not be NULL");
  model.feature_cols = optional_text_array(fcinfo, 3, "feature_cols");
  if (model.feature_cols.empty())
    throw Error(ErrorKind::InvalidParameter, "feature_cols must name at least one column",
                "For example ARRAY['style', 'price', 'rating'].");
  model.options_json = jsonb_text(fcinfo, 4);

  pg_call([] { SPI_connect(); });
  model.author = current_author();
  const long id = train_and_store(model, false);
  pg_call([] { SPI_finish(); });
  return Int64GetDatum(id);
}

// Scores argument 1 (a table row or jsonb) with the model named by argument
// 0; nullopt for a NULL row.
std::optional<TabularPrediction> score_row(FunctionCallInfo fcinfo, const std::string &name, SharedScorer &scorer_out) {
  if (PG_ARGISNULL(1)) return std::nullopt;
  ModelVersion m;
  scorer_out = scorer_for_call(fcinfo, name, m);
  const TabularScorer &scorer = *scorer_out;
  const Oid type = get_fn_expr_argtype(fcinfo->flinfo, 1);
  std::vector<TabularColumn> columns;
  if (type == JSONBOID) {
    columns = jsonb_columns(PG_GETARG_DATUM(1), scorer.features());
  } else {
    bool composite = false;
    pg_call([&] { composite = type_is_rowtype(type); });
    if (!composite)
      throw Error(ErrorKind::DatatypeMismatch, "row must be a table row or jsonb",
                  "For example xb_recommend('model', d) FROM dresses d, or a jsonb object of feature -> value.");
    auto *state = static_cast<StatementState *>(fcinfo->flinfo->fn_extra);
    columns = row_columns(PG_GETARG_DATUM(1), scorer.features(), m.id, &state->layout, fcinfo->flinfo->fn_mcxt);
  }
  return scorer.predict(columns).at(0);
}

// The body of xb_recommend, xb_predict and xb_predict_label: scores argument 1
// with the model named by argument 0 and returns what result (which checks
// the model fits the function) makes of the prediction; NULL for a NULL row.
template <typename Result>
Datum score_row_as(FunctionCallInfo fcinfo, Result result) {
  const std::string name = required_text(fcinfo, 0, "name");
  SharedScorer scorer;
  auto p = score_row(fcinfo, name, scorer);
  if (!p) PG_RETURN_NULL();
  return result(name, *scorer, *p);
}

}  // namespace

// xb_train_classifier(name, source, label_col, feature_cols, options) -> model id
XB_FUNCTION(xb_train_classifier) { return train(fcinfo, true); }

// xb_train_regressor(name, source, target_col, feature_cols, options) -> model id
XB_FUNCTION(xb_train_regressor) { return train(fcinfo, false); }

// xb.retrain_tabular(name, keep) -> model id: the deployed classifier's or
// regressor's stored spec trained again on its source's current rows
// (xb_retrain); the source runs as its author, and the new version keeps it.
// Both versions are then scored on the new one's test split, which the
// deployed one never trained on (core/tabular/split.hpp), and two rows of
// the new version's xb.trials say how they scored and which keep keeps.
XB_FUNCTION(xb_retrain_tabular) {
  const std::string name = required_text(fcinfo, 0, "name");
  const std::string keep = required_text(fcinfo, 1, "keep");
  if (keep != "better" && keep != "always")
    throw Error(ErrorKind::InvalidParameter, "keep must be 'better' or 'always', not '" + keep + "'");
  pg_call([] { SPI_connect(); });
  lock_name(name);
  const StoredModel was = deployed_model(name, Right::Manage);
  if (was.kind != "classifier" && was.kind != "regressor")
    throw Error(ErrorKind::InvalidParameter,
                "model \"" + name + "\" is a " + was.kind + ", not a classifier or regressor");
  NewTabularModel model;
  model.name = name;
  model.kind = was.kind;
  model.source = was.source.source;
  model.label_col = was.source.target_col;
  model.feature_cols = was.source.feature_cols;
  model.options_json = was.options_json;
  model.author = was.author;
  std::string why_not_compared;
  const long id = train_and_store(model, true, [&](const TabularRows &rows, TrainedTabular &trained) {
    const TrainingActivity activity(name.c_str(), "comparing");
    VersionComparison c;
    try {
      c = compare_on_rows(was.bytes, trained.blob, rows, trained.test_rows, activity.runtime(), activity.hooks());
    } catch (const Error &e) {  // the new version still stands; only a cancel ends the retrain
      if (e.kind() == ErrorKind::Interrupted) throw;
      c.why_none = std::string("the versions could not be compared (") + e.what() + ")";
    }
    if (c.points == 0) {
      why_not_compared = c.why_none;
      return;
    }
    int last = 0;
    for (const TrialRecord &t : trained.trials) last = std::max(last, t.trial);
    for (TrialRecord &t : comparison_trials(c, was.arch, was.version, "mlp", last + 1, keep == "always"))
      trained.trials.push_back(std::move(t));
  });
  pg_call([] { SPI_finish(); });
  if (!why_not_compared.empty()) {
    const std::string note = "xb_retrain: " + why_not_compared + "; each version is judged on its own split";
    pg_call([&] { ereport(NOTICE, (errmsg("%s", note.c_str()))); });
  }
  return Int64GetDatum(id);
}

// xb_recommend(name, row) -> probability of the positive class
XB_FUNCTION(xb_recommend) {
  return score_row_as(fcinfo, [](const std::string &name, const TabularScorer &scorer, const TabularPrediction &p) {
    require_positive_class(scorer, "model \"" + name + "\"", "xb_recommend");
    return Float8GetDatum(p.positive_probability);
  });
}

// xb_predict(name, row) -> the regressor's value, or a numeric or boolean label as a number
XB_FUNCTION(xb_predict) {
  return score_row_as(fcinfo, [](const std::string &name, const TabularScorer &scorer, const TabularPrediction &p) {
    require_numeric_labels(scorer, "model \"" + name + "\"", "xb_predict");
    return Float8GetDatum(p.value);
  });
}

// xb_predict_label(name, row) -> the most probable class as text
XB_FUNCTION(xb_predict_label) {
  return score_row_as(fcinfo, [](const std::string &name, const TabularScorer &scorer, const TabularPrediction &p) {
    if (scorer.kind() != ModelKind::Classifier)
      throw Error(ErrorKind::InvalidParameter, "model \"" + name + "\" is a regressor and has no labels",
                  "Use xb_predict() for a regressor's value.");
    return text_datum(p.label);
  });
}

// xb_score(name, source, key_col) -> (key, label, probability, value), read in batches
XB_FUNCTION(xb_score) {
  const std::string name = required_text(fcinfo, 0, "name");
  const std::string source = required_text(fcinfo, 1, "source");
  const std::string key_col = required_text(fcinfo, 2, "key_col");
  ModelVersion m;
  // Owned here for the whole scan: reading a batch runs the source's SQL,
  // which may score other models and evict this one from the cache.
  const SharedScorer owned = scorer_for_call(fcinfo, name, m);
  const TabularScorer &scorer = *owned;
  const bool classifier = scorer.kind() == ModelKind::Classifier;
  const HeapReuse heap(HeapReuse::AtEnd::LeaveToGlibc);  // batch after batch of tensors

  ResultRows out(fcinfo);
  pg_call([] { SPI_connect(); });
  TabularBatches batches(source, key_col, scorer.features());
  std::vector<std::optional<std::string>> keys;
  std::vector<TabularColumn> columns;
  while (batches.next(kScoreBatch, keys, columns)) {
    const auto predictions =
        scorer.predict(columns, [&](long i) { return "key " + keys[static_cast<std::size_t>(i)].value_or("NULL"); });
    for (std::size_t i = 0; i < keys.size(); ++i) {
      const TabularPrediction &p = predictions[i];
      out.text(keys[i]);
      if (classifier)
        out.text(p.label).float8(std::isnan(p.positive_probability) ? p.label_probability : p.positive_probability);
      else
        out.null().null();
      out.float8(p.value);
      out.end_row();
    }
  }
  batches.close();
  pg_call([] { SPI_finish(); });
  return (Datum)0;
}

// xb_feature_importance(name) -> (feature, importance, importance_std, metric, rank)
XB_FUNCTION(xb_feature_importance) {
  const std::string name = required_text(fcinfo, 0, "name");
  ModelVersion m;
  const SharedScorer scorer = scorer_for_call(fcinfo, name, m);
  std::vector<FeatureImportance> rows = scorer->importance();
  // Unknown importance (NaN: a constant target has no R²) ranks last.
  std::stable_sort(rows.begin(), rows.end(), [](const auto &a, const auto &b) {
    return std::isnan(b.importance) ? !std::isnan(a.importance) : a.importance > b.importance;
  });
  ResultRows out(fcinfo);
  for (std::size_t i = 0; i < rows.size(); ++i) {
    out.text(rows[i].feature).float8(rows[i].importance).float8(rows[i].importance_std).text(rows[i].metric);
    out.int4(static_cast<int>(i + 1));
    out.end_row();
  }
  return (Datum)0;
}

// xb_cached_models() -> (name, id, version, uses): this backend's model
// cache, as far as the current role may use those models (a backend serves
// several roles through SET ROLE and SECURITY DEFINER functions).
XB_FUNCTION(xb_cached_models) {
  std::vector<CachedModel> visible;
  pg_call([] { SPI_connect(); });
  for (const auto &c : cached_models())
    if (may_use(c.name)) visible.push_back(c);
  pg_call([] { SPI_finish(); });
  ResultRows out(fcinfo);
  for (const auto &c : visible) {
    out.text(c.name).int8(c.id).int4(c.version).int8(c.uses);
    out.end_row();
  }
  return (Datum)0;
}
