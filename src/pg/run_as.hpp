// Running SQL as another role, the way REFRESH MATERIALIZED VIEW runs a
// view's query as its owner: the current user, the security context and
// search_path are switched for the call and restored afterwards, on success
// and on every error (a C++ exception, or a PostgreSQL ERROR turned into one
// by pg_call). A transaction or subtransaction abort would restore them too.
//
// Two uses, both in this boundary only:
// - a version's stored source runs as the role that wrote it, inside a
//   security-restricted operation, with the search_path it was trained
//   under (as_source_author);
// - the catalog's fixed write statements run as the owner of xb's tables,
//   after the caller's right was checked as the caller (as_catalog_owner).
#pragma once
#include <string>
#include <utility>

#include "pg/guard.hpp"

namespace xb::pg {

// Who a version's stored source runs as. Kept by role name, as owners and
// grants are, so a restored dump keeps it.
struct SourceAuthor {
  std::string role;         // the role that wrote the source text
  std::string search_path;  // the search_path it was trained under
};

// The current role and search_path: the author of a source given now.
SourceAuthor current_author();
// The current role's name (for the catalog's owner and granted_by columns).
std::string current_role_name();

struct SavedIdentity {
  Oid user = InvalidOid;
  int sec_context = 0;
  int guc_level = 0;
  Oid previous_foreign_caller = InvalidOid;
};

// Switches to user with sec_flags added and search_path set; throws (with
// nothing switched) when the path cannot be set.
SavedIdentity switch_identity(Oid user, int sec_flags, const std::string &search_path, Oid foreign_caller);
void restore_identity(const SavedIdentity &saved);

// The role a stored source runs as: 42501 with a hint when it was dropped
// (never the caller instead).
Oid author_oid(const std::string &model_name, const SourceAuthor &author);
// The owner of xb's tables (the extension's owner).
Oid catalog_owner();

template <typename F>
void run_switched(Oid user, int sec_flags, const std::string &search_path, Oid foreign_caller, F &&body) {
  const SavedIdentity saved = switch_identity(user, sec_flags, search_path, foreign_caller);
  try {
    body();
  } catch (...) {
    restore_identity(saved);
    throw;
  }
  restore_identity(saved);
}

// Runs body (which reads the source) as its author, in a security-restricted
// operation, with the stored search_path and pg_temp searched last. When the
// author is not the caller, temporary relations (the caller's) are refused,
// so a caller cannot shadow a name the source reads with its own temp view.
template <typename F>
void as_source_author(const std::string &model_name, const SourceAuthor &author, F &&body) {
  const Oid role = author_oid(model_name, author);
  std::string path = author.search_path;
  if (path.find("pg_temp") == std::string::npos) path += path.empty() ? "pg_temp" : ", pg_temp";
  Oid caller = InvalidOid;
  pg_call([&] { caller = GetUserId(); });
  run_switched(role, SECURITY_RESTRICTED_OPERATION, path, role == caller ? InvalidOid : caller, std::forward<F>(body));
}

// Runs body (fixed catalog statements only) as the owner of xb's tables,
// with search_path pinned to pg_catalog so no object of the caller's is found.
template <typename F>
void as_catalog_owner(F &&body) {
  run_switched(catalog_owner(), SECURITY_LOCAL_USERID_CHANGE, "pg_catalog, pg_temp", InvalidOid, std::forward<F>(body));
}

// Installs the executor check that refuses temporary relations to a stored
// source run for another role (from _PG_init).
void install_source_checks();

}  // namespace xb::pg
