// The forecasting aggregates' row collection: their transition, combine,
// serialize and deserialize functions. They use no LibTorch and are built
// into both libraries: xb_base.so, which the aggregates name so that parallel
// workers load no LibTorch (module.cpp), and xb.so, for the install scripts
// of earlier versions. Training happens in the final functions
// (src/pg/aggregate_fn.cpp).
#include <optional>

#include "core/common/error.hpp"
#include "core/forecast/aggregate_options.hpp"
#include "pg/guard.hpp"
#include "pg_base/guc.hpp"
#include "pg_base/series_agg_state.hpp"

using namespace xb;
using namespace xb::pg;

namespace {

constexpr int kTimeArg = 1;
constexpr int kTargetArg = 2;

MemoryContext aggregate_context(FunctionCallInfo fcinfo, const char *function) {
  MemoryContext cxt = nullptr;
  if (!AggCheckCallContext(fcinfo, &cxt))
    throw Error(ErrorKind::Internal, std::string(function) + " called outside an aggregate");
  return cxt;
}

// ts is anyelement: date, timestamp or timestamptz, the types the function
// form reads. A timestamptz counts in UTC (its stored value), as there.
void check_time_type(FunctionCallInfo fcinfo) {
  const Oid type = get_fn_expr_argtype(fcinfo->flinfo, kTimeArg);
  if (type == DATEOID || type == TIMESTAMPOID || type == TIMESTAMPTZOID) return;
  if (type == InvalidOid) throw Error(ErrorKind::Internal, "cannot determine the type of ts");
  char *name = nullptr;
  pg_call([&] { name = format_type_be(type); });
  throw Error(ErrorKind::DatatypeMismatch, std::string("ts must be date, timestamp or timestamptz, not ") + name,
              "Cast it, e.g. xb_forecast_agg(day::date, units, 8).");
}

Timestamp time_of(FunctionCallInfo fcinfo) {
  const Datum d = PG_GETARG_DATUM(kTimeArg);
  Timestamp t = 0;
  if (get_fn_expr_argtype(fcinfo->flinfo, kTimeArg) == DATEOID) {
    int overflow = 0;
    t = date2timestamp_opt_overflow(DatumGetDateADT(d), &overflow);
    if (overflow != 0) t = overflow < 0 ? DT_NOBEGIN : DT_NOEND;
  } else {
    t = DatumGetTimestamp(d);  // timestamp and timestamptz share the representation
  }
  if (TIMESTAMP_NOT_FINITE(t))
    throw Error(ErrorKind::DataException, "ts is infinite or out of the timestamp range",
                "Filter out infinite timestamps, e.g. WHERE isfinite(ts).");
  return t;
}

const Jsonb *options_argument(FunctionCallInfo fcinfo, int arg) {
  if (arg < 0 || PG_ARGISNULL(arg)) return nullptr;
  Jsonb *j = nullptr;
  pg_call([&] { j = PG_GETARG_JSONB_P(arg); });
  return j;
}

// The shared transition: horizon (nullopt: xb_fit_forecaster) and options
// are checked on a group's first row and must not change after it; rows
// with a NULL ts or y are skipped, as avg() skips NULLs.
Datum accumulate(FunctionCallInfo fcinfo, std::optional<int> horizon, int options_arg) {
  MemoryContext cxt = aggregate_context(fcinfo, "xb aggregate transition");
  SeriesAggState *state = state_argument(fcinfo, 0);
  if (state == nullptr) {
    check_time_type(fcinfo);
    const Jsonb *options = options_argument(fcinfo, options_arg);
    // A bad option fails on the first row, before the data is collected.
    parse_aggregate_options(jsonb_text(options), horizon);
    state = new_state(cxt, horizon.value_or(0), options);
  } else {
    // A few bytes compared per row keep a group from silently mixing options.
    require_same_horizon(state->horizon, horizon.value_or(0));
    require_same_options(state->options, options_argument(fcinfo, options_arg));
  }
  if (!PG_ARGISNULL(kTimeArg) && !PG_ARGISNULL(kTargetArg))
    append_row(state, cxt, time_of(fcinfo), PG_GETARG_FLOAT8(kTargetArg), max_train_rows());
  PG_RETURN_POINTER(state);
}

}  // namespace

// xb_fit_forecaster_transfn(state, ts, y, options)
XB_FUNCTION(xb_fit_forecaster_transfn) { return accumulate(fcinfo, std::nullopt, 3); }

// xb_forecast_agg_transfn(state, ts, y, horizon [, options])
XB_FUNCTION(xb_forecast_agg_transfn) {
  if (PG_ARGISNULL(3))
    throw Error(ErrorKind::InvalidParameter, "horizon must not be NULL",
                "Pass the number of future steps to forecast, e.g. xb_forecast_agg(day, units, 8).");
  return accumulate(fcinfo, PG_GETARG_INT32(3), PG_NARGS() > 4 ? 4 : -1);
}

// Partial aggregation: the leader appends each worker's rows to its state.
XB_FUNCTION(xb_series_agg_combine) {
  MemoryContext cxt = aggregate_context(fcinfo, "xb_series_agg_combine");
  SeriesAggState *into = state_argument(fcinfo, 0);
  const SeriesAggState *from = state_argument(fcinfo, 1);
  if (from == nullptr) {
    if (into == nullptr) PG_RETURN_NULL();
    PG_RETURN_POINTER(into);
  }
  if (into == nullptr) into = new_state(cxt, from->horizon, from->options);
  merge_states(into, from, cxt, max_train_rows());
  PG_RETURN_POINTER(into);
}

XB_FUNCTION(xb_series_agg_serialize) { PG_RETURN_BYTEA_P(serialize_state(state_argument(fcinfo, 0))); }

XB_FUNCTION(xb_series_agg_deserialize) {
  aggregate_context(fcinfo, "xb_series_agg_deserialize");
  bytea *b = nullptr;
  pg_call([&] { b = PG_GETARG_BYTEA_PP(0); });
  PG_RETURN_POINTER(deserialize_state(b));
}
