// The rows a classifier or regressor learns from, as the boundary reads them:
// one column per feature, each either numeric (NaN = missing) or text
// (nullopt = missing), and the label or target. Torch-free.
#pragma once
#include <algorithm>
#include <cstddef>
#include <optional>
#include <string>
#include <vector>

namespace xb {

struct TabularColumn {
  std::string name;
  bool numeric = false;
  std::vector<double> numbers;                    // numeric: one per row, NaN when missing
  std::vector<std::optional<std::string>> texts;  // text or image: one per row, nullopt when NULL
  bool image = false;                             // texts hold PNG or JPEG bytes

  std::size_t size() const { return numeric ? numbers.size() : texts.size(); }
};

// What type the label had in SQL; decides how classes sort and print.
enum class LabelType { Boolean, Integer, Text };

struct TabularRows {
  std::vector<TabularColumn> features;
  std::string label_name;
  LabelType label_type = LabelType::Text;
  std::vector<std::string> labels;  // classifier: 'true'/'false', decimal integers, or text
  std::vector<double> targets;      // regressor

  std::size_t rows() const { return features.empty() ? std::max(labels.size(), targets.size()) : features[0].size(); }
};

// One row to score: a value per feature of the model, in the model's order.
struct FeatureValue {
  bool missing = true;
  bool is_number = false;
  double number = 0;
  std::string text;
};
using FeatureRow = std::vector<FeatureValue>;

}  // namespace xb
