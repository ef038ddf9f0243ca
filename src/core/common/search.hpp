// Hyperparameter search: options given as arrays ({"lr": [0.01, 0.001]})
// become trials, each the options with one value per key. "search": "grid"
// (the default when an array is given) takes every combination; "random"
// draws "trials" combinations (default 10); "bayes" draws the first quarter
// at random, then each next trial from a tree-structured Parzen estimator
// over the scores reported so far (default 20 trials, none repeated). Both
// draw from a generator seeded by "seed". Every kind of model uses it: the
// caller trains each trial and reports its validation score. Torch-free.
#pragma once
#include <cstdint>
#include <nlohmann/json.hpp>
#include <random>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "core/common/trial_record.hpp"

namespace xb {

constexpr int kMaxSearchTrials = 256;

class OptionSearch {
 public:
  // options_json: a JSON object. Only keys in `searchable` may be given as
  // arrays. A key in `list_valued` takes an array as its value ("hidden":
  // [64, 32]) and is searched when given an array of arrays ("hidden": [[],
  // [64, 32]]). Throws Error(InvalidParameter) naming the key.
  OptionSearch(const std::string &options_json, const std::vector<std::string> &searchable,
               const std::vector<std::string> &list_valued = {});

  const std::string &mode() const { return mode_; }  // none | grid | random | bayes
  const std::vector<std::string> &searched() const { return searched_; }
  int size() const { return size_; }  // the trials it proposes (one without a search)
  // Options that between them hold every searched value (grid and random:
  // every trial), to check before anything trains.
  std::vector<std::string> documents_to_check() const;
  // The next trial's options: a JSON object without "search", "trials" or
  // searched arrays. Call size() times, each followed by report().
  std::string next();
  // The last trial's validation score, lower is better; NaN: it failed.
  void report(double score);

 private:
  using Choice = std::vector<std::size_t>;  // a value index per searched key
  std::string document(const Choice &c) const;
  Choice random_choice();
  Choice parzen_choice();

  std::string mode_ = "none";
  std::string options_json_;
  nlohmann::json fixed_ = nlohmann::json::object();
  std::vector<std::string> searched_;
  std::vector<std::vector<nlohmann::json>> values_;  // per searched key
  std::vector<bool> ordered_;                        // numbers: neighbours share evidence
  int size_ = 1;
  int proposed_ = 0;
  std::vector<Choice> planned_;  // grid and random, in order
  std::vector<std::pair<Choice, double>> history_;
  std::set<Choice> tried_;
  Choice pending_;
  std::mt19937_64 rng_;
};

}  // namespace xb
