// The two guards at the C++ / PostgreSQL border (see pg_duckdb's).
//
// C++ -> PostgreSQL: every SQL-callable function is declared with
// XB_FUNCTION. Its body runs inside try; any exception is copied into plain
// storage, the C++ frames unwind, and only then is ereport raised. A body
// never lets ereport longjmp over its own C++ objects: it calls PostgreSQL
// through pg_call.
//
// PostgreSQL -> C++: pg_call(f) runs f inside PG_TRY; an ERROR is copied,
// the error state flushed, and PgError thrown so destructors run. f itself
// must hold no C++ objects with destructors and must not throw.
#pragma once
#include <exception>
#include <optional>
#include <string>
#include <type_traits>

#include "core/common/error.hpp"
#include "pg/postgres.hpp"

namespace xb::pg {

// A PostgreSQL ERROR caught in pg_call, re-raised unchanged at the border.
class PgError : public std::exception {
 public:
  explicit PgError(ErrorData *data) : data_(data) {}
  const char *what() const noexcept override { return data_->message ? data_->message : "PostgreSQL error"; }
  ErrorData *data() const { return data_; }

 private:
  ErrorData *data_;
};

ErrorData *copy_and_flush_error(MemoryContext restore);

template <typename F>
void pg_call(F &&f) {
  static_assert(std::is_void_v<decltype(f())>, "pg_call bodies return through captured variables");
  MemoryContext cxt = CurrentMemoryContext;
  ErrorData *volatile caught = nullptr;
  PG_TRY();
  { f(); }
  PG_CATCH();
  { caught = copy_and_flush_error(cxt); }
  PG_END_TRY();
  if (caught) throw PgError(caught);
}

// Raises a PostgreSQL error with its own SQLSTATE (one that xb::ErrorKind
// has no name for, 42501 say) as a PgError, so C++ frames unwind first.
[[noreturn]] void raise_sql_error(int sqlstate, const std::string &message, const std::string &hint);

// Runs body(fcinfo); exceptions become ereport(ERROR) after unwinding.
Datum run_guarded(Datum (*body)(FunctionCallInfo), FunctionCallInfo fcinfo);

// An exception of a library the boundary does not include (LibTorch's) as
// the xb::Error it means, or none: xb.so registers the core's at load
// (xb_base.so, without LibTorch, has none). Unregistered or none: an
// internal error, as any other std::exception.
using LibraryErrorTranslator = std::optional<xb::Error> (*)(const std::exception &e);
void set_library_error_translator(LibraryErrorTranslator translator);

}  // namespace xb::pg

#define XB_FUNCTION(name)                                                                       \
  static Datum name##_body(FunctionCallInfo fcinfo);                                            \
  extern "C" {                                                                                  \
  PG_FUNCTION_INFO_V1(name);                                                                    \
  PGDLLEXPORT Datum name(PG_FUNCTION_ARGS) { return xb::pg::run_guarded(name##_body, fcinfo); } \
  }                                                                                             \
  static Datum name##_body(FunctionCallInfo fcinfo)
