// Errors the core reports. The PostgreSQL boundary maps each kind to a SQLSTATE.
#pragma once
#include <algorithm>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

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
  OutOfMemory,       // an allocation failed on the way (a GPU's memory ran out)
  ObjectInUse,       // the object is in use (dropping the deployed version)
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

// A LibTorch exception that means something to the user, as the xb::Error
// it means: running out of memory on a GPU (or the host) is OutOfMemory,
// after the GPU's cached blocks are given back, so the backend's next call
// starts clean. Anything else: none. (runtime.cpp; declared here so that the
// boundary, which includes no LibTorch, can register it with its guard.)
std::optional<Error> library_error(const std::exception &e);

// Where a library's message turns into a C++ backtrace, or npos. LibTorch
// appends one to what() ("Exception raised from ...", "frame #0: ...
// (0x7f.. in libc10.so)"): its library paths and addresses defeat ASLR, so
// clients get the text before it and the server log gets all of it.
inline std::size_t backtrace_start(std::string_view message) {
  std::size_t cut = std::string_view::npos;
  for (std::string_view marker : {"Exception raised from ", "frame #0:", "\nframe #"})
    cut = std::min(cut, message.find(marker));
  return cut;
}

}  // namespace xb
