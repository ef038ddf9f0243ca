#include "pg_base/series_agg_state.hpp"

#include <algorithm>
#include <cstring>
#include <numeric>
#include <vector>

#include "core/common/error.hpp"
#include "pg/guard.hpp"

namespace xb::pg {
namespace {

constexpr int64 kFirstCapacity = 64;

// What serialize_state writes before the options and the two arrays.
struct SerialHeader {
  int64 rows;
  int32 horizon;
  int32 options_size;  // -1: no options
};

void grow(SeriesAggState *s, MemoryContext cxt, int64 needed) {
  if (needed <= s->capacity) return;
  int64 capacity = std::max<int64>(kFirstCapacity, s->capacity);
  while (capacity < needed) capacity *= 2;
  const Size bytes = static_cast<Size>(capacity) * sizeof(float8);
  pg_call([&] {
    if (s->time == nullptr) {
      s->time = static_cast<Timestamp *>(MemoryContextAllocHuge(cxt, bytes));
      s->target = static_cast<float8 *>(MemoryContextAllocHuge(cxt, bytes));
    } else {
      s->time = static_cast<Timestamp *>(repalloc_huge(s->time, bytes));
      s->target = static_cast<float8 *>(repalloc_huge(s->target, bytes));
    }
  });
  s->capacity = capacity;
}

void check_size(int64 rows, int64 max_rows) {
  if (rows > max_rows)
    throw Error(ErrorKind::ResourceLimit, "a group has more than " + std::to_string(max_rows) + " rows",
                "Filter the rows, or raise xb.max_train_rows.");
}

}  // namespace

SeriesAggState *new_state(MemoryContext cxt, int32 horizon, const Jsonb *options) {
  SeriesAggState *s = nullptr;
  pg_call([&] {
    s = static_cast<SeriesAggState *>(MemoryContextAllocZero(cxt, sizeof(SeriesAggState)));
    if (options) {
      s->options = static_cast<Jsonb *>(MemoryContextAlloc(cxt, VARSIZE(options)));
      memcpy(s->options, options, VARSIZE(options));
    }
  });
  s->horizon = horizon;
  return s;
}

void append_row(SeriesAggState *s, MemoryContext cxt, Timestamp time, float8 target, int64 max_rows) {
  check_size(s->rows + 1, max_rows);
  grow(s, cxt, s->rows + 1);
  s->time[s->rows] = time;
  s->target[s->rows] = target;
  ++s->rows;
}

void merge_states(SeriesAggState *into, const SeriesAggState *from, MemoryContext cxt, int64 max_rows) {
  require_same_horizon(into->horizon, from->horizon);
  require_same_options(into->options, from->options);
  if (from->rows == 0) return;
  check_size(into->rows + from->rows, max_rows);
  grow(into, cxt, into->rows + from->rows);
  std::memcpy(into->time + into->rows, from->time, static_cast<std::size_t>(from->rows) * sizeof(Timestamp));
  std::memcpy(into->target + into->rows, from->target, static_cast<std::size_t>(from->rows) * sizeof(float8));
  into->rows += from->rows;
}

bool same_options(const Jsonb *a, const Jsonb *b) {
  if (a == nullptr || b == nullptr) return a == b;
  return VARSIZE(a) == VARSIZE(b) && std::memcmp(a, b, VARSIZE(a)) == 0;
}

void require_same_options(const Jsonb *group, const Jsonb *row) {
  if (!same_options(group, row))
    throw Error(ErrorKind::InvalidParameter, "options must be the same in every row of a group",
                "Pass a constant, or one value per GROUP BY group.");
}

void require_same_horizon(int32 group, int32 row) {
  if (group != row)
    throw Error(ErrorKind::InvalidParameter,
                "horizon must be the same in every row of a group, not " + std::to_string(group) + " and " +
                    std::to_string(row),
                "Pass a constant, or one value per GROUP BY group.");
}

bytea *serialize_state(const SeriesAggState *s) {
  const Size options_size = s->options ? VARSIZE(s->options) : 0;
  const Size array_bytes = static_cast<Size>(s->rows) * sizeof(Timestamp);
  const Size total = VARHDRSZ + sizeof(SerialHeader) + options_size + 2 * array_bytes;
  if (!AllocSizeIsValid(total))
    throw Error(ErrorKind::ResourceLimit,
                "a group of " + std::to_string(s->rows) + " rows is too large to aggregate in parallel",
                "SET max_parallel_workers_per_gather = 0 for this query.");
  bytea *out = nullptr;
  pg_call([&] { out = static_cast<bytea *>(palloc(total)); });
  SET_VARSIZE(out, total);
  char *p = VARDATA(out);
  const SerialHeader header{s->rows, s->horizon, s->options ? static_cast<int32>(options_size) : -1};
  std::memcpy(p, &header, sizeof header);
  p += sizeof header;
  if (s->options) std::memcpy(p, s->options, options_size);
  p += options_size;
  if (array_bytes > 0) {
    std::memcpy(p, s->time, array_bytes);
    std::memcpy(p + array_bytes, s->target, array_bytes);
  }
  return out;
}

SeriesAggState *deserialize_state(const bytea *b) {
  const Size size = VARSIZE_ANY_EXHDR(b);
  const char *p = VARDATA_ANY(b);
  SerialHeader header;
  if (size < sizeof header) throw Error(ErrorKind::Internal, "aggregate state is truncated");
  std::memcpy(&header, p, sizeof header);
  p += sizeof header;
  const Size options_size = header.options_size < 0 ? 0 : static_cast<Size>(header.options_size);
  const Size array_bytes = static_cast<Size>(header.rows) * sizeof(Timestamp);
  if (header.rows < 0 || size != sizeof header + options_size + 2 * array_bytes ||
      (header.options_size >= 0 && options_size < VARHDRSZ))
    throw Error(ErrorKind::Internal, "aggregate state has an inconsistent size");

  SeriesAggState *s = nullptr;
  pg_call([&] {
    s = static_cast<SeriesAggState *>(palloc0(sizeof(SeriesAggState)));
    if (header.options_size >= 0) s->options = static_cast<Jsonb *>(palloc(options_size));
  });
  if (s->options) std::memcpy(s->options, p, options_size);
  p += options_size;
  s->horizon = header.horizon;
  if (header.rows > 0) {
    grow(s, CurrentMemoryContext, header.rows);
    std::memcpy(s->time, p, array_bytes);
    std::memcpy(s->target, p + array_bytes, array_bytes);
    s->rows = header.rows;
  }
  return s;
}

std::string jsonb_text(const Jsonb *j) {
  if (!j) return "{}";
  char *text = nullptr;
  pg_call([&] { text = JsonbToCString(nullptr, const_cast<JsonbContainer *>(&j->root), VARSIZE(j)); });
  return text;
}

std::string options_text(const SeriesAggState *s) { return jsonb_text(s->options); }

SeriesRows rows_of(const SeriesAggState *s, const std::string &series_key) {
  const auto n = static_cast<std::size_t>(s->rows);
  std::vector<std::size_t> order(n);
  std::iota(order.begin(), order.end(), 0);
  // Workers hand over their rows in any order: sorting makes the model the same.
  std::stable_sort(order.begin(), order.end(), [s](std::size_t a, std::size_t b) { return s->time[a] < s->time[b]; });
  SeriesRows rows;
  rows.reserve(n);
  for (std::size_t i : order) {
    rows.series_key.push_back(series_key);
    rows.time.push_back(s->time[i]);
    rows.target.push_back(s->target[i]);
  }
  return rows;
}

}  // namespace xb::pg
