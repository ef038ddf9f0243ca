// Scoring with a decoded classifier or regressor (TabularScorer), and rows
// given as JSON objects.
#include "core/tabular/scorer.hpp"

#include <algorithm>
#include <chrono>
#include <numeric>
#include <random>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <nlohmann/json.hpp>

#include "core/common/error.hpp"
#include "core/common/limits.hpp"
#include "core/tabular/mlp.hpp"
#include "core/tabular/plain_mlp.hpp"
#include "core/common/runtime.hpp"
#include "core/tabular/encoding.hpp"
#include "core/tabular/labels.hpp"
#include "core/tabular/metrics.hpp"
#include "core/tabular/model.hpp"
#include "core/tabular/trainer.hpp"
#include "core/image/codec.hpp"
#include "core/image/encoder.hpp"

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

// A bytea as PostgreSQL writes it in JSON: "\\x" then two hex digits a byte.
std::string bytes_from_hex(const std::string &s, const std::string &feature) {
  auto digit = [](char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  bool ok = s.size() >= 2 && s[0] == '\\' && s[1] == 'x' && s.size() % 2 == 0;
  std::string out;
  for (std::size_t i = 2; ok && i < s.size(); i += 2) {
    const int hi = digit(s[i]), lo = digit(s[i + 1]);
    ok = hi >= 0 && lo >= 0;
    out.push_back(static_cast<char>(hi * 16 + lo));
  }
  if (!ok)
    throw Error(ErrorKind::DatatypeMismatch, "image feature \"" + feature + "\" is not a bytea's hex text",
                "Pass the picture as to_jsonb(image), a \"\\\\x...\" hex string.");
  return out;
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
    if (features[f].image) {
      out[f].image = true;
      if (v->is_null()) {
        out[f].texts.push_back(std::nullopt);
        continue;
      }
      if (!v->is_string())
        throw Error(ErrorKind::DatatypeMismatch, "image feature \"" + features[f].name + "\" must be a bytea's text",
                    "Pass the picture as to_jsonb(image), a \"\\\\x...\" hex string.");
      out[f].texts.push_back(bytes_from_hex(v->get<std::string>(), features[f].name));
      continue;
    }
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
  std::vector<double> prior;  // classifiers: the training rows' class shares; absent in blobs before 0.2.0
  std::vector<TabularFeature> features;
  std::vector<FeatureImportance> importance;
  TabularEncoder encoder;
  std::vector<Mlp> nets;
  std::vector<PlainMlp> plain;  // the same weights for one row at a time (none with an image feature)
  int image_column = -1;        // index in features, or -1
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
    if (state.contains("prior")) impl->prior = state.at("prior").get<std::vector<double>>();
    for (const auto &f : state.at("features")) {
      const bool image = f.contains("image") && f.at("image").get<bool>();
      if (image) {
        if (impl->image_column >= 0)
          throw Error(ErrorKind::CorruptModel, "model state is inconsistent: two image features", "Retrain the model.");
        impl->image_column = static_cast<int>(impl->features.size());
      }
      impl->features.push_back({f.at("name").get<std::string>(), f.at("numeric").get<bool>() && !image, image});
    }
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
  const bool has_image = impl->image_column >= 0;
  bool ok = impl->features.size() == impl->encoder.columns().size() + (has_image ? 1 : 0) &&
            has_image == shape.image.has_value() && shape.dense_dim == impl->encoder.dense_dim() &&
            shape.cardinalities == impl->encoder.cardinalities() && shape.outputs == outputs && impl->positive >= -1 &&
            impl->positive < classes && std::isfinite(impl->target_mean) && std::isfinite(impl->target_std) &&
            impl->target_std > 0 &&
            (std::isnan(impl->threshold) ||
             (classes == 2 && impl->positive >= 0 && impl->threshold > 0 && impl->threshold < 1)) &&
            (classifier ? classes >= 2 && impl->head != Head::Value : impl->head == Head::Value) &&
            (impl->prior.empty() || static_cast<long>(impl->prior.size()) == classes);
  double shares = 0;
  for (double share : impl->prior) {
    ok = ok && share >= 0 && share <= 1;
    shares += share;
  }
  ok = ok && (impl->prior.empty() || std::fabs(shares - 1) < 1e-6);  // a baseline of a distribution, not a forged one
  for (const std::string &c : impl->classes) ok = ok && class_fits_label_type(impl->label_type, c);
  if (!ok) throw Error(ErrorKind::CorruptModel, "model state is inconsistent", "Retrain the model.");
  prepare_runtime(runtime);  // thread settings; scoring itself runs on the CPU
  impl->nets = load_mlps(shape, blob.weights, members);
  if (impl->image_column < 0)
    for (Mlp &net : impl->nets) impl->plain.emplace_back(net);
  return std::unique_ptr<TabularScorer>(new TabularScorer(std::move(impl)));
}

ModelKind TabularScorer::kind() const { return impl_->kind; }
LabelType TabularScorer::label_type() const { return impl_->label_type; }
bool TabularScorer::has_positive_class() const { return impl_->positive >= 0; }
const std::vector<TabularFeature> &TabularScorer::features() const { return impl_->features; }
const std::vector<FeatureImportance> &TabularScorer::importance() const { return impl_->importance; }

namespace {

// Values near float's range in a row, or in the model's scalers or weights,
// can overflow to inf or NaN: refused rather than scored.
void refuse_non_finite(const double *scores, long count, long rows) {
  for (long i = 0; i < count; ++i)
    if (!std::isfinite(scores[i]))
      throw Error(ErrorKind::DataException,
                  "the prediction for row " + std::to_string(i / (count / rows) + 1) + " is not a finite number",
                  "The row holds values too large to compute with, or the model does; check the row, or retrain "
                  "the model.");
}

}  // namespace

std::vector<double> TabularScorer::raw_scores(const std::vector<TabularColumn> &columns,
                                              const std::function<std::string(long)> &row_names) const {
  const Impl &m = *impl_;
  if (columns.size() != m.features.size())
    throw Error(ErrorKind::Internal, "scorer expects " + std::to_string(m.features.size()) + " columns");
  // The encoder's columns: all of them without an image feature (no copy).
  std::vector<TabularColumn> without_image;
  if (m.image_column >= 0)
    for (const auto &c : columns)
      if (!c.image) without_image.push_back(c);
  const std::vector<TabularColumn> &plain = m.image_column >= 0 ? without_image : columns;
  if (plain.size() != m.encoder.columns().size())
    throw Error(ErrorKind::Internal, "scorer expects " + std::to_string(m.encoder.columns().size()) + " plain columns");
  std::vector<long> all(columns.empty() ? 0 : columns.front().size());
  for (std::size_t i = 0; i < all.size(); ++i) all[i] = static_cast<long>(i);
  EncodedRows x = m.encoder.encode(plain, all);
  if (x.rows == 0) return {};
  if (x.rows == 1 && !m.plain.empty()) {  // xb_recommend, xb_predict: BLAS, without LibTorch's per-call cost
    std::vector<double> mean;
    for (const PlainMlp &net : m.plain) {
      const std::vector<double> p = net.predict(x.dense.data(), x.codes.data(), m.head);
      if (mean.empty()) mean.assign(p.size(), 0.0);
      for (std::size_t i = 0; i < p.size(); ++i) mean[i] += p[i];
    }
    for (double &v : mean) v /= static_cast<double>(m.plain.size());
    refuse_non_finite(mean.data(), static_cast<long>(mean.size()), 1);
    return mean;
  }
  TabularTensors t;
  t.dense = torch::from_blob(x.dense.data(), {x.rows, x.dense_dim}, torch::kFloat);
  t.codes = torch::from_blob(x.codes.data(), {x.rows, x.code_dim}, torch::kLong);
  if (m.image_column >= 0) {
    const auto name = [&](long i) { return row_names ? row_names(i) : "row " + std::to_string(i + 1); };
    t.images = image_tensor(columns[m.image_column].texts, all, *m.nets.front()->shape().image, name);
  }
  auto result = predict_members(const_cast<std::vector<Mlp> &>(m.nets), t, m.head, torch::kCPU).contiguous();
  const double *r = result.data_ptr<double>();
  refuse_non_finite(r, result.numel(), x.rows);
  return std::vector<double>(r, r + result.numel());
}

std::vector<TabularPrediction> TabularScorer::predict(const std::vector<TabularColumn> &columns,
                                                      const std::function<std::string(long)> &row_names) const {
  const Impl &m = *impl_;
  const std::vector<double> r = raw_scores(columns, row_names);
  if (m.kind == ModelKind::Regressor) {
    std::vector<TabularPrediction> out(r.size());
    for (std::size_t i = 0; i < r.size(); ++i) {
      out[i].value = r[i] * m.target_std + m.target_mean;
      if (!std::isfinite(out[i].value))
        throw Error(ErrorKind::DataException,
                    "the prediction for row " + std::to_string(i + 1) + " is not a finite number",
                    "The model's target scale is too large to compute with; retrain the model.");
    }
    return out;
  }
  const std::size_t k = m.classes.size();
  std::vector<TabularPrediction> out(r.size() / k);
  for (std::size_t i = 0; i < out.size(); ++i) {
    const double *row = r.data() + i * k;
    long best = std::max_element(row, row + k) - row;
    if (k == 2 && std::isfinite(m.threshold)) best = row[m.positive] >= m.threshold ? m.positive : 1 - m.positive;
    out[i].label = m.classes[best];
    out[i].label_probability = row[best];
    if (m.positive >= 0) out[i].positive_probability = row[m.positive];
    out[i].value = label_value(m.label_type, out[i].label);
  }
  return out;
}

TabularScorer::Evaluation TabularScorer::evaluate(const TabularRows &rows, const TrainHooks &hooks) const {
  const Impl &m = *impl_;
  if (m.kind == ModelKind::Classifier && rows.label_type != m.label_type)
    throw Error(ErrorKind::DatatypeMismatch,
                "the source's column \"" + rows.label_name + "\" is " + label_type_name(rows.label_type) +
                    ", the model was trained on " + label_type_name(m.label_type) + " labels",
                "Give a source whose label column has the training's type.");
  if (rows.features.size() != m.features.size())
    throw Error(ErrorKind::InvalidParameter, "the source has " + std::to_string(rows.features.size()) +
                                                 " feature columns, the model " + std::to_string(m.features.size()));
  const auto kind_of = [](bool numeric, bool image) { return image ? "a picture" : numeric ? "a number" : "text"; };
  for (std::size_t f = 0; f < m.features.size(); ++f)
    if (rows.features[f].numeric != m.features[f].numeric || rows.features[f].image != m.features[f].image)
      throw Error(ErrorKind::DatatypeMismatch,
                  "the source's column \"" + rows.features[f].name + "\" is " +
                      kind_of(rows.features[f].numeric, rows.features[f].image) + ", the model reads it as " +
                      kind_of(m.features[f].numeric, m.features[f].image),
                  "Give a source whose columns have the training's types.");
  Evaluation out;
  const auto add = [&](const std::string &estimator, const std::vector<std::pair<std::string, double>> &metrics) {
    for (const auto &[metric, value] : metrics) out.metrics.push_back({"evaluation", estimator, metric, value});
  };
  // Scored in batches, as xb_score does: pictures are decoded a batch at a
  // time, and a cancel is heard between batches.
  constexpr std::size_t kBatch = 10000;
  std::vector<double> r;
  for (std::size_t from = 0, n = rows.rows(); from < n; from += kBatch) {
    stop_if_interrupted(hooks);
    const std::size_t to = std::min(n, from + kBatch);
    std::vector<TabularColumn> part;
    for (const TabularColumn &c : rows.features) {
      TabularColumn p{c.name, c.numeric, {}, {}};
      p.image = c.image;
      if (c.numeric)
        p.numbers.assign(c.numbers.begin() + from, c.numbers.begin() + to);
      else
        p.texts.assign(c.texts.begin() + from, c.texts.begin() + to);
      part.push_back(std::move(p));
    }
    const std::vector<double> scores =
        raw_scores(part, [from](long i) { return "row " + std::to_string(from + static_cast<std::size_t>(i) + 1); });
    r.insert(r.end(), scores.begin(), scores.end());
  }
  if (m.kind == ModelKind::Regressor) {
    std::vector<double> predicted;
    for (double v : r) predicted.push_back(v * m.target_std + m.target_mean);
    out.rows = static_cast<long>(predicted.size());
    if (out.rows == 0) throw Error(ErrorKind::InvalidParameter, "the source has no rows to evaluate on");
    add("model", regression_metrics(rows.targets, predicted));
    add("mean", regression_metrics(rows.targets, std::vector<double>(predicted.size(), m.target_mean)));
    return out;
  }
  const std::size_t k = m.classes.size();
  ClassPredictions model, majority;
  model.classes = majority.classes = static_cast<int>(k);
  model.positive = m.positive;
  model.threshold = m.threshold;
  for (std::size_t i = 0; i < rows.labels.size() && (i + 1) * k <= r.size(); ++i) {
    const auto c = std::find(m.classes.begin(), m.classes.end(), rows.labels[i]);
    if (c == m.classes.end()) {
      ++out.unknown_labels;
      continue;
    }
    const int actual = static_cast<int>(c - m.classes.begin());
    model.probs.insert(model.probs.end(), r.begin() + static_cast<long>(i * k),
                       r.begin() + static_cast<long>((i + 1) * k));
    model.actual.push_back(actual);
    majority.probs.insert(majority.probs.end(), m.prior.begin(), m.prior.end());
    majority.actual.push_back(actual);
  }
  out.rows = model.rows();
  if (out.rows == 0)
    throw Error(ErrorKind::InvalidParameter, "the source has no rows of a class the model knows",
                std::to_string(out.unknown_labels) + " rows have a label the model was not trained on.");
  const int positive = m.positive < 0 ? 1 : m.positive;  // as training reports them
  add("model", classification_metrics(model, positive, m.classes));
  if (!m.prior.empty()) add("majority", classification_metrics(majority, positive, m.classes));
  return out;
}

bool TabularScorer::has_image() const { return impl_->image_column >= 0; }

namespace {

// A crafted or overflowing model can make its encoder's output NaN or
// infinite; ranking or drawing such weights is meaningless (and sorting
// NaN is undefined), so it is a clear error instead.
void require_finite_encoding(const torch::Tensor &t) {
  if (!torch::isfinite(t).all().item<bool>())
    throw Error(ErrorKind::DataException,
                "the model's image encoder gives values that are not finite numbers for this picture",
                "The model holds values too large to compute with; retrain it.");
}

}  // namespace

ImageExplanation TabularScorer::explain_image(std::string_view bytes) const {
  if (!has_image())
    throw Error(ErrorKind::InvalidParameter, "the model has no image feature",
                "xb_embed and xb_attention need a classifier or regressor trained with an image column.");
  Mlp &net = const_cast<Mlp &>(impl_->nets.front());
  const ImageSpec &spec = *net->shape().image;
  std::vector<std::uint8_t> pixels = image_input(bytes, spec, "the image given");
  torch::NoGradGuard no_grad;
  net->eval();
  auto input = torch::from_blob(pixels.data(), {1, spec.channels, spec.height, spec.width}, torch::kUInt8);
  ImageEncoding e = net->image_encoder()->forward(input);
  auto emb = e.embedding.contiguous(), att = e.attention.contiguous();
  require_finite_encoding(att);
  require_finite_encoding(emb);
  ImageExplanation out;
  out.embedding.assign(emb.data_ptr<float>(), emb.data_ptr<float>() + emb.numel());
  out.attention.assign(att.data_ptr<float>(), att.data_ptr<float>() + att.numel());
  out.map_height = spec.map_height();
  out.map_width = spec.map_width();
  return out;
}

std::string TabularScorer::attention_png(std::string_view bytes, int scale) const {
  const ImageSpec &spec = *impl_->nets.front()->shape().image;
  if (static_cast<long>(spec.width) * scale * spec.height * scale > kMaxImagePixels)
    throw Error(ErrorKind::InvalidParameter,
                "scale " + std::to_string(scale) + " makes the picture larger than 4096 x 4096 pixels",
                "The model's input is " + std::to_string(spec.width) + " x " + std::to_string(spec.height) +
                    "; use a smaller scale.");
  const ImageExplanation e = explain_image(bytes);
  // The picture as the network saw it (its size, grey), enlarged, under a
  // red overlay whose strength is the cell's weight relative to the largest.
  Image picture = decode_image(bytes);
  picture = convert_channels(resize_image(picture, spec.width, spec.height), 1);
  const int w = spec.width * scale, h = spec.height * scale;
  picture = resize_image(picture, w, h);
  const float top = *std::max_element(e.attention.begin(), e.attention.end());
  Image out;
  out.width = w;
  out.height = h;
  out.channels = 3;
  out.pixels.resize(static_cast<std::size_t>(w) * h * 3);
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x) {
      const int cy = spec.cell_row(y / scale), cx = spec.cell_column(x / scale);
      const double a = top > 0 ? e.attention[static_cast<std::size_t>(cy * e.map_width + cx)] / top : 0;
      const double g = picture.pixels[static_cast<std::size_t>(y) * w + x];
      std::uint8_t *px = &out.pixels[(static_cast<std::size_t>(y) * w + x) * 3];
      px[0] = static_cast<std::uint8_t>(std::lround(g * (1 - 0.6 * a) + 255 * 0.6 * a));
      px[1] = static_cast<std::uint8_t>(std::lround(g * (1 - 0.6 * a)));
      px[2] = static_cast<std::uint8_t>(std::lround(g * (1 - 0.6 * a)));
    }
  return encode_png(out);
}

