// The forecasting job's SQL entry points: training, forecasts (with future
// covariates and what-if overrides), their explanation, sensitivity and
// backtests.
#include <algorithm>
#include <functional>
#include <optional>

#include "core/common/error.hpp"
#include "core/common/phase_clock.hpp"
#include "core/forecast/forecast.hpp"
#include "core/forecast/forecaster.hpp"
#include "core/forecast/version_comparison.hpp"
#include "pg/args.hpp"
#include "pg/catalog.hpp"
#include "pg/guard.hpp"
#include "pg/heap_reuse.hpp"
#include "pg_base/guc.hpp"
#include "pg/interrupts.hpp"
#include "pg/model_cache.hpp"
#include "pg/result_rows.hpp"
#include "pg/run_as.hpp"
#include "pg/spi_reader.hpp"

using namespace xb;
using namespace xb::pg;

namespace {

// Future covariate rows from future_source, read like the training source
// (same series, time and feature columns; no target).
SeriesRows read_future(const std::string &name, const StoredModel &m, const std::string &future_source) {
  if (m.source.time_col.empty())
    throw Error(ErrorKind::InvalidParameter,
                "model \"" + name + "\" was imported and does not know its time and series columns",
                "Give the future as overrides, or train the model from a table in this database.");
  SourceSpec spec = m.source;
  spec.source = future_source;
  spec.target_col.clear();
  spec.time_zone =
      parse_forecast_options(m.arch_requested, m.horizon, m.options_json).time_zone;  // the training's calendar
  return read_series(spec, max_train_rows(), true);
}

std::string optional_jsonb(FunctionCallInfo fcinfo, int arg) {
  return PG_ARGISNULL(arg) ? "" : jsonb_text(fcinfo, arg);
}

// A horizon argument: NULL is the trained horizon (0 to the core).
int horizon_arg(FunctionCallInfo fcinfo, int arg) {
  const auto horizon = optional_int(fcinfo, arg);
  if (horizon && *horizon < 1)
    throw Error(ErrorKind::InvalidParameter, "horizon must be at least 1, not " + std::to_string(*horizon));
  return horizon.value_or(0);
}

// The deployed version a forecast applies (the caller needs 'use'): its
// spec, and the model decoded (pg/model_cache: the weights are read only
// when the cache lacks it). When argument future_arg is not NULL, its
// future_source is read into `rows`, which `future` then points at.
struct DeployedForecaster {
  StoredModel spec;  // without weights
  SharedForecaster model;
};
SharedForecaster decoded_forecaster(const std::string &name, const StoredModel &spec) {
  const long id = spec.id;
  return forecaster_for(name, ModelVersion{id, spec.version, spec.kind, spec.stamp}, [id] { return model_bytes(id); });
}
DeployedForecaster deployed_forecaster(FunctionCallInfo fcinfo, const std::string &name, int future_arg,
                                       SeriesRows &rows, FutureInputs &future) {
  pg_call([] { SPI_connect(); });
  DeployedForecaster d;
  d.spec = deployed_model(name, Right::Use, false);
  d.model = decoded_forecaster(name, d.spec);
  if (!PG_ARGISNULL(future_arg)) {
    rows = read_future(name, d.spec, text_of(PG_GETARG_DATUM(future_arg)));
    future.rows = &rows;
  }
  pg_call([] { SPI_finish(); });
  return d;
}

// What a retraining does between training and storing (the rows as read,
// the new version as trained): xb_retrain's comparison.
using BeforeStore = std::function<void(const SeriesRows &, const ForecastOptions &, TrainedForecaster &)>;

// Trains model (SPI connected) and stores it as the next version of its
// name. A source given now is read with the caller's rights; a stored one
// (retraining) only as its author.
long train_and_store(NewForecaster &model, bool stored_source, const BeforeStore &before_store = nullptr) {
  // Options are checked before any data is read.
  ForecastOptions options = parse_forecast_options(model.arch, model.horizon, model.options_json);
  require_right(model.name, Right::Manage);
  if (!options.time_zone.empty()) check_time_zone(options.time_zone);
  // A timestamptz time column: in the zone given; else, for a first
  // training, in the session's TimeZone when every row is a local midnight
  // (weekly rows at local midnight stay 7 days apart across daylight saving)
  // and in UTC otherwise; a version trained before zones were stored is
  // retrained in UTC, as it was read then.
  SourceSpec spec = model.source;
  spec.time_zone = !options.time_zone.empty() ? options.time_zone : stored_source ? "UTC" : session_time_zone();
  spec.local_if_midnight = options.time_zone.empty() && !stored_source;
  SeriesRows rows;
  std::string zone_used;
  const auto read = [&] { rows = read_series(spec, max_train_rows(), options.invalid == "drop", &zone_used); };
  const PhaseClock read_clock;
  if (stored_source)
    as_source_author(model.name, model.author, read);
  else
    read();
  model.read_seconds = read_clock.seconds();
  if (!zone_used.empty() && options.time_zone.empty()) {
    // Stored with the version: a retrain (from a pg_cron session in UTC, say)
    // and future_source read the same calendar, whoever asks from where.
    options.time_zone = zone_used;
    options.user_json = with_time_zone(options.user_json, zone_used);
    model.options_json = with_time_zone(model.options_json, zone_used);
  } else if (zone_used.empty() && !options.time_zone.empty()) {
    const std::string note =
        "option \"time_zone\" is unused: time column \"" + model.source.time_col + "\" is not a timestamptz";
    pg_call([&] { ereport(NOTICE, (errmsg("%s", note.c_str()))); });
  }
  model.train_rows = static_cast<long>(rows.rows());
  TrainedForecaster trained;
  {  // its training threads are given back before the catalog writes wait for the name's lock
    const TrainingActivity activity(model.name.c_str(), "training");
    trained = train_forecaster(rows, options, activity.runtime(), activity.hooks());
    if (before_store) before_store(rows, options, trained);
  }
  model.trained = &trained;
  return insert_forecaster(model);
}

}  // namespace

