#include "core/model_info.hpp"

#include <nlohmann/json.hpp>

#include "core/common/blob.hpp"
#include "core/common/error.hpp"
#include "core/forecast/forecast_state.hpp"
#include "core/tabular/model.hpp"
#include "core/tabular/scorer.hpp"

namespace xb {

using nlohmann::json;

std::string describe_model(std::string_view blob, const RuntimeSettings &runtime) {
  const ModelBlob decoded = decode_blob(blob);
  json info = {{"format_version", kBlobFormatVersion},
               {"kind", model_kind_name(decoded.kind)},
               {"arch", decoded.arch},
               {"bytes", blob.size()}};
  if (decoded.kind == ModelKind::Forecaster && is_statistical_state(decoded.state_json)) {
    const StatState st = StatState::from_json(decoded.state_json);
    json recipes = json::object();
    for (const auto &s : st.series) recipes[s.key] = {{"recipe", s.recipe}, {"method", s.method}};
    info["horizon"] = st.options.horizon;
    info["series"] = st.series.size();
    info["features"] = json::array();
    info["text_features"] = json::array();
    info["options"] = json::parse(st.options.to_json());
    info["recipes"] = std::move(recipes);
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
    info["features"] = features;
    info["members"] = state.at("members");
    info["options"] = state.at("options");
  } catch (const json::exception &e) {
    throw Error(ErrorKind::CorruptModel, std::string("model state is invalid: ") + e.what(), "Retrain the model.");
  }
  return info.dump();
}

}  // namespace xb
