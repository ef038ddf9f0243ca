#include "core/model_info.hpp"

#include <nlohmann/json.hpp>

#include "core/blob.hpp"
#include "core/error.hpp"
#include "core/forecast_state.hpp"
#include "core/tabular_model.hpp"

namespace xb {

using nlohmann::json;

std::string describe_model(std::string_view blob, const RuntimeSettings &runtime) {
  const ModelBlob decoded = decode_blob(blob);
  json info = {{"format_version", kBlobFormatVersion},
               {"kind", model_kind_name(decoded.kind)},
               {"arch", decoded.arch},
               {"bytes", blob.size()}};
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
    info["options"] = json::parse(m.state.options.to_json());
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