// xb_train_forecaster(name, source, time_col, target_col, series_cols,
//                     feature_cols, horizon, arch, options) -> model id
XB_FUNCTION(xb_train_forecaster) {
  NewForecaster model;
  model.name = required_text(fcinfo, 0, "name");
  if (model.name.empty()) throw Error(ErrorKind::InvalidParameter, "name must not be empty");
  model.source.source = required_text(fcinfo, 1, "source");
  model.source.time_col = required_text(fcinfo, 2, "time_col");
  model.source.target_col = required_text(fcinfo, 3, "target_col");
  model.source.series_cols = optional_text_array(fcinfo, 4, "series_cols");
  model.source.feature_cols = optional_text_array(fcinfo, 5, "feature_cols");
  auto horizon = optional_int(fcinfo, 6);
  if (!horizon) throw Error(ErrorKind::InvalidParameter, "horizon must not be NULL");
  model.horizon = *horizon;
  model.arch = PG_ARGISNULL(7) ? "gru" : text_of(PG_GETARG_DATUM(7));
  model.options_json = jsonb_text(fcinfo, 8);

  pg_call([] { SPI_connect(); });
  model.author = current_author();
  const long id = train_and_store(model, false);
  pg_call([] { SPI_finish(); });
  return Int64GetDatum(id);
}

