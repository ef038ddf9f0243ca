// Forecaster hyperparameters: parsed from the options jsonb text, checked, and
// filled in from the shipped presets (models/forecast_presets.json).
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace xb {

struct ForecastOptions {
  std::string arch;  // auto | snaive | ets | theta | stlf | gru | lstm | transformer | attention_lstm | nets
  int horizon = 0;
  int lookback = 0;
  int epochs = 0;
  int batch_size = 0;
  double lr = 0;
  double weight_decay = 0;
  double dropout = 0;
  int patience = 0;
  std::int64_t seed = 0;
  double val_fraction = 0;
  double test_fraction = 0;
  int val_periods = 0;   // 0: from val_fraction
  int test_periods = 0;  // 0: from test_fraction
  int hidden = 0;
  int layers = 0;
  int heads = 0;
  int ensemble = 1;                // members trained from seeds seed, seed+1, ...
  std::string loss;                // mse | mae | huber (on scaled values)
  std::string precision = "fp32";  // fp32 | bf16: the training steps' forward pass under bf16 autocast
  double interval = 0;
  std::string freq;                         // "" = infer
  std::string fill;                         // zero | ffill | interpolate | error
  int seasonal_lag = -1;                    // -1 auto, 0 off, 1 on
  std::string invalid;                      // error | drop: rows with NULL, NaN or infinite values
  int series_embedding = 0;                 // size of a learned per-series vector; 0 = none
  std::string time_zone;                    // a timestamptz time column is read as local time here ("": not given)
  double time_budget = 0;                   // seconds the fitting may take (0: no limit): stat_forecaster, train_loop
  int networks = -1;                        // auto only: -1 a network candidate when there are covariates, 0 no, 1 yes
  std::string user_json;                    // the options as given (auto and search expand them into candidates)
  std::string search = "none";              // none | grid | random | bayes: options given as arrays (core/search.hpp)
  int trials = 1;                           // combinations searched (per architecture for nets)
  std::vector<std::string> unused_options;  // network options given to a statistical arch (a NOTICE names them)

  std::string to_json() const;  // every resolved value, for the catalog
};

// The networks "nets" chooses among (nets itself is not listed).
const std::vector<std::string> &forecast_architectures();

// The statistical members (core/forecast/stat_forecaster), each an arch of
// its own; auto combines them. Neither list holds auto.
const std::vector<std::string> &statistical_architectures();
bool is_statistical(const std::string &arch);    // a statistical member, or auto
bool is_network_option(const std::string &key);  // shapes or trains a network only

// auto's network candidate (issue 13): the preset "auto_network" of
// models/forecast_presets.json (its arch and settings chosen on earlier
// cutoffs, test/bench/auto_network_study.sh) under the options auto was
// given (they win where both set a key). It joins auto's candidates when
// the rows carry covariates, or when the option "networks" says so.
ForecastOptions auto_network_options(const ForecastOptions &auto_options);
bool network_joins_auto(const ForecastOptions &o, bool has_covariates);

// The options that may be given as arrays to search over: the ones that
// shape the network and its training, not the data's windows and splits.
const std::vector<std::string> &searchable_forecast_options();

// What a "time_zone" may hold, from an option, a session's TimeZone or a blob
// alike: 1 to 255 printable ASCII characters, PostgreSQL's own bound
// (TZ_STRLEN_MAX); PostgreSQL decides which names are zones, and POSIX zones
// such as "<+05>-05" are some.
bool is_time_zone_name(const std::string &zone);

// options_json with "time_zone" set: what a timestamptz source was read in,
// stored with the version so that retraining and forecasting read it alike.
std::string with_time_zone(const std::string &options_json, const std::string &zone);

// Throws Error(InvalidParameter) naming the bad key: unknown keys, wrong
// types and out-of-range values are refused, never ignored. With a search,
// every trial is checked and the first one's values are returned.
ForecastOptions parse_forecast_options(const std::string &arch, int horizon, const std::string &options_json);

}  // namespace xb