namespace {

// Per picture [N, C, H, W], the log-odds of its true class under an
// image-only network.
torch::Tensor image_log_odds(Mlp &net, const torch::Tensor &pictures, Head head, const std::vector<long> &truth) {
  TabularTensors t;
  t.dense = torch::zeros({pictures.size(0), 0});
  t.codes = torch::zeros({pictures.size(0), 0}, torch::kLong);
  t.images = pictures;
  return true_class_log_odds(net, t, head, torch::kCPU, truth);
}

// How many pictures' true class loses more probability when the most
// attended cells are blacked out than when as many random cells are.
double top_beats_random(Mlp &net, Head head, const torch::Tensor &pictures, const std::vector<long> &truth,
                        double fraction, std::mt19937_64 &rng, std::uint8_t fill) {
  const ImageSpec &spec = *net->shape().image;
  const int cells = spec.cells();
  const int k = std::max(1, static_cast<int>(std::lround(fraction * cells)));
  torch::Tensor attention;
  {
    torch::NoGradGuard no_grad;
    net->eval();
    attention = net->image_encoder()->forward(pictures).attention.contiguous();
  }
  require_finite_encoding(attention);
  const long n = pictures.size(0);
  torch::Tensor top_cells = torch::zeros({n, cells}, torch::kBool),
                random_cells = torch::zeros({n, cells}, torch::kBool);
  auto top_at = top_cells.accessor<bool, 2>(), random_at = random_cells.accessor<bool, 2>();
  std::vector<int> order(static_cast<std::size_t>(cells));
  const float *a = attention.data_ptr<float>();
  for (long i = 0; i < n; ++i) {
    std::iota(order.begin(), order.end(), 0);
    std::stable_sort(order.begin(), order.end(), [&](int p, int q) { return a[i * cells + p] > a[i * cells + q]; });
    for (int j = 0; j < k; ++j) top_at[i][order[static_cast<std::size_t>(j)]] = true;
    std::shuffle(order.begin(), order.end(), rng);
    for (int j = 0; j < k; ++j) random_at[i][order[static_cast<std::size_t>(j)]] = true;
  }
  const torch::Tensor top = black_out_cells(pictures, top_cells, spec, fill),
                      random = black_out_cells(pictures, random_cells, spec, fill);
  // The true class loses more probability under the top cells exactly when
  // its probability, or its log-odds, is lower there; compared as log-odds,
  // because a confident network's probabilities round to 1 under both masks
  // and would tie.
  const auto top_odds = image_log_odds(net, top, head, truth), random_odds = image_log_odds(net, random, head, truth);
  const auto wins = (top_odds < random_odds).sum().item<long>();
  return static_cast<double>(wins);
}

}  // namespace

