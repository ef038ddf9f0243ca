#include "pg/guard.hpp"

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <new>
#include <stdexcept>
#include <string>

#include "core/common/error.hpp"

namespace xb::pg {
namespace {

// What a caught exception leaves behind: plain storage only, so nothing is
// skipped when ereport longjmps out of run_guarded.
struct PendingError {
  ErrorData *pg = nullptr;  // set: re-raise this PostgreSQL error as it was
  bool interrupted = false;
  int sqlstate = ERRCODE_INTERNAL_ERROR;
  char message[2048] = "";
  char hint[1024] = "";
  char server_log[8192] = "";  // the full text, when the message was cut for the client
};

int sqlstate_of(xb::ErrorKind kind) {
  switch (kind) {
    case xb::ErrorKind::InvalidParameter: return ERRCODE_INVALID_PARAMETER_VALUE;
    case xb::ErrorKind::UndefinedColumn: return ERRCODE_UNDEFINED_COLUMN;
    case xb::ErrorKind::UndefinedObject: return ERRCODE_UNDEFINED_OBJECT;
    case xb::ErrorKind::DatatypeMismatch: return ERRCODE_DATATYPE_MISMATCH;
    case xb::ErrorKind::DataException: return ERRCODE_DATA_EXCEPTION;
    case xb::ErrorKind::InsufficientData: return ERRCODE_DATA_EXCEPTION;
    case xb::ErrorKind::CorruptModel: return ERRCODE_DATA_CORRUPTED;
    case xb::ErrorKind::ResourceLimit: return ERRCODE_PROGRAM_LIMIT_EXCEEDED;
    case xb::ErrorKind::OutOfMemory: return ERRCODE_OUT_OF_MEMORY;
    case xb::ErrorKind::Interrupted: return ERRCODE_QUERY_CANCELED;
    case xb::ErrorKind::ObjectInUse: return ERRCODE_OBJECT_IN_USE;
    case xb::ErrorKind::Internal: return ERRCODE_INTERNAL_ERROR;
  }
  return ERRCODE_INTERNAL_ERROR;
}

void copy_text(char *dst, std::size_t size, const char *src) { snprintf(dst, size, "%s", src ? src : ""); }

// The client gets a library message without its backtrace
// (xb::backtrace_start); the server log gets all of it.
void set_message(PendingError &e, const char *prefix, const char *text) try {
  std::string full = std::string(prefix) + (text ? text : "");
  const std::size_t cut = backtrace_start(full);
  if (cut != std::string::npos) {
    copy_text(e.server_log, sizeof e.server_log, full.c_str());
    full.erase(cut);
    full.erase(full.find_last_not_of(" \t\r\n:(") + 1);
    if (full.size() == std::strlen(prefix)) full += "LibTorch error (details in the server log)";
  }
  copy_text(e.message, sizeof e.message, full.c_str());
} catch (...) {
  copy_text(e.message, sizeof e.message, "xb internal error (details lost: out of memory)");
}

[[noreturn]] void raise(const PendingError &e) {
  if (e.pg) ReThrowError(e.pg);
  // A cancel or timeout stopped the core: let PostgreSQL raise its own error.
  if (e.interrupted) CHECK_FOR_INTERRUPTS();
  ereport(ERROR, (errcode(e.sqlstate), errmsg("%s", e.message), e.hint[0] ? errhint("%s", e.hint) : 0,
                  e.server_log[0] ? errdetail_log("%s", e.server_log) : 0));
  pg_unreachable();
}

void take(PendingError &pending, const xb::Error &e) {
  pending.sqlstate = sqlstate_of(e.kind());
  pending.interrupted = e.kind() == xb::ErrorKind::Interrupted;
  set_message(pending, "", e.what());
  copy_text(pending.hint, sizeof pending.hint, e.hint().c_str());
}

LibraryErrorTranslator library_errors = nullptr;

void translate(PendingError &pending, const std::exception &e) try {
  if (const auto meant = library_errors ? library_errors(e) : std::nullopt)
    take(pending, *meant);
  else
    set_message(pending, "xb internal error: ", e.what());
} catch (...) {  // no memory left to translate with
  set_message(pending, "xb internal error: ", e.what());
}

}  // namespace

ErrorData *copy_and_flush_error(MemoryContext restore) {
  MemoryContextSwitchTo(restore);
  ErrorData *data = CopyErrorData();
  FlushErrorState();
  return data;
}

void raise_sql_error(int sqlstate, const std::string &message, const std::string &hint) {
  const char *m = message.c_str();
  const char *h = hint.c_str();
  pg_call([&] { ereport(ERROR, (errcode(sqlstate), errmsg("%s", m), h[0] ? errhint("%s", h) : 0)); });
  throw std::logic_error("raise_sql_error: ereport returned");
}

void set_library_error_translator(LibraryErrorTranslator translator) { library_errors = translator; }

Datum run_guarded(Datum (*body)(FunctionCallInfo), FunctionCallInfo fcinfo) {
  PendingError pending;
  try {
    return body(fcinfo);
  } catch (const PgError &e) {
    pending.pg = e.data();
  } catch (const xb::Error &e) {
    take(pending, e);
  } catch (const std::bad_alloc &) {
    pending.sqlstate = ERRCODE_OUT_OF_MEMORY;
    copy_text(pending.message, sizeof pending.message, "out of memory in xb");
  } catch (const std::exception &e) {
    translate(pending, e);
  } catch (...) {
    copy_text(pending.message, sizeof pending.message, "xb internal error: unknown exception");
  }
  raise(pending);
}

}  // namespace xb::pg