// xb.retrain_forecaster(name, keep) -> model id: the deployed version's
// stored spec trained again on its source's current rows (xb_retrain); the
// source runs as its author, and the new version keeps that author. Both
// versions then forecast the newest points of those rows from the same cut
// (core/forecast/version_comparison.hpp), and two rows of the new version's
// xb.trials say how they scored and which keep ('better' or 'always') keeps.
XB_FUNCTION(xb_retrain_forecaster) {
  const std::string name = required_text(fcinfo, 0, "name");
  const std::string keep = required_text(fcinfo, 1, "keep");
  if (keep != "better" && keep != "always")
    throw Error(ErrorKind::InvalidParameter, "keep must be 'better' or 'always', not '" + keep + "'");
  pg_call([] { SPI_connect(); });
  lock_name(name);
  const StoredModel was = deployed_model(name, Right::Manage);
  if (was.kind != "forecaster")
    throw Error(ErrorKind::InvalidParameter, "model \"" + name + "\" is a " + was.kind + ", not a forecaster");
  NewForecaster model;
  model.name = name;
  model.source = was.source;
  model.horizon = was.horizon;
  model.arch = was.arch_requested;
  model.options_json = was.options_json;
  model.author = was.author;
  std::string why_not_compared;
  const long id = train_and_store(
      model, true, [&](const SeriesRows &rows, const ForecastOptions &spec, TrainedForecaster &trained) {
        const TrainingActivity activity(name.c_str(), "comparing");
        VersionComparison c;
        try {
          c = compare_on_newest(was.bytes, trained.blob, rows, spec, activity.runtime(), activity.hooks());
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
        for (TrialRecord &t : comparison_trials(c, was.arch, was.version, trained.arch, last + 1, keep == "always"))
          trained.trials.push_back(std::move(t));
      });
  pg_call([] { SPI_finish(); });
  if (!why_not_compared.empty()) {
    const std::string note = "xb_retrain: " + why_not_compared + "; each version is judged on its own test split";
    pg_call([&] { ereport(NOTICE, (errmsg("%s", note.c_str()))); });
  }
  return Int64GetDatum(id);
}

// xb_forecast(name, horizon, future_source, overrides) -> (series, ts, yhat, lo, hi),
// and xb.forecast_at_level(the same, level) for xb_forecast_typed.
XB_FUNCTION(xb_forecast) {
  const std::string name = required_text(fcinfo, 0, "name");
  const int horizon = horizon_arg(fcinfo, 1);
  FutureInputs future;
  future.overrides_json = optional_jsonb(fcinfo, 3);
  if (PG_NARGS() > 4 && !PG_ARGISNULL(4)) {
    future.level = PG_GETARG_FLOAT8(4);
    if (!(future.level > 0 && future.level < 1)) {  // 0 would mean the trained level to the core
      char given[32];
      snprintf(given, sizeof given, "%g", future.level);  // PostgreSQL's, by its port.h
      throw Error(ErrorKind::InvalidParameter, std::string("level must be between 0 and 1, not ") + given,
                  "For example 0.8 for an 80 % interval.");
    }
  }

  SeriesRows future_rows;
  const DeployedForecaster m = deployed_forecaster(fcinfo, name, 2, future_rows, future);
  const HeapReuse heap(HeapReuse::AtEnd::LeaveToGlibc);
  const auto points = forecast(*m.model, horizon, runtime_settings(), model_hooks(name.c_str(), m.spec.id), future);
  ResultRows out(fcinfo);
  for (const auto &p : points) {
    out.text(p.series).timestamp(p.ts).float8(p.yhat).float8(p.lo).float8(p.hi);
    out.end_row();
  }
  return (Datum)0;
}

// xb_explain_forecast(name, horizon, future_source, overrides)
//   -> (series, ts, yhat, feature, contribution)
XB_FUNCTION(xb_explain_forecast) {
  const std::string name = required_text(fcinfo, 0, "name");
  const int horizon = horizon_arg(fcinfo, 1);
  FutureInputs future;
  future.overrides_json = optional_jsonb(fcinfo, 3);
  SeriesRows future_rows;
  const DeployedForecaster m = deployed_forecaster(fcinfo, name, 2, future_rows, future);
  const HeapReuse heap(HeapReuse::AtEnd::LeaveToGlibc);  // a forecast per feature, each as xb_forecast's
  const auto rows =
      explain_forecast(*m.model, horizon, runtime_settings(), model_hooks(name.c_str(), m.spec.id), future);
  ResultRows out(fcinfo);
  for (const auto &r : rows) {
    out.text(r.series).timestamp(r.ts).float8(r.yhat).text(r.feature).float8(r.contribution);
    out.end_row();
  }
  return (Datum)0;
}

// xb_sensitivity(name, feature, deltas, relative, per_series, future_source)
//   -> (series, delta, mean_forecast, relative_change, elasticity)
XB_FUNCTION(xb_sensitivity) {
  const std::string name = required_text(fcinfo, 0, "name");
  const std::string feature = required_text(fcinfo, 1, "feature");
  if (PG_ARGISNULL(2))
    throw Error(ErrorKind::InvalidParameter, "deltas must not be NULL", "Example: ARRAY[-0.1, 0, 0.1]");
  std::vector<double> deltas;
  {
    Datum *items = nullptr;
    bool *nulls = nullptr;
    int count = 0;
    pg_call([&] {
      deconstruct_array(PG_GETARG_ARRAYTYPE_P(2), FLOAT8OID, 8, FLOAT8PASSBYVAL, TYPALIGN_DOUBLE, &items, &nulls,
                        &count);
    });
    for (int i = 0; i < count; ++i) {
      if (nulls[i]) throw Error(ErrorKind::InvalidParameter, "deltas must not contain NULL");
      deltas.push_back(DatumGetFloat8(items[i]));
    }
  }
  const bool relative = PG_ARGISNULL(3) || PG_GETARG_BOOL(3);
  const bool per_series = !PG_ARGISNULL(4) && PG_GETARG_BOOL(4);

  FutureInputs future;
  SeriesRows future_rows;
  const DeployedForecaster m = deployed_forecaster(fcinfo, name, 5, future_rows, future);
  const HeapReuse heap(HeapReuse::AtEnd::LeaveToGlibc);  // a forecast per delta, each as xb_forecast's
  const auto rows = sensitivity(*m.model, feature, deltas, relative, per_series, runtime_settings(),
                                model_hooks(name.c_str(), m.spec.id), future);
  ResultRows out(fcinfo);
  for (const auto &r : rows) {
    out.text(r.series.empty() && !per_series ? std::nullopt : std::optional<std::string>(r.series))
        .float8(r.delta)
        .float8(r.mean_forecast)
        .float8(r.relative_change)
        .float8(r.elasticity);
    out.end_row();
  }
  return (Datum)0;
}

// xb_backtest(name, folds, step) -> (fold, cutoff, step, estimator, points, mae, rmse, smape, wape, mase, coverage)
XB_FUNCTION(xb_backtest) {
  const std::string name = required_text(fcinfo, 0, "name");
  const auto folds = optional_int(fcinfo, 1);
  const auto step = optional_int(fcinfo, 2);

  pg_call([] { SPI_connect(); });
  const StoredModel m = deployed_model(name, Right::Use);
  if (m.kind != "forecaster")
    throw Error(ErrorKind::InvalidParameter, "model \"" + name + "\" is a " + m.kind + ", not a forecaster",
                "xb_backtest() evaluates forecasters.");
  if (m.source.source == "(imported)" || m.source.time_col.empty())
    throw Error(ErrorKind::InvalidParameter,
                "model \"" + name + "\" was imported and has no training source to retrain on",
                "Backtest the model in the database it was trained in.");
  const ForecastOptions options = parse_forecast_options(m.arch_requested, m.horizon, m.options_json);
  // The stored source runs as its author, never as the caller.
  SourceSpec spec = m.source;
  spec.time_zone = options.time_zone;  // the training's calendar
  SeriesRows rows;
  as_source_author(name, m.author, [&] { rows = read_series(spec, max_train_rows(), options.invalid == "drop"); });
  pg_call([] { SPI_finish(); });

  std::vector<BacktestRow> result;
  {
    const TrainingActivity activity(name.c_str(), "backtest");
    result = backtest(rows, options, folds.value_or(3), step.value_or(m.horizon), activity.runtime(), activity.hooks());
  }
  ResultRows out(fcinfo);
  for (const auto &r : result) {
    out.int4(r.fold).timestamp(r.cutoff).int4(r.step).text(r.estimator).int8(r.points);
    out.float8(r.mae).float8(r.rmse).float8(r.smape).float8(r.wape).float8(r.mase).float8(r.coverage);
    out.end_row();
  }
  return (Datum)0;
}

// xb.replace_forecasts(name, horizon) -> rows written: the deployed version's
// forecast replaces the name's rows of xb.forecasts (xb_refresh_forecasts).
XB_FUNCTION(xb_replace_forecasts) {
  const std::string name = required_text(fcinfo, 0, "name");
  const int horizon = horizon_arg(fcinfo, 1);
  pg_call([] { SPI_connect(); });
  lock_name(name);
  const StoredModel m = deployed_model(name, Right::Manage, false);
  const auto points =
      forecast(*decoded_forecaster(name, m), horizon, runtime_settings(), model_hooks(name.c_str(), m.id));
  const long written = replace_forecasts(name, m, points);
  pg_call([] { SPI_finish(); });
  return Int64GetDatum(written);
}
