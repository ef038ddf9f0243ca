#include "pg/run_as.hpp"

extern "C" {
#include "access/htup_details.h"
#include "catalog/pg_class.h"
#include "executor/executor.h"
#include "parser/parsetree.h"
#include "utils/acl.h"
#include "utils/syscache.h"
}

namespace xb::pg {
namespace {

// Set while a stored source runs for a role other than its author: that role
// (whose temporary relations the source must not read).
Oid foreign_caller = InvalidOid;
ExecutorCheckPerms_hook_type previous_check_perms = nullptr;

// Plain C: called by the executor, may ereport.
bool refuse_temp_relations(List *range_table, bool ereport_on_violation) {
  if (OidIsValid(foreign_caller)) {
    ListCell *lc;
    foreach (lc, range_table) {
      RangeTblEntry *rte = static_cast<RangeTblEntry *>(lfirst(lc));
      if (rte->rtekind != RTE_RELATION || !isAnyTempNamespace(get_rel_namespace(rte->relid))) continue;
      if (!ereport_on_violation) return false;
      ereport(ERROR, (errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
                      errmsg("a model's stored source may not read temporary relation \"%s\" for another role",
                             get_rel_name(rte->relid)),
                      errhint("The source runs as the role that trained it; only that role, in its own session, "
                              "may have it read temporary tables.")));
    }
  }
  return previous_check_perms ? previous_check_perms(range_table, ereport_on_violation) : true;
}

}  // namespace

void install_source_checks() {
  if (ExecutorCheckPerms_hook == refuse_temp_relations) return;  // chaining to itself would recurse
  previous_check_perms = ExecutorCheckPerms_hook;
  ExecutorCheckPerms_hook = refuse_temp_relations;
}

std::string current_role_name() {
  char *name = nullptr;
  pg_call([&] { name = GetUserNameFromId(GetUserId(), false); });
  return name;
}

SourceAuthor current_author() {
  SourceAuthor a;
  a.role = current_role_name();
  const char *path = nullptr;
  pg_call([&] { path = GetConfigOption("search_path", false, false); });
  a.search_path = path ? path : "";
  return a;
}

SavedIdentity switch_identity(Oid user, int sec_flags, const std::string &search_path, Oid caller) {
  SavedIdentity saved;
  pg_call([&] {
    GetUserIdAndSecContext(&saved.user, &saved.sec_context);
    saved.guc_level = NewGUCNestLevel();
    saved.previous_foreign_caller = foreign_caller;
    SetUserIdAndSecContext(user, saved.sec_context | sec_flags);
    // A nested run keeps an outer run's restriction.
    if (OidIsValid(caller)) foreign_caller = caller;
  });
  const char *path = search_path.c_str();
  try {
    pg_call([&] {
      (void)set_config_option("search_path", path, PGC_USERSET, PGC_S_SESSION, GUC_ACTION_SAVE, true, 0, false);
    });
  } catch (...) {
    restore_identity(saved);
    throw;
  }
  return saved;
}

void restore_identity(const SavedIdentity &saved) {
  foreign_caller = saved.previous_foreign_caller;
  SetUserIdAndSecContext(saved.user, saved.sec_context);
  const int level = saved.guc_level;
  pg_call([&] { AtEOXact_GUC(false, level); });
}

Oid author_oid(const std::string &model_name, const SourceAuthor &author) {
  const char *role = author.role.c_str();
  const char *model = model_name.c_str();
  Oid oid = InvalidOid;
  pg_call([&] {
    oid = get_role_oid(role, true);
    if (!OidIsValid(oid))
      ereport(ERROR,
              (errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
               errmsg("the source of model \"%s\" was written by role \"%s\", which no longer exists", model, role),
               errdetail("A stored source runs only as the role that wrote it."),
               errhint("Train the model again from its source (xb_train_...) as a role that exists.")));
  });
  return oid;
}

Oid catalog_owner() {
  Oid owner = InvalidOid;
  pg_call([&] {
    const Oid relid = get_relname_relid("models", get_namespace_oid("xb", false));
    HeapTuple tuple = SearchSysCache1(RELOID, ObjectIdGetDatum(relid));
    if (!HeapTupleIsValid(tuple)) elog(ERROR, "xb.models is missing");
    owner = reinterpret_cast<Form_pg_class>(GETSTRUCT(tuple))->relowner;
    ReleaseSysCache(tuple);
  });
  return owner;
}

}  // namespace xb::pg
