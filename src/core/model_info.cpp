#include "core/model_info.hpp"

#include <algorithm>
#include <cmath>
#include <nlohmann/json.hpp>

#include "core/common/blob.hpp"
#include "core/common/error.hpp"
#include "core/forecast/forecast_state.hpp"
#include "core/tabular/model.hpp"
#include "core/tabular/scorer.hpp"

namespace xb {

using nlohmann::json;

namespace {

// describe_model's answer before reported_metrics (defined below).
std::string describe_loaded_model(std::string_view blob, const RuntimeSettings &runtime);

// Estimator and metric names a blob may report: not empty, at most these
// many bytes (a confusion cell names two classes), no control characters.
constexpr std::size_t kMaxEstimatorBytes = 256, kMaxMetricBytes = 4096;
bool fits_label(const std::string &s, std::size_t max_bytes) {
  return !s.empty() && s.size() <= max_bytes &&
         std::none_of(s.begin(), s.end(), [](char c) { return (c >= 0 && c < 0x20) || c == 0x7f; });
}

bool is_label(const json &v, std::size_t max_bytes) {
  return v.is_string() && fits_label(v.get_ref<const std::string &>(), max_bytes);
}

// The state's reported_metrics, checked (null when there are none): at most
// kMaxReportedMetrics rows of a known split, a short printable estimator and
// metric, and a number or null (NaN) value.
json reported_metrics_of(const std::string &state_json) {
  json state;
  try {
    state = json::parse(state_json);
  } catch (const json::exception &e) {
    throw Error(ErrorKind::CorruptModel, std::string("model state is invalid: ") + e.what(), "Retrain the model.");
  }
  if (!state.is_object() || !state.contains("reported_metrics")) return nullptr;
  const json &rows = state.at("reported_metrics");
  bool ok = rows.is_array() && rows.size() <= kMaxReportedMetrics;
  for (std::size_t i = 0; ok && i < rows.size(); ++i) {
    const json &r = rows[i];
    ok = r.is_object() && r.size() == 4 && r.contains("split") && r.contains("estimator") && r.contains("metric") &&
         r.contains("value") && is_label(r.at("estimator"), kMaxEstimatorBytes) &&
         is_label(r.at("metric"), kMaxMetricBytes) && (r.at("value").is_number() || r.at("value").is_null());
    if (ok) {
      const json &split = r.at("split");
      ok = split == "train" || split == "validation" || split == "test" || split == "cv" || split == "evaluation";
    }
  }
  if (!ok)
    throw Error(ErrorKind::CorruptModel, "model state is invalid: reported_metrics",
                "The blob was damaged or built by something else; export it again.");
  return rows;
}

}  // namespace

std::string with_reported_metrics(std::string_view blob, const std::vector<MetricRow> &metrics) {
  ModelBlob decoded = decode_blob(blob);
  json state;
  try {
    state = json::parse(decoded.state_json);
  } catch (const json::exception &e) {
    throw Error(ErrorKind::CorruptModel, std::string("model state is invalid: ") + e.what(), "Retrain the model.");
  }
  json rows = json::array();
  for (const MetricRow &m : metrics) {
    if (rows.size() == kMaxReportedMetrics) break;
    if (!fits_label(m.estimator, kMaxEstimatorBytes) || !fits_label(m.metric, kMaxMetricBytes)) continue;
    rows.push_back({{"split", m.split},
                    {"estimator", m.estimator},
                    {"metric", m.metric},
                    {"value", std::isfinite(m.value) ? json(m.value) : json(nullptr)}});
  }
  state["reported_metrics"] = std::move(rows);
  decoded.state_json = state.dump(-1, ' ', false, json::error_handler_t::replace);  // labels of a non-UTF-8 database
  return encode_blob(decoded);
}

std::string describe_model(std::string_view blob, const RuntimeSettings &runtime) {
  const std::string info = describe_loaded_model(blob, runtime);
  const json reported = reported_metrics_of(decode_blob(blob).state_json);
  if (reported.is_null()) return info;
  json out = json::parse(info);
  out["reported_metrics"] = reported;
  return out.dump();
}

namespace {

// What each series of a statistical state got: {key: {recipe, method}}.
json recipes_of(const StatState &st) {
  json recipes = json::object();
  for (const auto &s : st.series) recipes[s.key] = {{"recipe", s.recipe}, {"method", s.method}};
  return recipes;
}

std::string describe_loaded_model(std::string_view blob, const RuntimeSettings &runtime) {
  const ModelBlob decoded = decode_blob(blob);
  json info = {{"format_version", kBlobFormatVersion},
               {"kind", model_kind_name(decoded.kind)},
               {"arch", decoded.arch},
               {"bytes", blob.size()}};
  if (decoded.kind == ModelKind::Forecaster && is_statistical_state(decoded.state_json)) {
    const StatState st = StatState::from_json(decoded.state_json);
    info["horizon"] = st.options.horizon;
    info["series"] = st.series.size();
    info["features"] = json::array();
    info["text_features"] = json::array();
    // As training resolved them (from_json reads only what a forecast needs).
    info["options"] = json::parse(decoded.state_json).at("options");
    info["recipes"] = recipes_of(st);
    return info.dump();
  }
  if (decoded.kind == ModelKind::Forecaster) {
    // Loading builds the network and fills it: the same checks a forecast makes.
    const LoadedForecaster m = load_forecaster(blob, runtime);
    json text_features = json::array();
    for (const auto &e : m.state.text.encoders) text_features.push_back(e.name);
    info["horizon"] = m.state.layout.horizon;
    info["lookback"] = m.state.layout.lookback;
    info["series"] = m.state.panel.series.size();
    if (!m.state.fallback.empty()) {  // too short for the network: the statistical members forecast them
      const StatState fallback = StatState::from_json(m.state.fallback);
      info["series"] = m.state.panel.series.size() + fallback.series.size();
      info["fallback_recipes"] = recipes_of(fallback);
    }
    if (!m.state.blend.empty()) {  // auto's combination: the network mixed with each series' recipe
      info["arch"] = combination_arch(decoded.arch);
      info["combination"] = {{"network_weight", m.state.network_weight},
                             {"recipes", recipes_of(StatState::from_json(m.state.blend))}};
    }
    info["features"] = m.state.numeric_features;
    info["text_features"] = text_features;
    // As training resolved them: the state keeps every option, while the
    // decoded state fills only what a forecast needs (the rest would read 0).
    info["options"] = json::parse(decoded.state_json).at("options");
    return info.dump();
  }
  TabularScorer::load(blob, runtime);  // checks state and weights
  try {
    const json state = json::parse(decoded.state_json);
    json features = json::array();
    for (const auto &f : state.at("features")) features.push_back(f.at("name"));
    info["label"] = state.at("label");
    info["label_type"] = state.at("label_type");
    if (decoded.kind == ModelKind::Classifier) info["classes"] = state.at("classes");
    if (state.contains("threshold")) info["decision_threshold"] = state.at("threshold");  // checked by load
    info["features"] = features;
    info["members"] = state.at("members");
    info["options"] = state.at("options");
  } catch (const json::exception &e) {
    throw Error(ErrorKind::CorruptModel, std::string("model state is invalid: ") + e.what(), "Retrain the model.");
  }
  return info.dump();
}

}  // namespace
}  // namespace xb
