// Errors the core reports. The PostgreSQL boundary maps each kind to a SQLSTATE.
#pragma once
#include <stdexcept>
#include <string>

namespace xb {

enum class ErrorKind {
  InvalidParameter,  // bad option, argument or value supplied by the caller
  UndefinedColumn,   // a named column does not exist in the source
  UndefinedObject,   // a named model does not exist
  DatatypeMismatch,  // a column has a type the operation cannot use
  DataException,     // the data itself is unusable (NaN target, duplicates, ...)
  InsufficientData,  // not enough rows for the requested windows
  CorruptModel,      // a model blob failed its checks
  ResourceLimit,     // refused up front: the request would not fit
  Interrupted,       // the backend asked us to stop (cancel, timeout)
  Internal,          // a bug or an unexpected library failure
};

class Error : public std::runtime_error {
 public:
  Error(ErrorKind kind, const std::string &message, std::string hint = {})
      : std::runtime_error(message), kind_(kind), hint_(std::move(hint)) {}
  ErrorKind kind() const { return kind_; }
  const std::string &hint() const { return hint_; }

 private:
  ErrorKind kind_;
  std::string hint_;
};

}  // namespace xb
