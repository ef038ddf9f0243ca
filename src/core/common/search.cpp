#include "core/common/search.hpp"

#include <algorithm>
#include <nlohmann/json.hpp>
#include <random>

#include "core/common/option_checks.hpp"

namespace xb {

using nlohmann::json;
using namespace option_checks;

SearchTrials expand_search(const std::string &options_json, const std::vector<std::string> &searchable) {
  const json user = json::parse(options_json);
  SearchTrials out;
  json fixed = json::object();
  std::vector<std::pair<std::string, json>> arrays;
  std::string list;
  for (const auto &k : searchable) list += (list.empty() ? "" : ", ") + k;
  for (const auto &[key, value] : user.items()) {
    if (key == "search" || key == "trials") continue;
    if (!value.is_array()) {
      fixed[key] = value;
      continue;
    }
    if (std::find(searchable.begin(), searchable.end(), key) == searchable.end())
      throw bad(key, "cannot be searched (it is given as an array)", "Options that can be searched: " + list + ".");
    if (value.empty() || value.size() > 64) throw bad(key, "must list 1 to 64 values to search");
    for (const auto &v : value)
      if (v.is_array() || v.is_object()) throw bad(key, "must list single values to search, not " + v.dump());
    arrays.emplace_back(key, value);
    out.searched.push_back(key);
  }
  const bool given = user.contains("search");
  out.mode = given ? one_of(user.at("search"), "search", {"grid", "random"}) : arrays.empty() ? "none" : "grid";
  if (given && arrays.empty())
    throw bad("search", "needs at least one option given as an array",
              "For example {\"lr\": [0.01, 0.001], \"search\": \"grid\"}.");
  if (user.contains("trials") && out.mode != "random")
    throw bad("trials", "is for \"search\": \"random\"", "A grid search tries every combination.");
  if (out.mode == "none") {
    out.trials.push_back(options_json);
    return out;
  }

  if (out.mode == "grid") {
    std::size_t total = 1;
    for (const auto &[key, values] : arrays) {
      total *= values.size();
      if (total > kMaxSearchTrials)
        throw bad("search", "grid has more than " + std::to_string(kMaxSearchTrials) + " combinations",
                  "Give fewer values, or use \"search\": \"random\" with \"trials\".");
    }
    for (std::size_t t = 0; t < total; ++t) {
      json trial = fixed;
      std::size_t rest = t;  // the last key varies fastest
      for (auto it = arrays.rbegin(); it != arrays.rend(); ++it) {
        trial[it->first] = it->second[rest % it->second.size()];
        rest /= it->second.size();
      }
      out.trials.push_back(trial.dump());
    }
    return out;
  }

  const long count = user.contains("trials") ? integer(user.at("trials"), "trials", 1, kMaxSearchTrials) : 10;
  const long seed = user.contains("seed") && user.at("seed").is_number_integer() ? user.at("seed").get<long>() : 42;
  std::mt19937_64 rng(static_cast<std::uint64_t>(seed) ^ 0x5eedULL);
  for (long t = 0; t < count; ++t) {
    json trial = fixed;
    for (const auto &[key, values] : arrays) trial[key] = values[static_cast<std::size_t>(rng() % values.size())];
    out.trials.push_back(trial.dump());
  }
  return out;
}

}  // namespace xb
