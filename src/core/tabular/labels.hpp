// Label types as stored in a model's state. Core-internal, torch-free.
#pragma once
#include <cmath>
#include <string>

#include "core/common/error.hpp"
#include "core/tabular/data.hpp"

namespace xb {

inline const char *label_type_name(LabelType t) {
  switch (t) {
    case LabelType::Boolean: return "boolean";
    case LabelType::Integer: return "integer";
    case LabelType::Text: return "text";
  }
  return "text";
}

inline LabelType label_type_from(const std::string &s) {
  if (s == "boolean") return LabelType::Boolean;
  if (s == "integer") return LabelType::Integer;
  if (s == "text") return LabelType::Text;
  throw Error(ErrorKind::CorruptModel, "model state is invalid: label type \"" + s + "\"", "Retrain the model.");
}

// The label as a number, when it is one (boolean: 0/1).
inline double label_value(LabelType t, const std::string &label) {
  if (t == LabelType::Boolean) return label == "true" ? 1.0 : 0.0;
  if (t == LabelType::Integer) return std::stod(label);
  return NAN;
}

}  // namespace xb