TabularScorer::Faithfulness TabularScorer::attention_faithfulness(
    const std::vector<std::optional<std::string>> &pictures, const std::vector<std::optional<std::string>> &labels,
    double fraction, std::uint64_t seed, std::uint8_t fill) const {
  const Impl &m = *impl_;
  if (!has_image() || m.features.size() != 1 || m.kind != ModelKind::Classifier)
    throw Error(ErrorKind::InvalidParameter, "the attention check needs a classifier whose only feature is a picture");
  if (!(fraction > 0 && fraction < 1)) throw Error(ErrorKind::InvalidParameter, "fraction must be between 0 and 1");
  std::vector<long> rows, truth;
  for (std::size_t i = 0; i < pictures.size(); ++i) {
    if (!pictures[i] || !labels[i]) continue;
    const auto it = std::find(m.classes.begin(), m.classes.end(), *labels[i]);
    if (it == m.classes.end()) continue;  // a class the model never saw
    rows.push_back(static_cast<long>(i));
    truth.push_back(it - m.classes.begin());
  }
  Faithfulness out;
  out.pictures = static_cast<long>(rows.size());
  if (rows.empty()) return out;
  Mlp &trained = const_cast<Mlp &>(m.nets.front());
  torch::manual_seed(seed);
  Mlp untrained(trained->shape());
  std::mt19937_64 rng(seed);
  double wins_trained = 0, wins_untrained = 0;
  constexpr std::size_t kChunk = 256;
  for (std::size_t start = 0; start < rows.size(); start += kChunk) {
    const std::size_t end = std::min(rows.size(), start + kChunk);
    const std::vector<long> part(rows.begin() + start, rows.begin() + end),
        part_truth(truth.begin() + start, truth.begin() + end);
    const torch::Tensor x =
        image_tensor(pictures, part, *trained->shape().image, [](long r) { return "row " + std::to_string(r + 1); });
    wins_trained += top_beats_random(trained, m.head, x, part_truth, fraction, rng, fill);
    wins_untrained += top_beats_random(untrained, m.head, x, part_truth, fraction, rng, fill);
  }
  out.trained = wins_trained / static_cast<double>(rows.size());
  out.untrained = wins_untrained / static_cast<double>(rows.size());
  return out;
}

