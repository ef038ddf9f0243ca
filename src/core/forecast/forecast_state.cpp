#include "core/forecast/forecast_state.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <map>
#include <nlohmann/json.hpp>

#include "core/common/blob.hpp"
#include "core/common/error.hpp"
#include "core/common/limits.hpp"
#include "core/common/runtime.hpp"
#include "core/common/weights.hpp"
#include "core/forecast/cold_start.hpp"

namespace xb {
namespace {

using nlohmann::json;

json scaler_json(const Scaler &s) { return json::array({s.mean, s.std}); }

Error inconsistent(const std::string &what) {
  return Error(ErrorKind::CorruptModel, "model state is inconsistent: " + what,
               "The blob was damaged or built by something else; train the model again.");
}

std::string level_text(double level) {
  char text[32];
  std::snprintf(text, sizeof text, "%g", level);
  return text;
}

json levels_json(const std::vector<IntervalLevel> &levels) {
  json out = json::array();
  for (const auto &l : levels) out.push_back(json::array({l.level, l.q}));
  return out;
}

json frequency_json(const Frequency &f) {
  return {{"unit", f.unit == Frequency::Unit::Month ? "month" : "fixed"}, {"step", f.step}};
}

}  // namespace

std::string ForecastState::to_json() const {
  json j;
  j["options"] = json::parse(options.to_json());
  j["freq"] = frequency_json(panel.freq);
  j["season"] = layout.season;
  j["features"] = numeric_features;
  j["text_features"] = text.to_json();
  json fs = json::array();
  for (const auto &s : layout.feature_scalers) fs.push_back(scaler_json(s));
  j["feature_scalers"] = fs;
  j["conformal_q"] = conformal_q;
  if (!interval_levels.empty()) j["interval_levels"] = levels_json(interval_levels);
  if (flags_from_last_season) j["future_flags"] = "last_season";
  if (!fallback.empty()) j["fallback"] = json::parse(fallback);
  if (!blend.empty()) j["blend"] = {{"network_weight", network_weight}, {"statistical", json::parse(blend)}};
  if (!cold_start_q.empty())
    j["cold_start"] = {{"static_columns", static_columns},
                       {"neighbours", cold_start_neighbours},
                       {"conformal_q", cold_start_q},
                       {"interval_levels", levels_json(cold_start_levels)}};
  json series = json::array();
  for (std::size_t k = 0; k < panel.series.size(); ++k) {
    const Series &s = panel.series[k];
    series.push_back(
        {{"key", s.key}, {"start", s.start}, {"scaler", scaler_json(target_scalers[k])}, {"y", s.y}, {"x", s.x}});
  }
  j["series"] = std::move(series);
  return j.dump();
}

namespace {

// Strict readers: the right JSON type, in range, or the blob is refused.
long whole(const json &j, const char *key, long lo, long hi) {
  const json &v = j.at(key);
  if (!v.is_number_integer()) throw inconsistent(std::string(key) + " is not a whole number");
  // nlohmann keeps non-negative integers unsigned: compare in the matching type.
  bool ok = v.is_number_unsigned() ? v.get<std::uint64_t>() <= static_cast<std::uint64_t>(hi) &&
                                         (lo <= 0 || v.get<std::uint64_t>() >= static_cast<std::uint64_t>(lo))
                                   : v.get<std::int64_t>() >= lo && v.get<std::int64_t>() <= hi;
  if (!ok) throw inconsistent(std::string(key) + " is out of range");
  return static_cast<long>(v.get<std::int64_t>());
}

double finite(const json &v, const char *what) {
  if (!v.is_number() || !std::isfinite(v.get<double>()))
    throw inconsistent(std::string(what) + " is not a finite number");
  return v.get<double>();
}

std::vector<double> finite_array(const json &v, const char *what) {
  if (!v.is_array()) throw inconsistent(std::string(what) + " is not an array");
  std::vector<double> out;
  out.reserve(v.size());
  for (const auto &x : v) out.push_back(finite(x, what));
  return out;
}

Scaler scaler_of(const json &v) {
  if (!v.is_array() || v.size() != 2) throw inconsistent("a scaler is not [mean, std]");
  Scaler s{finite(v[0], "a scaler"), finite(v[1], "a scaler")};
  if (!(s.std > 0)) throw inconsistent("a scaler has no positive std");
  return s;
}

std::string string_of(const json &v, const char *what) {
  if (!v.is_string()) throw inconsistent(std::string(what) + " is not a string");
  return v.get<std::string>();
}

// options.time_zone, when the blob records one: the zone a timestamptz
// source was read in (the aggregates: UTC). Metadata only; held to the
// option's own rule, so a blob cannot carry a zone a training would refuse.
std::string time_zone_of(const json &options) {
  if (!options.contains("time_zone")) return "";
  std::string zone = string_of(options.at("time_zone"), "time_zone");
  if (!is_time_zone_name(zone)) throw inconsistent("time_zone is not a time zone name");
  return zone;
}

Frequency frequency_of(const json &freq) {
  Frequency f;
  const std::string unit = string_of(freq.at("unit"), "freq.unit");
  if (unit != "month" && unit != "fixed") throw inconsistent("unknown frequency unit");
  f.unit = unit == "month" ? Frequency::Unit::Month : Frequency::Unit::Fixed;
  f.step = unit == "month" ? whole(freq, "step", 1, 12) : whole(freq, "step", 1, 1000L * 366 * kMicrosPerDay);
  return f;
}

// interval_levels, when the blob has them: at most kMaxIntervalLevels
// distinct levels strictly between 0 and 1, each with `horizon`
// non-negative finite widths.
std::vector<IntervalLevel> interval_levels_of(const json &j, int horizon) {
  std::vector<IntervalLevel> out;
  if (!j.contains("interval_levels")) return out;
  const json &all = j.at("interval_levels");
  if (!all.is_array() || all.size() > kMaxIntervalLevels) throw inconsistent("interval_levels");
  for (const auto &l : all) {
    if (!l.is_array() || l.size() != 2) throw inconsistent("interval_levels");
    IntervalLevel level{finite(l[0], "an interval level"), finite_array(l[1], "interval widths")};
    if (!(level.level > 0 && level.level < 1) || level.q.size() != static_cast<std::size_t>(horizon))
      throw inconsistent("interval_levels");
    for (double q : level.q)
      if (q < 0) throw inconsistent("a negative interval width");
    for (const auto &seen : out)
      if (seen.level == level.level) throw inconsistent("interval_levels");
    out.push_back(std::move(level));
  }
  return out;
}

Error invalid_state(const json::exception &e) {
  return Error(ErrorKind::CorruptModel, std::string("model state is invalid: ") + e.what(),
               "The blob was damaged or built by something else; train the model again.");
}

}  // namespace

std::string StatState::to_json() const {
  json j;
  j["statistical"] = true;
  j["options"] = json::parse(options.to_json());
  j["freq"] = frequency_json(freq);
  j["season"] = season;
  j["conformal_q"] = conformal_q;
  if (!interval_levels.empty()) j["interval_levels"] = levels_json(interval_levels);
  json all = json::array();
  for (const auto &s : series) {
    json one = {{"key", s.key},       {"start", s.start},   {"length", s.length}, {"scale", s.scale},
                {"recipe", s.recipe}, {"method", s.method}, {"yhat", s.yhat}};
    if (!s.trend.empty()) one["trend"] = s.trend;
    all.push_back(std::move(one));
  }
  j["series"] = std::move(all);
  return j.dump();
}

StatState StatState::from_json(const std::string &text) {
  StatState st;
  try {
    const json j = json::parse(text);
    if (j.at("statistical") != true) throw inconsistent("not a statistical model");
    const json &opt = j.at("options");
    st.options.arch = string_of(opt.at("arch"), "arch");
    st.options.horizon = static_cast<int>(whole(opt, "horizon", 1, limits::kMaxHorizon));
    st.options.interval = finite(opt.at("interval"), "interval");
    st.options.time_zone = time_zone_of(opt);
    st.freq = frequency_of(j.at("freq"));
    st.season = static_cast<int>(whole(j, "season", 1, 10000));
    st.conformal_q = finite_array(j.at("conformal_q"), "conformal_q");
    st.interval_levels = interval_levels_of(j, st.options.horizon);
    const json &series = j.at("series");
    if (!series.is_array() || series.empty() || series.size() > kMaxStatSeries) throw inconsistent("series count");
    for (const auto &js : series) {
      StatSeriesState s;
      s.key = string_of(js.at("key"), "a series key");
      s.start = whole(js, "start", kFirstCalendarTime, kLastCalendarTime);
      s.length = whole(js, "length", 1, 100000000L);
      s.scale = finite(js.at("scale"), "a scale");
      s.recipe = string_of(js.at("recipe"), "a recipe");
      s.method = string_of(js.at("method"), "a method");
      s.yhat = finite_array(js.at("yhat"), "a forecast");
      if (js.contains("trend")) s.trend = finite_array(js.at("trend"), "a trend");
      st.series.push_back(std::move(s));
    }
  } catch (const json::exception &e) {
    throw invalid_state(e);
  }
  const int H = st.options.horizon;
  if (st.conformal_q.size() != static_cast<std::size_t>(H)) throw inconsistent("interval sizes");
  for (double q : st.conformal_q)
    if (q < 0) throw inconsistent("a negative interval width");
  for (const auto &s : st.series) {
    if (s.yhat.size() != static_cast<std::size_t>(H) || !(s.scale > 0) ||
        (!s.trend.empty() && s.trend.size() != s.yhat.size()))
      throw inconsistent("series \"" + s.key + "\"");
    try {  // every time a forecast touches must be on the calendar
      st.freq.advance(s.start, s.length - 1 + H);
    } catch (const Error &) {
      throw inconsistent("series \"" + s.key + "\" times");
    }
  }
  return st;
}

std::string combination_arch(const std::string &network) { return network + "+statistical"; }

std::vector<std::vector<double>> blend_by_series(const ForecastState &st) {
  std::vector<std::vector<double>> out(st.panel.series.size());
  if (st.blend.empty()) return out;
  std::map<std::string, const StatSeriesState *> by_key;
  const StatState mix = StatState::from_json(st.blend);
  for (const StatSeriesState &s : mix.series) by_key.emplace(s.key, &s);
  for (std::size_t k = 0; k < out.size(); ++k) {
    const Series &s = st.panel.series[k];
    const auto it = by_key.find(s.key);
    if (it != by_key.end() && mix.freq.advance(it->second->start, it->second->length - 1) ==
                                  st.panel.time_at(s, static_cast<long>(s.length()) - 1))
      out[k] = it->second->yhat;
  }
  return out;
}

const std::vector<double> &interval_widths(double level, double trained_level, const std::vector<double> &trained,
                                           const std::vector<IntervalLevel> &others) {
  if (level == 0 || level == trained_level) return trained;
  if (!(level > 0 && level < 1))
    throw Error(ErrorKind::InvalidParameter, "level must be between 0 and 1, not " + level_text(level),
                "For example 0.8 for an 80 % interval.");
  std::string have = level_text(trained_level) + " (trained)";
  for (const auto &l : others) {
    if (std::fabs(l.level - level) < 1e-9) return l.q;
    if (l.level != trained_level) have += ", " + level_text(l.level);
  }
  throw Error(ErrorKind::InvalidParameter, "the model has no interval at level " + level_text(level),
              others.empty() ? "It was trained before 0.2.0 and keeps only its trained level " +
                                   level_text(trained_level) + "; retrain it for levels 0.5 to 0.99."
                             : "Its levels: " + have + "; options.interval trains another.");
}

bool is_statistical_state(const std::string &state_json) {
  try {
    const json j = json::parse(state_json);
    return j.is_object() && j.contains("statistical") && j.at("statistical") == true;
  } catch (const json::exception &e) {
    throw invalid_state(e);
  }
}

ForecastState ForecastState::from_json(const std::string &text) {
  ForecastState st;
  ForecastOptions &o = st.options;
  try {
    json j = json::parse(text);
    const json &opt = j.at("options");
    o.arch = string_of(opt.at("arch"), "arch");
    o.horizon = static_cast<int>(whole(opt, "horizon", 1, limits::kMaxHorizon));
    o.lookback = static_cast<int>(whole(opt, "lookback", 1, limits::kMaxLookback));
    o.hidden = static_cast<int>(whole(opt, "hidden", 1, limits::kMaxHidden));
    o.layers = static_cast<int>(whole(opt, "layers", 1, limits::kMaxLayers));
    o.heads = opt.contains("heads") ? static_cast<int>(whole(opt, "heads", 1, limits::kMaxHeads)) : 1;
    o.ensemble = static_cast<int>(whole(opt, "ensemble", 1, limits::kMaxEnsemble));
    o.series_embedding = opt.contains("series_embedding")
                             ? static_cast<int>(whole(opt, "series_embedding", 0, limits::kMaxEmbedding))
                             : 0;
    o.seed = whole(opt, "seed", 0, 2147483647L);
    o.dropout = finite(opt.at("dropout"), "dropout");
    o.interval = finite(opt.at("interval"), "interval");
    o.time_zone = time_zone_of(opt);
    st.panel.freq = frequency_of(j.at("freq"));
    st.flags_from_last_season = j.contains("future_flags") && j.at("future_flags") == "last_season";
    if (j.contains("fallback")) st.fallback = j.at("fallback").dump();
    if (j.contains("blend")) {
      st.network_weight = finite(j.at("blend").at("network_weight"), "network_weight");
      st.blend = j.at("blend").at("statistical").dump();
    }
    if (j.contains("cold_start")) {
      const json &cold = j.at("cold_start");
      const json &columns = cold.at("static_columns");
      if (!columns.is_array()) throw inconsistent("static_columns is not an array");
      for (const auto &c : columns) {
        if (!c.is_number_integer()) throw inconsistent("a static column is not a whole number");
        const std::int64_t v = c.get<std::int64_t>();
        // Checked against the feature count below, once it is known.
        if (v < 0 || v > std::numeric_limits<int>::max() ||
            (!st.static_columns.empty() && v <= st.static_columns.back()))
          throw inconsistent("static_columns");
        st.static_columns.push_back(static_cast<int>(v));
      }
      const json &neighbours = cold.at("neighbours");
      const std::vector<std::size_t> &choices = neighbour_choices();
      if (!neighbours.is_number_unsigned() ||
          (neighbours.get<std::size_t>() != 0 &&
           std::find(choices.begin(), choices.end(), neighbours.get<std::size_t>()) == choices.end()))
        throw inconsistent("cold_start neighbours");
      st.cold_start_neighbours = neighbours.get<std::size_t>();
      st.cold_start_q = finite_array(cold.at("conformal_q"), "cold_start conformal_q");
      st.cold_start_levels = interval_levels_of(cold, o.horizon);
    }
    const json &features = j.at("features");
    if (!features.is_array()) throw inconsistent("features is not an array");
    for (const auto &f : features) st.numeric_features.push_back(string_of(f, "a feature name"));
    const json &text_features = j.at("text_features");
    if (!text_features.is_array()) throw inconsistent("text_features is not an array");
    for (const auto &e : text_features) {
      CategoryEncoder enc{string_of(e.at("name"), "a text feature name"), {}};
      const json &cats = e.at("categories");
      if (!cats.is_array() || cats.size() > static_cast<std::size_t>(kMaxCategories))
        throw inconsistent("categories of " + enc.name);
      for (const auto &c : cats) enc.categories.push_back(string_of(c, "a category"));
      st.text.encoders.push_back(std::move(enc));
    }
    st.panel.feature_names = st.numeric_features;
    for (const auto &n : st.text.column_names()) st.panel.feature_names.push_back(n);
    st.layout.lookback = o.lookback;
    st.layout.horizon = o.horizon;
    st.layout.freq = st.panel.freq;
    st.layout.season = static_cast<int>(whole(j, "season", 0, 10000));
    const json &scalers = j.at("feature_scalers");
    if (!scalers.is_array()) throw inconsistent("feature_scalers is not an array");
    for (const auto &s : scalers) st.layout.feature_scalers.push_back(scaler_of(s));
    st.conformal_q = finite_array(j.at("conformal_q"), "conformal_q");
    st.interval_levels = interval_levels_of(j, o.horizon);
    const json &series = j.at("series");
    if (!series.is_array()) throw inconsistent("series is not an array");
    for (const auto &js : series) {
      Series s;
      s.key = string_of(js.at("key"), "a series key");
      s.start = whole(js, "start", kFirstCalendarTime, kLastCalendarTime);
      s.y = finite_array(js.at("y"), "a series tail");
      s.x = finite_array(js.at("x"), "a series tail");
      st.target_scalers.push_back(scaler_of(js.at("scaler")));
      st.panel.series.push_back(std::move(s));
    }
  } catch (const json::exception &e) {
    throw invalid_state(e);
  }
  // Everything later code indexes by must agree, or a forward pass would read out of bounds.
  const auto &archs = forecast_architectures();
  if (std::find(archs.begin(), archs.end(), o.arch) == archs.end()) throw inconsistent("unknown architecture");
  if (o.arch == "transformer" && o.hidden % o.heads != 0) throw inconsistent("network shape");
  if (!(o.dropout >= 0 && o.dropout < 1) || !(o.interval > 0 && o.interval < 1))
    throw inconsistent("dropout or interval");
  if (st.layout.season != 0 && st.layout.season != st.panel.freq.season_length())
    throw inconsistent("season does not fit the frequency");
  const std::size_t nf = st.panel.feature_names.size();
  if (st.layout.feature_scalers.size() != nf || st.conformal_q.size() != static_cast<std::size_t>(o.horizon))
    throw inconsistent("feature or interval sizes");
  if ((!st.static_columns.empty() && static_cast<std::size_t>(st.static_columns.back()) >= nf) ||
      (!st.cold_start_q.empty() && st.cold_start_q.size() != static_cast<std::size_t>(o.horizon)))
    throw inconsistent("cold_start sizes");
  for (double q : st.cold_start_q)
    if (q < 0) throw inconsistent("a negative interval width");
  if (st.panel.series.empty()) throw inconsistent("no series");
  // The statistical states inside a network's (the fallback, auto's
  // combination): their own checks, then the network's horizon and calendar.
  const auto fits_the_network = [&](const StatState &part) {
    return part.options.horizon == o.horizon && is_statistical(part.options.arch) &&
           part.freq.unit == st.panel.freq.unit && part.freq.step == st.panel.freq.step;
  };
  if (!st.fallback.empty()) {  // and no series twice
    const StatState fb = StatState::from_json(st.fallback);
    if (!fits_the_network(fb) || fb.options.interval != o.interval)
      throw inconsistent("the fallback does not fit the network (horizon, arch, frequency or interval)");
    std::vector<std::string> keys;
    for (const auto &s : st.panel.series) keys.push_back(s.key);
    for (const auto &s : fb.series) keys.push_back(s.key);
    std::sort(keys.begin(), keys.end());
    if (std::adjacent_find(keys.begin(), keys.end()) != keys.end()) throw inconsistent("a series given twice");
  }
  if (!st.blend.empty()) {  // and a weight, and only the network's series, once each
    const StatState mix = StatState::from_json(st.blend);
    if (!(st.network_weight > 0 && st.network_weight < 1) || !fits_the_network(mix))
      throw inconsistent("the combination does not fit the network (weight, horizon, arch or frequency)");
    std::vector<std::string> network, mixed;
    for (const auto &s : st.panel.series) network.push_back(s.key);
    for (const auto &s : mix.series) mixed.push_back(s.key);
    std::sort(network.begin(), network.end());
    std::sort(mixed.begin(), mixed.end());
    if (std::adjacent_find(mixed.begin(), mixed.end()) != mixed.end() ||
        !std::includes(network.begin(), network.end(), mixed.begin(), mixed.end()))
      throw inconsistent("the combination names a series twice or one the network does not forecast");
  }
  for (const auto &s : st.panel.series) {
    if (static_cast<long>(s.length()) < st.layout.history_needed() || s.x.size() != s.length() * nf)
      throw inconsistent("series \"" + s.key + "\" tail");
    // Every time a forecast touches must be on the calendar.
    try {
      st.panel.time_at(s, static_cast<long>(s.length()) - 1 + o.horizon);
    } catch (const Error &) {
      throw inconsistent("series \"" + s.key + "\" times");
    }
  }
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
  return load_forecaster(decode_blob(bytes), runtime);
}

LoadedForecaster load_forecaster(ModelBlob blob, const RuntimeSettings &runtime) {
  if (blob.kind != ModelKind::Forecaster)
    throw Error(ErrorKind::InvalidParameter,
                std::string("model is a ") + model_kind_name(blob.kind) + ", not a forecaster",
                "Use xb_predict() or xb_recommend() for classifiers and regressors.");
  LoadedForecaster m;
  m.state = ForecastState::from_json(blob.state_json);
  if (m.state.options.arch != blob.arch) throw inconsistent("architecture differs from the header");
  m.device = prepare_runtime(runtime);
  const ForecastOptions &o = m.state.options;
  const NetShape shape = net_shape(o, m.state.layout, static_cast<int>(m.state.panel.series.size()));
  // The declared network must fit in the weights the blob really carries
  // (4 bytes a value) before one byte of it is allocated.
  if (static_cast<double>(parameter_count(shape)) * o.ensemble * 4 > static_cast<double>(blob.weights.size()))
    throw inconsistent("the declared network is larger than its weights");
  try {
    m.net = ForecastEnsemble(shape, o.ensemble, 0);
  } catch (const std::exception &e) {  // c10::Error, std::bad_alloc: a shape LibTorch refuses
    throw inconsistent(std::string("the network cannot be built: ") + e.what());
  }
  load_weights(*m.net, blob.weights);
  m.net->to(m.device);
  m.net->eval();
  return m;
}

}  // namespace xb
