// Reading SQL arguments into C++ values (detoasting happens inside pg_call).
#pragma once
#include <optional>
#include <string>
#include <vector>

#include "pg/postgres.hpp"

namespace xb::pg {

// Throws Error(InvalidParameter) naming the argument when it is NULL.
std::string required_text(FunctionCallInfo fcinfo, int arg, const char *name);
std::vector<std::string> optional_text_array(FunctionCallInfo fcinfo, int arg, const char *name);
std::optional<int> optional_int(FunctionCallInfo fcinfo, int arg);
std::string jsonb_text(FunctionCallInfo fcinfo, int arg);  // NULL -> "{}"
std::string text_of(Datum d);
// A text Datum of s, palloc'd in the current memory context.
Datum text_datum(const std::string &s);
// A bytea argument's bytes (detoasted), and a bytea Datum of bytes; what
// names the value in the error for one over 1 GB.
std::string bytes_arg(FunctionCallInfo fcinfo, int arg, const char *name);
Datum bytea_datum(const std::string &bytes, const char *what = "the value");
// A real[] argument's values: one-dimensional, no NULLs, at most 16M.
std::vector<float> float4_array_arg(FunctionCallInfo fcinfo, int arg, const char *name);
// A real[] Datum of values.
Datum float4_array_datum(const std::vector<float> &values);

}  // namespace xb::pg
