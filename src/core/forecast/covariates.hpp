// Covariates beyond plain numbers: categorical (text) columns encoded one-hot,
// and what-if overrides of future covariate values.
#pragma once
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "core/forecast/series_data.hpp"

namespace xb {

// One text column as one-hot columns. The categories are the most frequent
// values of the training rows (NULL/empty is a category of its own); rarer
// values and values never seen in training all go to a final "unknown" column.
struct CategoryEncoder {
  std::string name;
  std::vector<std::string> categories;

  int width() const { return static_cast<int>(categories.size()) + 1; }
  int column_of(const std::string &value) const;  // index in [0, width)
};

struct TextEncoding {
  std::vector<CategoryEncoder> encoders;

  int width() const;
  std::vector<std::string> column_names() const;  // "promo=bogo", ..., "promo=<unknown>"
  nlohmann::json to_json() const;
  static TextEncoding from_json(const nlohmann::json &j);
};

constexpr int kMaxCategories = 32;

TextEncoding fit_text_encoding(const SeriesRows &rows);

// The same rows with every text column replaced by its one-hot columns,
// appended after the numeric features.
SeriesRows encode_text_columns(const SeriesRows &rows, const TextEncoding &encoding);

// What-if changes to future covariates: {"price": {"mul": 0.9}, "promo": {"set": 1},
// "channel": {"set": "web"}}; a bare number means set. Numeric columns take
// set, add or mul; text columns take set with a category.
struct Override {
  enum class Op { Set, Add, Mul } op = Op::Set;
  double value = 0;
  std::string category;  // text columns
  bool text = false;
};

struct Overrides {
  std::map<std::string, Override> by_feature;
  bool empty() const { return by_feature.empty(); }
};

// Throws Error(InvalidParameter) naming the bad feature or operation.
Overrides parse_overrides(const std::string &json_text, const std::vector<std::string> &numeric_features,
                          const TextEncoding &encoding);

// Applies the overrides to one future step's encoded feature row (numeric
// features first, then the one-hot columns in encoding order).
void apply_overrides(const Overrides &ov, const std::vector<std::string> &numeric_features,
                     const TextEncoding &encoding, double *row);

}  // namespace xb
