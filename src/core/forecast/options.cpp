#include "core/forecast/options.hpp"

#include <algorithm>
#include <nlohmann/json.hpp>

#include "core/common/error.hpp"
#include "core/common/limits.hpp"
#include "core/common/search.hpp"
#include "core/common/option_checks.hpp"
#include "presets_json.hpp"

namespace xb {
namespace {

const std::vector<std::string> kKnownOptions{
    "lookback", "epochs",           "batch_size",    "lr",          "weight_decay", "dropout",  "patience",
    "seed",     "val_fraction",     "test_fraction", "val_periods", "test_periods", "hidden",   "layers",
    "heads",    "ensemble",         "loss",          "interval",    "freq",         "fill",     "seasonal_lag",
    "invalid",  "series_embedding", "time_zone",     "time_budget", "networks",     "precision"};

Error unknown_option(const std::string &key) {
  std::string list;
  for (const auto &k : kKnownOptions) list += (list.empty() ? "" : ", ") + k;
  return Error(ErrorKind::InvalidParameter, "unknown option \"" + key + "\"", "Known options: " + list + ".");
}

using nlohmann::json;

const json &presets() {
  static const json parsed = json::parse(kForecastPresetsJson);
  return parsed;
}

void apply(ForecastOptions &o, const std::string &key, const json &v) {
  if (key == "lookback")
    o.lookback = option_checks::integer(v, key, 1, limits::kMaxLookback);
  else if (key == "epochs")
    o.epochs = option_checks::integer(v, key, 1, 100000);
  else if (key == "batch_size")
    o.batch_size = option_checks::integer(v, key, 1, 1 << 20);
  else if (key == "lr")
    o.lr = option_checks::in_range(v, key, 0, true, 10, false);
  else if (key == "weight_decay")
    o.weight_decay = option_checks::in_range(v, key, 0, false, 1, false);
  else if (key == "dropout")
    o.dropout = option_checks::in_range(v, key, 0, false, 1, true);
  else if (key == "patience")
    o.patience = option_checks::integer(v, key, 0, 100000);
  else if (key == "seed")
    o.seed = option_checks::integer(v, key, 0, 2147483647L);
  else if (key == "val_fraction")
    o.val_fraction = option_checks::in_range(v, key, 0, true, 0.5, true);
  else if (key == "test_fraction")
    o.test_fraction = option_checks::in_range(v, key, 0, true, 0.5, true);
  else if (key == "val_periods")
    o.val_periods = option_checks::integer(v, key, 1, 1000000);
  else if (key == "test_periods")
    o.test_periods = option_checks::integer(v, key, 1, 1000000);
  else if (key == "hidden")
    o.hidden = option_checks::integer(v, key, 1, limits::kMaxHidden);
  else if (key == "layers")
    o.layers = option_checks::integer(v, key, 1, limits::kMaxLayers);
  else if (key == "heads")
    o.heads = option_checks::integer(v, key, 1, limits::kMaxHeads);
  else if (key == "ensemble")
    o.ensemble = option_checks::integer(v, key, 1, limits::kMaxEnsemble);
  else if (key == "interval")
    o.interval = option_checks::in_range(v, key, 0, true, 1, true);
  else if (key == "freq")
    o.freq = option_checks::one_of(v, key, {"hourly", "daily", "weekly", "monthly", "quarterly", "yearly"});
  else if (key == "loss")
    o.loss = option_checks::one_of(v, key, {"mse", "mae", "huber"});
  else if (key == "precision")
    o.precision = option_checks::one_of(v, key, {"fp32", "bf16"});
  else if (key == "fill")
    o.fill = option_checks::one_of(v, key, {"zero", "ffill", "interpolate", "error"});
  else if (key == "invalid")
    o.invalid = option_checks::one_of(v, key, {"error", "drop"});
  else if (key == "series_embedding")
    o.series_embedding = option_checks::integer(v, key, 0, limits::kMaxEmbedding);
  else if (key == "time_budget")
    o.time_budget = option_checks::in_range(v, key, 0, true, limits::kMaxTimeBudgetSeconds, false);
  else if (key == "time_zone") {
    const std::string hint = "Name a time zone, e.g. \"Europe/Berlin\" or \"UTC\" (pg_timezone_names lists them).";
    if (!v.is_string()) throw option_checks::bad(key, "must be a time zone name", hint);
    if (!is_time_zone_name(v.get<std::string>()))
      throw option_checks::bad(key, "must be a time zone name, not " + v.dump(), hint);
    o.time_zone = v.get<std::string>();
  } else if (key == "networks") {
    if (!v.is_boolean()) throw option_checks::bad(key, "must be true or false");
    o.networks = v.get<bool>() ? 1 : 0;
  } else if (key == "seasonal_lag") {
    if (!v.is_boolean()) throw option_checks::bad(key, "must be true or false");
    o.seasonal_lag = v.get<bool>() ? 1 : 0;
  } else {
    throw unknown_option(key);
  }
}

}  // namespace

const std::vector<std::string> &forecast_architectures() {
  static const std::vector<std::string> archs{"gru", "lstm", "transformer", "attention_lstm"};
  return archs;
}

bool is_network_option(const std::string &key) {
  static const std::vector<std::string> keys{"lookback", "epochs",   "batch_size",       "lr",           "weight_decay",
                                             "dropout",  "patience", "hidden",           "layers",       "heads",
                                             "ensemble", "loss",     "series_embedding", "seasonal_lag", "precision"};
  return std::find(keys.begin(), keys.end(), key) != keys.end();
}

const std::vector<std::string> &searchable_forecast_options() {
  static const std::vector<std::string> keys{"epochs",  "batch_size", "lr",     "weight_decay",
                                             "dropout", "patience",   "hidden", "layers",
                                             "heads",   "ensemble",   "loss",   "series_embedding"};
  return keys;
}

const std::vector<std::string> &statistical_architectures() {
  static const std::vector<std::string> archs{"snaive", "ets", "theta", "stlf", "croston"};
  return archs;
}

bool is_statistical(const std::string &arch) {
  const auto &archs = statistical_architectures();
  return arch == "auto" || std::find(archs.begin(), archs.end(), arch) != archs.end();
}

bool is_time_zone_name(const std::string &zone) {
  if (zone.empty() || zone.size() > 255) return false;
  return std::all_of(zone.begin(), zone.end(), [](char c) { return c >= 0x20 && c <= 0x7e; });
}

std::string with_time_zone(const std::string &options_json, const std::string &zone) {
  json user = option_checks::parse_options_json(options_json);
  if (!user.is_object()) throw Error(ErrorKind::InvalidParameter, "options must be a JSON object");
  user["time_zone"] = zone;
  return user.dump();
}

ForecastOptions parse_forecast_options(const std::string &arch, int horizon, const std::string &options_json) {
  const auto &archs = forecast_architectures();
  if (arch != "nets" && !is_statistical(arch) && std::find(archs.begin(), archs.end(), arch) == archs.end())
    throw Error(
        ErrorKind::InvalidParameter, "unknown architecture \"" + arch + "\"",
        "Use auto (the default), a statistical member (snaive, ets, theta, stlf, croston), a network (gru, lstm, "
        "transformer, attention_lstm) or nets (every network, the best on validation).");
  if (horizon < 1)
    throw Error(ErrorKind::InvalidParameter, "horizon must be at least 1, not " + std::to_string(horizon));
  if (horizon > limits::kMaxHorizon)
    throw Error(ErrorKind::InvalidParameter, "horizon must be at most " + std::to_string(limits::kMaxHorizon));

  json user = option_checks::parse_options_json(options_json);
  if (!user.is_object())
    throw Error(ErrorKind::InvalidParameter, "options must be a JSON object", "Example: '{\"epochs\": 50}'");

  for (const auto &item : user.items())  // before the search: an unknown array is unknown, not unsearchable
    if (item.key() != "search" && item.key() != "trials" &&
        std::find(kKnownOptions.begin(), kKnownOptions.end(), item.key()) == kKnownOptions.end())
      throw unknown_option(item.key());
  const OptionSearch search(user.dump(), searchable_forecast_options());
  if (search.mode() != "none" && is_statistical(arch))
    throw Error(ErrorKind::InvalidParameter, "a search needs a network: arch " + arch + " has nothing to search",
                "Give arch gru, lstm, transformer, attention_lstm or nets with the searched options.");
  if (search.mode() != "none") {
    // Every value searched must be valid before any training starts.
    const std::vector<std::string> docs = search.documents_to_check();
    for (const auto &doc : docs) parse_forecast_options(arch, horizon, doc);
    ForecastOptions o = parse_forecast_options(arch, horizon, docs.front());
    o.user_json = user.dump();
    o.search = search.mode();
    o.trials = search.size();
    return o;
  }

  ForecastOptions o;
  o.arch = arch;
  o.horizon = horizon;
  o.user_json = user.dump();
  // nets and the statistical members: the common preset here (each network
  // of nets is parsed again with its own).
  const bool own_preset = std::find(archs.begin(), archs.end(), arch) != archs.end();
  for (const std::string &layer : {std::string("common"), own_preset ? arch : std::string("common")})
    for (const auto &[key, value] : presets().at(layer).items()) apply(o, key, value);
  for (const auto &[key, value] : user.items()) {
    apply(o, key, value);
    if (is_statistical(arch) && is_network_option(key)) o.unused_options.push_back(key);
  }
  if (o.networks >= 0 && arch != "auto")
    throw option_checks::bad("networks", "is an option of arch auto only, not of " + arch,
                             "auto decides whether a network joins its candidates; other archs are one model.");
  if (o.lookback == 0) o.lookback = std::min(std::max(2 * horizon, 8), limits::kMaxLookback);
  // Every candidate of nets must be valid before any training starts.
  if (arch == "nets")
    for (const auto &candidate : archs) parse_forecast_options(candidate, horizon, options_json);
  if (arch == "transformer" && o.hidden % o.heads != 0)
    throw Error(ErrorKind::InvalidParameter, "option \"hidden\" must be a multiple of \"heads\"",
                "For example hidden 64 with heads 4.");
  return o;
}

ForecastOptions auto_network_options(const ForecastOptions &o) {
  json doc = option_checks::parse_options_json(o.user_json);
  doc.erase("networks");
  const json &preset = presets().at("auto_network");
  for (const auto &[key, value] : preset.items())
    if (key != "arch" && !doc.contains(key)) doc[key] = value;
  return parse_forecast_options(preset.at("arch").get<std::string>(), o.horizon, doc.dump());
}

bool network_joins_auto(const ForecastOptions &o, bool has_covariates) {
  return o.arch == "auto" && (o.networks == 1 || (o.networks < 0 && has_covariates));
}

std::string ForecastOptions::to_json() const {
  if (is_statistical(arch)) {  // only what the statistical members use
    json j = {{"arch", arch},
              {"horizon", horizon},
              {"seed", seed},
              {"val_fraction", val_fraction},
              {"test_fraction", test_fraction},
              {"interval", interval},
              {"fill", fill},
              {"invalid", invalid}};
    if (val_periods) j["val_periods"] = val_periods;
    if (test_periods) j["test_periods"] = test_periods;
    if (!freq.empty()) j["freq"] = freq;
    if (!time_zone.empty()) j["time_zone"] = time_zone;
    if (time_budget > 0) j["time_budget"] = time_budget;
    if (networks >= 0) j["networks"] = networks == 1;
    return j.dump();
  }
  json j = {{"arch", arch},
            {"horizon", horizon},
            {"lookback", lookback},
            {"epochs", epochs},
            {"batch_size", batch_size},
            {"lr", lr},
            {"weight_decay", weight_decay},
            {"dropout", dropout},
            {"patience", patience},
            {"seed", seed},
            {"val_fraction", val_fraction},
            {"test_fraction", test_fraction},
            {"hidden", hidden},
            {"layers", layers},
            {"ensemble", ensemble},
            {"loss", loss},
            {"interval", interval},
            {"fill", fill},
            {"invalid", invalid}};
  if (series_embedding) j["series_embedding"] = series_embedding;
  if (arch == "transformer") j["heads"] = heads;
  if (val_periods) j["val_periods"] = val_periods;
  if (test_periods) j["test_periods"] = test_periods;
  if (!freq.empty()) j["freq"] = freq;
  if (!time_zone.empty()) j["time_zone"] = time_zone;
  if (time_budget > 0) j["time_budget"] = time_budget;
  if (seasonal_lag >= 0) j["seasonal_lag"] = seasonal_lag == 1;
  if (precision != "fp32") j["precision"] = precision;
  if (search != "none") {
    j["search"] = search;
    j["trials"] = trials;
  }
  return j.dump();
}

}  // namespace xb
