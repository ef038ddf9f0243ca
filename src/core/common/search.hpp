// Hyperparameter search: options given as arrays ({"lr": [0.01, 0.001]})
// expand into trials, each the options with one value per key. "search":
// "grid" (the default when an array is given) takes every combination;
// "random" draws "trials" combinations (default 10) with a generator seeded
// by "seed". Torch-free.
#pragma once
#include <string>
#include <vector>

namespace xb {

struct SearchTrials {
  std::string mode = "none";          // none | grid | random
  std::vector<std::string> trials;    // JSON objects without arrays, search or trials; one when mode is none
  std::vector<std::string> searched;  // the keys given as arrays
};

constexpr int kMaxSearchTrials = 256;

// options_json: a JSON object. Only keys in searchable may be arrays.
// Throws Error(InvalidParameter) naming the key.
SearchTrials expand_search(const std::string &options_json, const std::vector<std::string> &searchable);

}  // namespace xb
