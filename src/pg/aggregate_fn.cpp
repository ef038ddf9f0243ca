// The forecasting aggregates, one series per group:
//   xb_fit_forecaster(ts, y, options)            -> model bytea
//   xb_forecast_agg(ts, y, horizon [, options])  -> xb.forecast_point[]
// and xb_forecast(model bytea, horizon), which applies such a model.
// Transition functions only collect rows (series_agg_state); training happens
// once per group in the final function, with the function form's core calls.
#include <algorithm>
#include <cstring>
#include <optional>

#include "core/forecast/aggregate_options.hpp"
#include "core/common/error.hpp"
#include "core/forecast/forecast.hpp"
#include "core/forecast/forecaster.hpp"
#include "core/forecast/options.hpp"
#include "pg/args.hpp"
#include "pg/guard.hpp"
#include "pg_base/guc.hpp"
#include "pg/heap_reuse.hpp"
#include "pg/training_threads.hpp"
#include "pg/interrupts.hpp"
#include "pg/result_rows.hpp"
#include "pg_base/series_agg_state.hpp"

using namespace xb;
using namespace xb::pg;

namespace {

struct FittedGroup {
  AggregateOptions options;
  TrainedForecaster trained;
};

// The type of ts, from the final function's Aggref; InvalidOid in a window.
Oid aggregate_time_type(FunctionCallInfo fcinfo) {
  Oid type = InvalidOid;
  pg_call([&] {
    if (const Aggref *a = AggGetAggref(fcinfo); a && a->aggargtypes != NIL) type = linitial_oid(a->aggargtypes);
  });
  return type;
}

// Trains on the group's rows, as xb_train_forecaster would on them alone.
FittedGroup fit_group(FunctionCallInfo fcinfo, const SeriesAggState *state, std::optional<int> horizon,
                      const char *function) {
  // The transition and combine functions bound the group; checked again
  // where it trains, as the function form checks its source.
  if (state->rows > max_train_rows())
    throw Error(ErrorKind::ResourceLimit, "a group has more than " + std::to_string(max_train_rows()) + " rows",
                "Filter the rows, or raise xb.max_train_rows.");
  FittedGroup g;
  g.options = parse_aggregate_options(options_text(state), horizon);
  // A timestamptz was read in UTC, whatever the session's TimeZone (on a
  // shard, postgres_fdw's session is in UTC anyway): the model says so, as
  // xb_train_forecaster's record the zone they read in.
  if (aggregate_time_type(fcinfo) == TIMESTAMPTZOID) {
    g.options.forecast.time_zone = "UTC";
    g.options.forecast.user_json = with_time_zone(g.options.forecast.user_json, "UTC");
  }
  const std::string label = g.options.series.empty() ? function : function + (": series " + g.options.series);
  const HeapReuse heap(HeapReuse::AtEnd::GiveBack);  // ended after the threads go back
  const TrainingThreads threads(runtime_settings());
  g.trained = train_forecaster(rows_of(state, g.options.series), g.options.forecast, threads.runtime(),
                               backend_hooks(label.c_str()));
  return g;
}

// The points as an array of the final function's element type, xb.forecast_point.
Datum forecast_point_array(FunctionCallInfo fcinfo, const std::vector<ForecastPoint> &points) {
  const int n = static_cast<int>(points.size());
  Datum result = 0;
  pg_call([&] {
    const Oid array_type = get_func_rettype(fcinfo->flinfo->fn_oid);
    const Oid point_type = get_element_type(array_type);
    TupleDesc desc = BlessTupleDesc(lookup_rowtype_tupdesc_copy(point_type, -1));
    Datum *items = static_cast<Datum *>(palloc(sizeof(Datum) * static_cast<Size>(std::max(n, 1))));
    for (int i = 0; i < n; ++i) {
      Datum values[4];
      bool nulls[4] = {false, false, false, false};
      values[0] = TimestampGetDatum(points[i].ts);
      values[1] = float8_or_null(points[i].yhat, nulls[1]);
      values[2] = float8_or_null(points[i].lo, nulls[2]);
      values[3] = float8_or_null(points[i].hi, nulls[3]);
      items[i] = HeapTupleGetDatum(heap_form_tuple(desc, values, nulls));
    }
    int16 len;
    bool byval;
    char align;
    get_typlenbyvalalign(point_type, &len, &byval, &align);
    result = PointerGetDatum(construct_array(items, n, point_type, len, byval, align));
  });
  return result;
}

}  // namespace

// A group whose rows all had a NULL ts or y gives NULL, as avg() does.
XB_FUNCTION(xb_fit_forecaster_final) {
  const SeriesAggState *state = state_argument(fcinfo, 0);
  if (state == nullptr || state->rows == 0) PG_RETURN_NULL();
  const FittedGroup g = fit_group(fcinfo, state, std::nullopt, "xb_fit_forecaster");
  return bytea_datum(g.trained.blob, "the model");
}

XB_FUNCTION(xb_forecast_agg_final) {
  const SeriesAggState *state = state_argument(fcinfo, 0);
  if (state == nullptr || state->rows == 0) PG_RETURN_NULL();
  const FittedGroup g = fit_group(fcinfo, state, state->horizon, "xb_forecast_agg");
  const auto points =
      forecast(g.trained.blob, g.options.forecast.horizon, runtime_settings(), backend_hooks("xb_forecast_agg"));
  return forecast_point_array(fcinfo, points);
}

// xb_forecast(model bytea, horizon) -> (series, ts, yhat, lo, hi)
XB_FUNCTION(xb_forecast_model) {
  if (PG_ARGISNULL(0))
    throw Error(ErrorKind::InvalidParameter, "model must not be NULL",
                "Pass a model from xb_fit_forecaster(), e.g. xb_forecast(xb_fit_forecaster(day, units, '{}')).");
  const auto horizon = optional_int(fcinfo, 1);
  if (horizon && *horizon < 1)
    throw Error(ErrorKind::InvalidParameter, "horizon must be at least 1, not " + std::to_string(*horizon),
                "Pass NULL for the trained horizon, or a number of steps up to it.");
  bytea *model = nullptr;
  pg_call([&] { model = PG_GETARG_BYTEA_PP(0); });
  const std::string_view bytes(VARDATA_ANY(model), VARSIZE_ANY_EXHDR(model));

  const auto points = forecast(bytes, horizon.value_or(0), runtime_settings(), backend_hooks("xb_forecast"));

  ResultRows out(fcinfo);
  for (const auto &p : points) {
    out.text(p.series).timestamp(p.ts).float8(p.yhat).float8(p.lo).float8(p.hi);
    out.end_row();
  }
  return (Datum)0;
}