bool TabularScorer::knows_class(const std::string &label) const {
  const auto &classes = impl_->classes;
  return impl_->kind == ModelKind::Classifier && std::find(classes.begin(), classes.end(), label) != classes.end();
}

VersionComparison compare_on_rows(std::string_view deployed, std::string_view retrained, const TabularRows &rows,
                                  const std::vector<long> &which, const RuntimeSettings &runtime,
                                  const TrainHooks &hooks) {
  const auto start = std::chrono::steady_clock::now();
  VersionComparison out;
  const std::unique_ptr<TabularScorer> old_model = TabularScorer::load(deployed, runtime),
                                       new_model = TabularScorer::load(retrained, runtime);
  const bool classifier = new_model->kind() == ModelKind::Classifier;
  out.metric = classifier ? "log_loss" : "rmse";
  if (old_model->kind() != new_model->kind()) {
    out.why_none = "the deployed version is not of the new one's kind";
    return out;
  }
  std::vector<long> shared;
  for (long r : which)
    if (!classifier || (old_model->knows_class(rows.labels[r]) && new_model->knows_class(rows.labels[r])))
      shared.push_back(r);
  if (shared.empty()) {
    out.why_none = which.empty() ? "the new version has no test split (\"refit\": true)"
                                 : "no row of the new version's test split has a class both versions know";
    return out;
  }
  TabularRows subset;
  subset.label_name = rows.label_name;
  subset.label_type = rows.label_type;
  for (const TabularColumn &c : rows.features) {
    TabularColumn part{c.name, c.numeric, {}, {}};
    part.image = c.image;
    for (long r : shared) {
      if (c.numeric)
        part.numbers.push_back(c.numbers[r]);
      else
        part.texts.push_back(c.texts[r]);
    }
    subset.features.push_back(std::move(part));
  }
  for (long r : shared) {
    if (classifier)
      subset.labels.push_back(rows.labels[r]);
    else
      subset.targets.push_back(rows.targets[r]);
  }
  const auto model_metrics = [](const TabularScorer::Evaluation &e) {
    std::vector<std::pair<std::string, double>> out;
    for (const MetricRow &m : e.metrics)
      if (m.estimator == "model") out.emplace_back(m.metric, m.value);
    return out;
  };
  try {
    out.deployed_metrics = model_metrics(old_model->evaluate(subset, hooks));
  } catch (const Error &e) {
    if (e.kind() != ErrorKind::InvalidParameter && e.kind() != ErrorKind::DatatypeMismatch) throw;
    out.why_none = std::string("the deployed version cannot score the new one's rows (") + e.what() + ")";
    return out;
  }
  out.retrained_metrics = model_metrics(new_model->evaluate(subset, hooks));
  out.points = static_cast<long>(shared.size());
  for (const auto &[metric, value] : out.deployed_metrics)
    if (metric == out.metric) out.deployed = value;
  for (const auto &[metric, value] : out.retrained_metrics)
    if (metric == out.metric) out.retrained = value;
  out.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
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
