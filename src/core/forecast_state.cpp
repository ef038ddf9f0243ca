#include "core/forecast_state.hpp"

#include <nlohmann/json.hpp>
#include <sstream>

#include "core/blob.hpp"
#include "core/error.hpp"
#include "core/runtime.hpp"

namespace xb {
namespace {

using nlohmann::json;

json scaler_json(const Scaler &s) { return json::array({s.mean, s.std}); }
Scaler scaler_from(const json &j) { return Scaler{j.at(0).get<double>(), j.at(1).get<double>()}; }

Error inconsistent(const std::string &what) {
  return Error(ErrorKind::CorruptModel, "model state is inconsistent: " + what,
               "The blob was damaged or built by something else; train the model again.");
}

}  // namespace

std::string ForecastState::to_json() const {
  json j;
  j["options"] = json::parse(options.to_json());
  j["freq"] = {{"unit", panel.freq.unit == Frequency::Unit::Month ? "month" : "fixed"}, {"step", panel.freq.step}};
  j["season"] = layout.season;
  j["features"] = numeric_features;
  j["text_features"] = text.to_json();
  json fs = json::array();
  for (const auto &s : layout.feature_scalers) fs.push_back(scaler_json(s));
  j["feature_scalers"] = fs;
  j["conformal_q"] = conformal_q;
  json series = json::array();
  for (std::size_t k = 0; k < panel.series.size(); ++k) {
    const Series &s = panel.series[k];
    series.push_back({{"key", s.key}, {"start", s.start}, {"scaler", scaler_json(target_scalers[k])},
                      {"y", s.y}, {"x", s.x}});
  }
  j["series"] = std::move(series);
  return j.dump();
}

ForecastState ForecastState::from_json(const std::string &text) {
  ForecastState st;
  ForecastOptions &o = st.options;
  try {
    json j = json::parse(text);
    const json &opt = j.at("options");
    o.arch = opt.at("arch").get<std::string>();
    o.horizon = opt.at("horizon").get<int>();
    o.lookback = opt.at("lookback").get<int>();
    o.hidden = opt.at("hidden").get<int>();
    o.layers = opt.at("layers").get<int>();
    o.heads = opt.value("heads", 1);
    o.dropout = opt.at("dropout").get<double>();
    o.ensemble = opt.value("ensemble", 1);
    o.series_embedding = opt.value("series_embedding", 0);
    o.interval = opt.at("interval").get<double>();
    o.seed = opt.at("seed").get<std::int64_t>();
    const json &freq = j.at("freq");
    st.panel.freq.unit = freq.at("unit").get<std::string>() == "month" ? Frequency::Unit::Month : Frequency::Unit::Fixed;
    st.panel.freq.step = freq.at("step").get<Micros>();
    st.numeric_features = j.at("features").get<std::vector<std::string>>();
    st.text = TextEncoding::from_json(j.at("text_features"));
    st.panel.feature_names = st.numeric_features;
    for (const auto &n : st.text.column_names()) st.panel.feature_names.push_back(n);
    st.layout.lookback = o.lookback;
    st.layout.horizon = o.horizon;
    st.layout.freq = st.panel.freq;
    st.layout.season = j.at("season").get<int>();
    for (const auto &s : j.at("feature_scalers")) st.layout.feature_scalers.push_back(scaler_from(s));
    st.conformal_q = j.at("conformal_q").get<std::vector<double>>();
    for (const auto &js : j.at("series")) {
      Series s;
      s.key = js.at("key").get<std::string>();
      s.start = js.at("start").get<Micros>();
      s.y = js.at("y").get<std::vector<double>>();
      s.x = js.at("x").get<std::vector<double>>();
      st.target_scalers.push_back(scaler_from(js.at("scaler")));
      st.panel.series.push_back(std::move(s));
    }
  } catch (const json::exception &e) {
    throw Error(ErrorKind::CorruptModel, std::string("model state is invalid: ") + e.what(),
                "The blob was damaged or built by something else; train the model again.");
  }
  // Everything later code indexes by must agree, or a forward pass would read out of bounds.
  const auto &archs = forecast_architectures();
  if (std::find(archs.begin(), archs.end(), o.arch) == archs.end()) throw inconsistent("unknown architecture");
  if (o.horizon < 1 || o.horizon > 10000 || o.lookback < 1 || o.lookback > 10000) throw inconsistent("window sizes");
  if (o.hidden < 1 || o.hidden > 4096 || o.layers < 1 || o.layers > 16 || o.heads < 1 || o.heads > 64 ||
      (o.arch == "transformer" && o.hidden % o.heads != 0))
    throw inconsistent("network shape");
  if (o.ensemble < 1 || o.ensemble > 32 || o.series_embedding < 0 || o.series_embedding > 256)
    throw inconsistent("ensemble or embedding size");
  if (!(o.dropout >= 0 && o.dropout < 1) || !(o.interval > 0 && o.interval < 1)) throw inconsistent("dropout or interval");
  if (st.panel.freq.step <= 0 || st.layout.season < 0 || st.layout.season > 10000) throw inconsistent("frequency");
  const std::size_t nf = st.panel.feature_names.size();
  if (st.layout.feature_scalers.size() != nf || st.conformal_q.size() != static_cast<std::size_t>(o.horizon))
    throw inconsistent("feature or interval sizes");
  if (st.panel.series.empty()) throw inconsistent("no series");
  for (const auto &e : st.text.encoders)
    if (e.categories.size() > static_cast<std::size_t>(kMaxCategories)) throw inconsistent("category count");
  for (const auto &s : st.panel.series)
    if (static_cast<long>(s.length()) < st.layout.history_needed() || s.x.size() != s.length() * nf)
      throw inconsistent("series \"" + s.key + "\" tail");
  return st;
}

NetShape net_shape(const ForecastOptions &o, const WindowLayout &layout, int series_count) {
  NetShape s;
  s.arch = o.arch;
  s.past_dim = layout.past_dim();
  s.future_dim = layout.future_dim();
  s.lookback = o.lookback;
  s.horizon = o.horizon;
  s.hidden = o.hidden;
  s.layers = o.layers;
  s.heads = o.heads;
  s.dropout = o.dropout;
  s.residual_channel = layout.future_seasonal_channel();
  s.series_count = series_count;
  s.embedding_dim = o.series_embedding;
  return s;
}

LoadedForecaster load_forecaster(std::string_view bytes, const RuntimeSettings &runtime) {
  ModelBlob blob = decode_blob(bytes);
  if (blob.kind != ModelKind::Forecaster)
    throw Error(ErrorKind::InvalidParameter,
                std::string("model is a ") + model_kind_name(blob.kind) + ", not a forecaster",
                "Use xb_predict() or xb_recommend() for classifiers and regressors.");
  LoadedForecaster m;
  m.state = ForecastState::from_json(blob.state_json);
  if (m.state.options.arch != blob.arch) throw inconsistent("architecture differs from the header");
  m.device = prepare_runtime(runtime);
  const ForecastOptions &o = m.state.options;
  m.net = ForecastEnsemble(net_shape(o, m.state.layout, static_cast<int>(m.state.panel.series.size())), o.ensemble, 0);
  // torch::load replaces tensors whole, whatever their shape: compare after.
  std::vector<std::vector<std::int64_t>> shapes;
  for (const auto &t : m.net->parameters()) shapes.push_back(t.sizes().vec());
  for (const auto &t : m.net->buffers()) shapes.push_back(t.sizes().vec());
  bool loaded = true;
  try {
    std::istringstream in(blob.weights);
    torch::load(m.net, in);
  } catch (const std::exception &) {  // c10::Error, and the std errors of a damaged archive
    loaded = false;
  }
  std::size_t i = 0;
  for (const auto &t : m.net->parameters())
    loaded = loaded && t.sizes().vec() == shapes[i++] && t.scalar_type() == torch::kFloat32;
  for (const auto &t : m.net->buffers())
    loaded = loaded && t.sizes().vec() == shapes[i++] && t.scalar_type() == torch::kFloat32;
  if (!loaded) throw Error(ErrorKind::CorruptModel, "model weights do not load", "The blob does not match its header.");
  m.net->to(m.device);
  m.net->eval();
  return m;
}

}  // namespace xb
