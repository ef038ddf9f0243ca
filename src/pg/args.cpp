#include "pg/args.hpp"

#include <algorithm>

#include "core/common/error.hpp"
#include "pg/guard.hpp"

namespace xb::pg {

std::string text_of(Datum d) {
  text *t = nullptr;
  pg_call([&] { t = DatumGetTextPP(d); });
  return std::string(VARDATA_ANY(t), VARSIZE_ANY_EXHDR(t));
}

Datum text_datum(const std::string &s) {
  const char *c = s.data();
  const int n = static_cast<int>(s.size());
  Datum d = 0;
  pg_call([&] { d = PointerGetDatum(cstring_to_text_with_len(c, n)); });
  return d;
}

std::string bytes_arg(FunctionCallInfo fcinfo, int arg, const char *name) {
  if (PG_ARGISNULL(arg)) throw Error(ErrorKind::InvalidParameter, std::string(name) + " must not be NULL");
  return text_of(PG_GETARG_DATUM(arg));  // a bytea is a varlena like text
}

Datum bytea_datum(const std::string &bytes, const char *what) {
  if (bytes.size() > MaxAllocSize - VARHDRSZ)
    throw Error(ErrorKind::ResourceLimit, std::string(what) + " is larger than 1 GB");
  const char *c = bytes.data();
  const std::size_t n = bytes.size();
  Datum d = 0;
  pg_call([&] {
    bytea *b = static_cast<bytea *>(palloc(n + VARHDRSZ));
    SET_VARSIZE(b, n + VARHDRSZ);
    memcpy(VARDATA(b), c, n);
    d = PointerGetDatum(b);
  });
  return d;
}

std::vector<float> float4_array_arg(FunctionCallInfo fcinfo, int arg, const char *name) {
  if (PG_ARGISNULL(arg)) throw Error(ErrorKind::InvalidParameter, std::string(name) + " must not be NULL");
  Datum *items = nullptr;
  bool *nulls = nullptr;
  int count = 0, dims = 0;
  pg_call([&] {
    ArrayType *a = PG_GETARG_ARRAYTYPE_P(arg);
    dims = ARR_NDIM(a);
    if (dims <= 1) deconstruct_array(a, FLOAT4OID, sizeof(float4), true, TYPALIGN_INT, &items, &nulls, &count);
  });
  if (dims > 1) throw Error(ErrorKind::InvalidParameter, std::string(name) + " must be a one-dimensional array");
  if (count > (1 << 24)) throw Error(ErrorKind::InvalidParameter, std::string(name) + " has more than 16M values");
  std::vector<float> out(static_cast<std::size_t>(count));
  for (int i = 0; i < count; ++i) {
    if (nulls[i])
      throw Error(ErrorKind::InvalidParameter,
                  std::string(name) + " must not contain NULL (element " + std::to_string(i + 1) + ")");
    out[static_cast<std::size_t>(i)] = DatumGetFloat4(items[i]);
  }
  return out;
}

Datum float4_array_datum(const std::vector<float> &values) {
  const float *v = values.data();
  const int n = static_cast<int>(values.size());
  Datum d = 0;
  pg_call([&] {
    Datum *items = static_cast<Datum *>(palloc(sizeof(Datum) * std::max(n, 1)));
    for (int i = 0; i < n; ++i) items[i] = Float4GetDatum(v[i]);
    d = PointerGetDatum(construct_array(items, n, FLOAT4OID, sizeof(float4), true, TYPALIGN_INT));
  });
  return d;
}

std::string required_text(FunctionCallInfo fcinfo, int arg, const char *name) {
  if (PG_ARGISNULL(arg)) throw Error(ErrorKind::InvalidParameter, std::string(name) + " must not be NULL");
  return text_of(PG_GETARG_DATUM(arg));
}

std::vector<std::string> optional_text_array(FunctionCallInfo fcinfo, int arg, const char *name) {
  std::vector<std::string> out;
  if (PG_ARGISNULL(arg)) return out;
  Datum *items = nullptr;
  bool *nulls = nullptr;
  int count = 0;
  pg_call([&] {
    ArrayType *a = PG_GETARG_ARRAYTYPE_P(arg);
    if (ARR_NDIM(a) > 1)
      ereport(ERROR, (errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR), errmsg("%s must be a one-dimensional array", name)));
    deconstruct_array(a, TEXTOID, -1, false, TYPALIGN_INT, &items, &nulls, &count);
  });
  for (int i = 0; i < count; ++i) {
    if (nulls[i]) throw Error(ErrorKind::InvalidParameter, std::string(name) + " must not contain NULL");
    out.push_back(text_of(items[i]));
  }
  return out;
}

std::optional<int> optional_int(FunctionCallInfo fcinfo, int arg) {
  if (PG_ARGISNULL(arg)) return std::nullopt;
  return PG_GETARG_INT32(arg);
}

std::string jsonb_text(FunctionCallInfo fcinfo, int arg) {
  if (PG_ARGISNULL(arg)) return "{}";
  char *s = nullptr;
  pg_call([&] {
    Jsonb *j = PG_GETARG_JSONB_P(arg);
    s = JsonbToCString(nullptr, &j->root, VARSIZE(j));
  });
  return s;
}

}  // namespace xb::pg
