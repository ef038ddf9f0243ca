// Scoring with a decoded classifier or regressor (TabularScorer), and rows
// given as JSON objects.
#include "core/tabular/scorer.hpp"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <nlohmann/json.hpp>

#include "core/common/error.hpp"
#include "core/common/limits.hpp"
#include "core/tabular/mlp.hpp"
#include "core/common/runtime.hpp"
#include "core/tabular/encoding.hpp"
#include "core/tabular/labels.hpp"
#include "core/tabular/model.hpp"
#include "core/tabular/trainer.hpp"

namespace xb {

using nlohmann::json;

namespace {

std::string lower_ascii(std::string s) {
  for (char &c : s)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return s;
}

// A whole number within [lo, hi], or the state is invalid: get<int> would
// wrap 2^53 to 0 and read 8.5 as 8.
long whole_in(const json &state, const char *key, long lo, long hi) {
  const json &v = state.at(key);
  const bool ok = v.is_number_integer() &&
                  (v.is_number_unsigned() ? v.get<std::uint64_t>() <= static_cast<std::uint64_t>(hi)
                                          : v.get<std::int64_t>() >= lo && v.get<std::int64_t>() <= hi) &&
                  v.get<std::int64_t>() >= lo;
  if (!ok)
    throw Error(ErrorKind::CorruptModel, std::string("model state is invalid: ") + key + " is out of range",
                "Retrain the model.");
  return static_cast<long>(v.get<std::int64_t>());
}

// Whether a class name is a label of its type: scoring turns labels into
// values (label_value), which must not fail on a class it was given.
bool class_fits_label_type(LabelType type, const std::string &c) {
  if (type == LabelType::Boolean) return c == "true" || c == "false";
  if (type != LabelType::Integer) return true;
  char *end = nullptr;
  errno = 0;
  std::strtoll(c.c_str(), &end, 10);
  return !c.empty() && *end == '\0' && errno == 0;
}

}  // namespace

std::vector<TabularColumn> feature_columns_from_json(std::string_view json_object,
                                                     const std::vector<TabularFeature> &features) {
  json doc = json::parse(json_object.begin(), json_object.end(), nullptr, false);
  if (!doc.is_object())
    throw Error(ErrorKind::DatatypeMismatch, "row must be a JSON object of feature column -> value",
                "For example '{\"style\": \"casual\", \"rating\": 4.6}'.");
  std::vector<TabularColumn> out(features.size());
  for (std::size_t f = 0; f < features.size(); ++f) {
    out[f].name = features[f].name;
    out[f].numeric = features[f].numeric;
    const json *v = nullptr;
    if (doc.contains(features[f].name)) {
      v = &doc.at(features[f].name);
    } else {
      int matches = 0;
      for (const auto &[k, value] : doc.items())
        if (lower_ascii(k) == lower_ascii(features[f].name)) {
          v = &value;
          ++matches;
        }
      if (matches != 1) {
        std::string keys;
        for (const auto &[k, value] : doc.items()) keys += (keys.empty() ? "" : ", ") + k;
        throw Error(
            ErrorKind::UndefinedColumn, "the row has no feature column \"" + features[f].name + "\"",
            "The model needs every feature it was trained on (null for an unknown value); the row has: " + keys + ".");
      }
    }
    if (v->is_object() || v->is_array())
      throw Error(ErrorKind::DatatypeMismatch,
                  "feature \"" + features[f].name + "\" must be a number, string, boolean or null");
    if (features[f].numeric) {
      double x = NAN;
      if (v->is_number())
        x = v->get<double>();
      else if (v->is_boolean())
        x = v->get<bool>() ? 1 : 0;
      else if (v->is_string()) {
        const std::string s = v->get<std::string>();
        char *end = nullptr;
        x = std::strtod(s.c_str(), &end);
        if (s.empty() || *end != '\0')
          throw Error(ErrorKind::DatatypeMismatch,
                      "feature \"" + features[f].name + "\" must be a number, not \"" + s + "\"",
                      "The model was trained on numbers in this column.");
      }
      out[f].numbers.push_back(x);
    } else if (v->is_null()) {
      out[f].texts.push_back(std::nullopt);
    } else {
      out[f].texts.push_back(v->is_string() ? v->get<std::string>() : v->dump());
    }
  }
  return out;
}

struct TabularScorer::Impl {
  ModelKind kind = ModelKind::Classifier;
  Head head = Head::Value;
  LabelType label_type = LabelType::Text;
  std::vector<std::string> classes;
  int positive = -1;
  double threshold = NAN;  // binary: see TabularOptions::threshold; absent in blobs before 0.2.0 (most probable class)
  double target_mean = 0, target_std = 1;
  std::vector<TabularFeature> features;
  std::vector<FeatureImportance> importance;
  TabularEncoder encoder;
  std::vector<Mlp> nets;
};

TabularScorer::TabularScorer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
TabularScorer::~TabularScorer() = default;

std::unique_ptr<TabularScorer> TabularScorer::load(std::string_view bytes, const RuntimeSettings &runtime) {
  ModelBlob blob = decode_blob(bytes);
  if (blob.kind == ModelKind::Forecaster)
    throw Error(ErrorKind::InvalidParameter, "model is a forecaster, not a classifier or regressor",
                "Use xb_forecast() for forecasters.");
  auto impl = std::make_unique<Impl>();
  impl->kind = blob.kind;
  MlpShape shape;
  int members = 0;
  try {
    json state = json::parse(blob.state_json);
    members = static_cast<int>(whole_in(state, "members", 1, limits::kMaxEnsemble));
    impl->head = head_from_name(state.at("head").get<std::string>());
    impl->label_type = label_type_from(state.at("label_type").get<std::string>());
    impl->classes = state.at("classes").get<std::vector<std::string>>();
    impl->positive = static_cast<int>(whole_in(state, "positive", -1, 1000000));
    impl->target_mean = state.at("target_mean").get<double>();
    impl->target_std = state.at("target_std").get<double>();
    if (state.contains("threshold")) impl->threshold = state.at("threshold").get<double>();
    for (const auto &f : state.at("features"))
      impl->features.push_back({f.at("name").get<std::string>(), f.at("numeric").get<bool>()});
    // JSON has no NaN: an importance that was undefined (a constant target
    // has no r2 to lose) was written as null and reads back as NaN.
    const auto number_or_nan = [](const json &v) { return v.is_null() ? std::nan("") : v.get<double>(); };
    for (const auto &f : state.at("importance"))
      impl->importance.push_back({f.at("feature").get<std::string>(), number_or_nan(f.at("importance")),
                                  number_or_nan(f.at("std")), f.at("metric").get<std::string>()});
    impl->encoder = TabularEncoder::from_json(state.at("encoder"));
    shape = MlpShape::from_json(state.at("shape"));
  } catch (const json::exception &e) {
    throw Error(ErrorKind::CorruptModel, std::string("model state is invalid: ") + e.what(), "Retrain the model.");
  }
  const bool classifier = blob.kind == ModelKind::Classifier;
  // The head, its outputs and the classes must agree, and every index be in
  // range: scoring reads outputs x classes values per row.
  const long classes = static_cast<long>(impl->classes.size());
  long outputs = 1;
  switch (impl->head) {
    case Head::Sigmoid: outputs = classes == 2 ? 1 : -1; break;
    case Head::Sigmoid2: outputs = classes == 2 ? 2 : -1; break;
    case Head::Softmax: outputs = classes; break;
    case Head::Value: outputs = classes == 0 ? 1 : -1; break;
  }
  bool ok = impl->features.size() == impl->encoder.columns().size() && shape.dense_dim == impl->encoder.dense_dim() &&
            shape.cardinalities == impl->encoder.cardinalities() && shape.outputs == outputs && impl->positive >= -1 &&
            impl->positive < classes && std::isfinite(impl->target_mean) && std::isfinite(impl->target_std) &&
            impl->target_std > 0 &&
            (std::isnan(impl->threshold) ||
             (classes == 2 && impl->positive >= 0 && impl->threshold > 0 && impl->threshold < 1)) &&
            (classifier ? classes >= 2 && impl->head != Head::Value : impl->head == Head::Value);
  for (const std::string &c : impl->classes) ok = ok && class_fits_label_type(impl->label_type, c);
  if (!ok) throw Error(ErrorKind::CorruptModel, "model state is inconsistent", "Retrain the model.");
  prepare_runtime(runtime);  // thread settings; scoring itself runs on the CPU
  impl->nets = load_mlps(shape, blob.weights, members);
  return std::unique_ptr<TabularScorer>(new TabularScorer(std::move(impl)));
}

ModelKind TabularScorer::kind() const { return impl_->kind; }
LabelType TabularScorer::label_type() const { return impl_->label_type; }
bool TabularScorer::has_positive_class() const { return impl_->positive >= 0; }
const std::vector<TabularFeature> &TabularScorer::features() const { return impl_->features; }
const std::vector<FeatureImportance> &TabularScorer::importance() const { return impl_->importance; }

std::vector<TabularPrediction> TabularScorer::predict(const std::vector<TabularColumn> &columns) const {
  const Impl &m = *impl_;
  if (columns.size() != m.features.size())
    throw Error(ErrorKind::Internal, "scorer expects " + std::to_string(m.features.size()) + " columns");
  EncodedRows x = m.encoder.encode_all(columns);
  std::vector<TabularPrediction> out(static_cast<std::size_t>(x.rows));
  if (x.rows == 0) return out;
  TabularTensors t;
  t.dense = torch::from_blob(x.dense.data(), {x.rows, x.dense_dim}, torch::kFloat);
  t.codes = torch::from_blob(x.codes.data(), {x.rows, x.code_dim}, torch::kLong);
  auto result = predict_members(const_cast<std::vector<Mlp> &>(m.nets), t, m.head, torch::kCPU).contiguous();
  const double *r = result.data_ptr<double>();
  // Values near float's range in a row, or in the model's scalers or
  // weights, can overflow to inf or NaN: refused rather than scored.
  for (long i = 0; i < result.numel(); ++i)
    if (!std::isfinite(r[i]))
      throw Error(
          ErrorKind::DataException,
          "the prediction for row " + std::to_string(i / (result.numel() / x.rows) + 1) + " is not a finite number",
          "The row holds values too large to compute with, or the model does; check the row, or retrain "
          "the model.");
  if (m.kind == ModelKind::Regressor) {
    for (long i = 0; i < x.rows; ++i) {
      out[i].value = r[i] * m.target_std + m.target_mean;
      if (!std::isfinite(out[i].value))
        throw Error(ErrorKind::DataException,
                    "the prediction for row " + std::to_string(i + 1) + " is not a finite number",
                    "The model's target scale is too large to compute with; retrain the model.");
    }
    return out;
  }
  const long k = static_cast<long>(m.classes.size());
  for (long i = 0; i < x.rows; ++i) {
    const double *row = r + i * k;
    long best = std::max_element(row, row + k) - row;
    if (k == 2 && std::isfinite(m.threshold)) best = row[m.positive] >= m.threshold ? m.positive : 1 - m.positive;
    out[i].label = m.classes[best];
    out[i].label_probability = row[best];
    if (m.positive >= 0) out[i].positive_probability = row[m.positive];
    out[i].value = label_value(m.label_type, out[i].label);
  }
  return out;
}

void require_positive_class(const TabularScorer &scorer, const std::string &model, const std::string &function) {
  if (scorer.kind() != ModelKind::Classifier)
    throw Error(ErrorKind::InvalidParameter, model + " is a regressor; " + function + " needs a classifier",
                "Use xb_predict() or xb_predict_agg() for a regressor's value.");
  if (!scorer.has_positive_class())
    throw Error(ErrorKind::InvalidParameter, model + " has more than two classes and no positive class",
                "Train it with options {\"positive_class\": \"...\"}, or use xb_predict_label() or xb_score().");
}

void require_numeric_labels(const TabularScorer &scorer, const std::string &model, const std::string &function) {
  if (scorer.kind() == ModelKind::Classifier && scorer.label_type() == LabelType::Text)
    throw Error(ErrorKind::DatatypeMismatch,
                model + " predicts text labels, not numbers; " + function + " returns numbers",
                "Use xb_predict_label() or xb_score() for the label as text.");
}

}  // namespace xb
