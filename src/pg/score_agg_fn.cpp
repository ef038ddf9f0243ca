// The scoring aggregates, with a model given as a value (a bytea from
// xb_model_bytes), not looked up in this database's catalog:
//   xb_predict_agg(model bytea, row jsonb)    -> avg of xb_predict over the group
//   xb_recommend_agg(model bytea, row jsonb)  -> avg of xb_recommend over the group
// Grouped by a unique key, each is that row's own prediction. Because they
// are aggregates of extension xb, postgres_fdw ships them to the server that
// holds the rows (a foreign server with extensions 'xb'): a sharded product
// table is scored on its shards and only one number per group comes back.
//
// The state is avg()'s own float8[], kept by avg()'s own float8_accum, so the
// combine and final functions are PostgreSQL's float8_combine and float8_avg.
#include <cstring>
#include <memory>

#include "core/common/error.hpp"
#include "core/tabular/scorer.hpp"
#include "pg/guard.hpp"
#include "pg_base/guc.hpp"
#include "pg/tabular_reader.hpp"

using namespace xb;
using namespace xb::pg;

namespace {

constexpr const char *kModel = "the model bytea";

// The decoded model, kept for the statement in the transition function's
// fn_extra: a copy of the blob's bytes, compared with each row's argument,
// and the scorer, a C++ object that a memory-context callback deletes with
// fn_mcxt. When the model argument is a constant or a query parameter (as
// postgres_fdw sends it to a shard), its bytes cannot change during the
// statement and lie at one address: the comparison is then skipped.
struct StatementScorer {
  MemoryContextCallback on_reset;
  const char *fixed_at;  // where a constant or query parameter's bytes lie (see model_is_fixed)
  char *bytes;
  Size length;
  std::shared_ptr<const TabularScorer> *scorer;
};

void delete_scorer(void *arg) {
  auto *s = static_cast<StatementScorer *>(arg);
  delete s->scorer;  // never throws: TabularScorer's destructor only frees
  s->scorer = nullptr;
}

using Requirement = void (*)(const TabularScorer &);

// True when the aggregate's model argument is a Const or an external Param,
// whose value is fixed for the whole statement.
bool model_is_fixed(FunctionCallInfo fcinfo) {
  bool fixed = false;
  pg_call([&] {
    const Aggref *a = AggGetAggref(fcinfo);
    if (!a || a->args == NIL) return;
    const Node *arg = reinterpret_cast<Node *>(linitial_node(TargetEntry, a->args)->expr);
    fixed = IsA(arg, Const) || (IsA(arg, Param) && reinterpret_cast<const Param *>(arg)->paramkind == PARAM_EXTERN);
  });
  return fixed;
}

// The scorer of argument 1; require runs once per decoded model, so a model
// of the wrong kind is refused even in a group of NULL rows.
std::shared_ptr<const TabularScorer> scorer_of_argument(FunctionCallInfo fcinfo, Requirement require) {
  if (PG_ARGISNULL(1))
    throw Error(ErrorKind::InvalidParameter, "model must not be NULL",
                "Pass a classifier's or regressor's bytes, e.g. (SELECT xb_model_bytes('my_model')).");
  bytea *model = nullptr;
  pg_call([&] { model = PG_GETARG_BYTEA_PP(1); });
  const char *data = VARDATA_ANY(model);
  const Size length = VARSIZE_ANY_EXHDR(model);
  auto *s = static_cast<StatementScorer *>(fcinfo->flinfo->fn_extra);
  if (s && s->scorer && s->length == length &&
      ((s->fixed_at != nullptr && s->fixed_at == data) || std::memcmp(s->bytes, data, length) == 0))
    return *s->scorer;

  auto decoded =
      std::shared_ptr<const TabularScorer>(TabularScorer::load(std::string_view(data, length), runtime_settings()));
  require(*decoded);
  pg_call([&] {
    MemoryContext mcxt = fcinfo->flinfo->fn_mcxt;
    if (!s) {
      s = static_cast<StatementScorer *>(MemoryContextAllocZero(mcxt, sizeof(StatementScorer)));
      s->on_reset.func = delete_scorer;
      s->on_reset.arg = s;
      MemoryContextRegisterResetCallback(mcxt, &s->on_reset);
      fcinfo->flinfo->fn_extra = s;
    }
    if (s->bytes) pfree(s->bytes);
    s->bytes = nullptr;
    s->length = 0;
    s->bytes = static_cast<char *>(MemoryContextAllocHuge(mcxt, length + 1));
  });
  std::memcpy(s->bytes, data, length);
  s->length = length;
  s->fixed_at = model_is_fixed(fcinfo) ? data : nullptr;
  if (s->scorer)
    *s->scorer = decoded;
  else
    s->scorer = new std::shared_ptr<const TabularScorer>(decoded);
  return decoded;
}

// Adds x to avg()'s state with avg()'s own transition (its overflow checks
// included); nodeAgg copies the new array into the aggregate's context.
Datum accumulate(FunctionCallInfo fcinfo, double x) {
  Datum state = 0;
  pg_call([&] { state = DirectFunctionCall2(float8_accum, PG_GETARG_DATUM(0), Float8GetDatum(x)); });
  return state;
}

// Scores argument 2 (a jsonb row) with the model bytea of argument 1 and adds
// what value() makes of the prediction; a NULL row is skipped, as avg() does.
template <typename Value>
Datum score_and_accumulate(FunctionCallInfo fcinfo, Requirement require, Value value) {
  if (!AggCheckCallContext(fcinfo, nullptr) || PG_ARGISNULL(0))
    throw Error(ErrorKind::InvalidParameter, "xb's scoring transition functions run only inside their aggregates",
                "Call xb_predict_agg() or xb_recommend_agg().");
  // Held for the whole call, not borrowed from the cache.
  const std::shared_ptr<const TabularScorer> scorer = scorer_of_argument(fcinfo, require);
  if (PG_ARGISNULL(2)) PG_RETURN_DATUM(PG_GETARG_DATUM(0));
  const auto columns = jsonb_columns(PG_GETARG_DATUM(2), scorer->features());
  return accumulate(fcinfo, value(scorer->predict(columns).at(0)));
}

}  // namespace

// xb.predict_agg_transfn(state, model, row): xb_predict's value
XB_FUNCTION(xb_predict_agg_transfn) {
  return score_and_accumulate(
      fcinfo, [](const TabularScorer &scorer) { require_numeric_labels(scorer, kModel, "xb_predict_agg"); },
      [](const TabularPrediction &p) { return p.value; });
}

// xb.recommend_agg_transfn(state, model, row): xb_recommend's probability
XB_FUNCTION(xb_recommend_agg_transfn) {
  return score_and_accumulate(
      fcinfo, [](const TabularScorer &scorer) { require_positive_class(scorer, kModel, "xb_recommend_agg"); },
      [](const TabularPrediction &p) { return p.positive_probability; });
}
