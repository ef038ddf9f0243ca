// Turning messy product attributes into network inputs, learned on the
// training part only and stored in the model (torch-free):
//   text: trimmed, lower-cased; NULL, '' and 'null' -> the "(missing)" bucket;
//         categories seen fewer than min_count times -> "(other)"; a category
//         never seen in training -> "unknown", encoded as a neutral input
//         (no one-hot bit set, the label code's mean, a zero embedding);
//   numbers: standardised with the training mean and deviation, missing
//         values imputed with the mean plus a 0/1 missing indicator (only for
//         columns that had missing values in training).
// Encodings: onehot (default), label (code, then standardised, as in the
// paper), embedding (a code per text column for a learned embedding).
#pragma once
#include <cstdint>
#include <map>
#include <nlohmann/json_fwd.hpp>
#include <set>
#include <string>
#include <vector>

#include "core/tabular/data.hpp"

namespace xb {

inline constexpr const char *kMissingBucket = "(missing)";
inline constexpr const char *kOtherBucket = "(other)";

// 'Sexy ' -> 'sexy'; NULL, '' and 'null' -> "(missing)".
std::string normalize_category(const std::optional<std::string> &raw);

enum class Encoding { OneHot, Label, Embedding };
Encoding encoding_from_name(const std::string &name);
const char *encoding_name(Encoding e);

struct CategoryCodes {
  std::vector<std::string> categories;  // sorted; includes "(missing)" and "(other)"
  std::set<std::string> rare;           // seen in training fewer than min_count times
  double code_mean = 0, code_std = 1;   // label encoding: standardisation of the codes

  // Index into categories, or -1 for a category never seen in training.
  int code_of(const std::string &normalized) const;
};

struct NumberScaler {
  double mean = 0, std = 1;
  bool indicator = false;  // a missing-value indicator input follows the value
};

struct ColumnEncoder {
  std::string name;
  bool numeric = false;
  NumberScaler scaler;    // numeric
  CategoryCodes codes;    // text
  int embedding_dim = 0;  // embedding encoding, text columns
};

// Network inputs for N rows: dense values [N, dense_dim] row-major, and for
// the embedding encoding one code per text column [N, code_dim] (the code
// equal to that column's category count means unknown: a zero vector).
struct EncodedRows {
  long rows = 0;
  long dense_dim = 0;
  long code_dim = 0;
  std::vector<float> dense;
  std::vector<std::int64_t> codes;
};

class TabularEncoder {
 public:
  TabularEncoder() = default;
  // Learns from the given rows of the columns (the training part).
  TabularEncoder(const std::vector<TabularColumn> &columns, const std::vector<long> &rows, Encoding encoding,
                 int min_count, int embedding_dim);

  EncodedRows encode(const std::vector<TabularColumn> &columns, const std::vector<long> &rows) const;
  EncodedRows encode_all(const std::vector<TabularColumn> &columns) const;

  Encoding encoding() const { return encoding_; }
  const std::vector<ColumnEncoder> &columns() const { return columns_; }
  long dense_dim() const;
  std::vector<long> cardinalities() const;  // embedding: per text column, categories + 1 (unknown)
  std::vector<long> embedding_dims() const;
  // "style=casual", "rating", "rating:missing", "style#code": one name per
  // network input, so two encoders feed the same inputs iff these are equal.
  std::vector<std::string> input_names() const;

  nlohmann::json to_json() const;
  static TabularEncoder from_json(const nlohmann::json &j);  // throws Error(CorruptModel)

 private:
  Encoding encoding_ = Encoding::OneHot;
  std::vector<ColumnEncoder> columns_;
};

}  // namespace xb
