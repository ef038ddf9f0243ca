// xb_train_forecaster() and xb_forecast(): the forecasting job's SQL entry points.
#include "core/error.hpp"
#include "core/forecaster.hpp"
#include "pg/args.hpp"
#include "pg/catalog.hpp"
#include "pg/guard.hpp"
#include "pg/guc.hpp"
#include "pg/interrupts.hpp"
#include "pg/spi_reader.hpp"

using namespace xb;
using namespace xb::pg;

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
  // Options are checked before any data is read.
  const ForecastOptions options = parse_forecast_options(model.arch, model.horizon, model.options_json);

  pg_call([] { SPI_connect(); });
  const SeriesRows rows = read_series(model.source, max_train_rows());
  model.train_rows = static_cast<long>(rows.rows());
  const TrainedForecaster trained =
      train_forecaster(rows, options, runtime_settings(), backend_hooks(model.name.c_str()));
  model.trained = &trained;
  const long id = insert_forecaster(model);
  pg_call([] { SPI_finish(); });
  return Int64GetDatum(id);
}

// xb_forecast(name, horizon) -> (series, ts, yhat, lo, hi)
XB_FUNCTION(xb_forecast) {
  const std::string name = required_text(fcinfo, 0, "name");
  const auto horizon = optional_int(fcinfo, 1);
  if (horizon && *horizon < 1)
    throw Error(ErrorKind::InvalidParameter, "horizon must be at least 1, not " + std::to_string(*horizon));

  pg_call([] { SPI_connect(); });
  const std::string bytes = deployed_model_bytes(name);
  pg_call([] { SPI_finish(); });

  const auto points = forecast(bytes, horizon.value_or(0), runtime_settings(), backend_hooks(name.c_str()));

  ReturnSetInfo *rsinfo = reinterpret_cast<ReturnSetInfo *>(fcinfo->resultinfo);
  pg_call([&] { InitMaterializedSRF(fcinfo, 0); });
  for (const auto &p : points) {
    const char *key = p.series.c_str();
    Datum values[5] = {0, TimestampGetDatum(p.ts), Float8GetDatum(p.yhat), Float8GetDatum(p.lo),
                       Float8GetDatum(p.hi)};
    bool nulls[5] = {false, false, false, false, false};
    pg_call([&] {
      values[0] = CStringGetTextDatum(key);
      tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
    });
  }
  return (Datum)0;
}
