// What a scoring function keeps for the rest of its statement, and the
// deployed model it scores with: shared by the functions that take a model's
// name (xb_recommend, xb_predict, xb_score, xb_embed, ...).
#pragma once
#include <string>

#include "pg/catalog.hpp"
#include "pg/model_cache.hpp"
#include "pg/postgres.hpp"
#include "pg/tabular_reader.hpp"

namespace xb::pg {

// What a scoring function remembers for the rest of its statement, in
// fn_mcxt: plain data only (the decoded model lives in the model cache).
// The lookup is the privilege check, so it is remembered for one model and
// one current user: a plpgsql expression keeps its fn_extra for the whole
// transaction, across SECURITY DEFINER calls and SET ROLE.
struct StatementState {
  char *name;
  Oid user;
  long id;
  int version;
  char *stamp;
  RowLayout *layout;
};

// The deployed version of the model named by argument 0, looked up once per
// statement (fn_extra) and current user; a forecaster is refused.
ModelVersion deployed_for_call(FunctionCallInfo fcinfo, const std::string &name);

// Its decoded scorer, from the backend's cache (shared ownership: hold it
// for as long as it is used, across anything that may run SQL).
SharedScorer scorer_for_call(FunctionCallInfo fcinfo, const std::string &name, ModelVersion &m);

}  // namespace xb::pg
