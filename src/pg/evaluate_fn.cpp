// xb_evaluate: a model version scored on rows it has not seen, without
// retraining (forecasters: the actuals that fall in their forecast;
// classifiers and regressors: labelled rows), beside its baseline. The
// source is read with the caller's rights; the overall rows replace the
// version's split 'evaluation' in xb.model_metrics.
#include <optional>

#include "core/common/error.hpp"
#include "core/forecast/evaluation.hpp"
#include "core/forecast/options.hpp"
#include "core/tabular/scorer.hpp"
#include "pg/args.hpp"
#include "pg/catalog.hpp"
#include "pg/guard.hpp"
#include "pg_base/guc.hpp"
#include "pg/interrupts.hpp"
#include "pg/result_rows.hpp"
#include "pg/tabular_reader.hpp"

using namespace xb;
using namespace xb::pg;

namespace {

struct Evaluated {
  std::vector<EvaluationRow> rows;
  std::string left_out;  // what was not scored, for a NOTICE ("" when nothing)
};

// The actuals of source, read like the training source, against the forecast.
Evaluated evaluate_forecaster_on(const std::string &name, const StoredModel &m, const std::string &source) {
  if (m.source.time_col.empty() || m.source.target_col.empty())
    throw Error(ErrorKind::InvalidParameter,
                "model \"" + name + "\" was imported and does not know its time and target columns",
                "Import it naming them: xb_model_load(name, blob, time_col => ..., target_col => ..., series_cols => "
                "...).");
  SourceSpec spec = m.source;
  spec.source = source;
  spec.time_zone =
      parse_forecast_options(m.arch_requested, m.horizon, m.options_json).time_zone;  // the training's calendar
  const SeriesRows rows = read_series(spec, max_train_rows(), true);
  ForecastEvaluation e = evaluate_forecaster(m.bytes, rows, runtime_settings(), model_hooks(name.c_str(), m.id));
  Evaluated out{std::move(e.rows), ""};
  if (e.series_unknown > 0)
    out.left_out = std::to_string(e.series_unknown) + " series of the source are not in model \"" + name + "\"";
  return out;
}

// Labelled rows of source with the model's feature columns (numeric ones
// it read as categories read so again) and its label or target column.
Evaluated evaluate_tabular_on(const std::string &name, const StoredModel &m, const std::string &source) {
  const std::unique_ptr<TabularScorer> scorer = TabularScorer::load(m.bytes, runtime_settings());
  TabularSourceSpec spec;
  spec.source = source;
  spec.label_col = m.source.target_col;
  spec.classifier = m.kind == "classifier";
  for (const TabularFeature &f : scorer->features()) {
    spec.feature_cols.push_back(f.name);
    if (!f.numeric && !f.image) spec.categorical.push_back(f.name);
  }
  const TabularRows rows = read_tabular(spec, max_train_rows());
  const TabularScorer::Evaluation e = scorer->evaluate(rows, model_hooks(name.c_str(), m.id));
  Evaluated out;
  for (const MetricRow &r : e.metrics) out.rows.push_back({true, "", r.estimator, r.metric, r.value});
  if (e.unknown_labels > 0)
    out.left_out =
        std::to_string(e.unknown_labels) + " rows of the source have a class model \"" + name + "\" was not trained on";
  return out;
}

}  // namespace

// xb_evaluate(name, source, version) -> (series, estimator, metric, value)
XB_FUNCTION(xb_evaluate) {
  const std::string name = required_text(fcinfo, 0, "name");
  const std::string source = required_text(fcinfo, 1, "source");
  const auto version = optional_int(fcinfo, 2);

  pg_call([] { SPI_connect(); });
  lock_name(name);  // one evaluation of a name at a time replaces its rows
  const StoredModel m = stored_model(name, Right::Manage, version);
  const Evaluated result =
      m.kind == "forecaster" ? evaluate_forecaster_on(name, m, source) : evaluate_tabular_on(name, m, source);
  std::vector<MetricRow> overall;
  for (const EvaluationRow &r : result.rows)
    if (r.overall) overall.push_back({"evaluation", r.estimator, r.metric, r.value});
  replace_evaluation(name, m.id, overall);
  pg_call([] { SPI_finish(); });
  if (!result.left_out.empty()) {
    const std::string note = result.left_out + " and were not scored";
    pg_call([&] { ereport(NOTICE, (errmsg("%s", note.c_str()))); });
  }

  ResultRows out(fcinfo);
  for (const EvaluationRow &r : result.rows) {
    out.text(r.overall ? std::nullopt : std::optional<std::string>(r.series))
        .text(r.estimator)
        .text(r.metric)
        .float8(r.value);
    out.end_row();
  }
  return (Datum)0;
}
