#include "core/common/search.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>

#include "core/common/error.hpp"
#include "core/common/option_checks.hpp"

namespace xb {

using nlohmann::json;

namespace {

bool contains(const std::vector<std::string> &keys, const std::string &key) {
  return std::find(keys.begin(), keys.end(), key) != keys.end();
}

// How many candidates a bayes search draws from its good-trial model before
// keeping the one most likely good rather than bad (as in Bergstra et al.).
constexpr int kParzenCandidates = 24;

}  // namespace

OptionSearch::OptionSearch(const std::string &options_json, const std::vector<std::string> &searchable,
                           const std::vector<std::string> &list_valued)
    : options_json_(options_json) {
  const json user = json::parse(options_json);
  std::string list;
  for (const auto &k : searchable) list += (list.empty() ? "" : ", ") + k;
  for (const auto &[key, value] : user.items()) {
    if (key == "search" || key == "trials") continue;
    const bool listed = contains(list_valued, key);
    // A list-valued option is searched only as an array of arrays.
    const bool array_of_arrays = value.is_array() && !value.empty() &&
                                 std::all_of(value.begin(), value.end(), [](const json &v) { return v.is_array(); });
    if (!value.is_array() || (listed && !array_of_arrays)) {
      fixed_[key] = value;
      continue;
    }
    if (!contains(searchable, key))
      throw option_checks::bad(key, "cannot be searched (it is given as an array)",
                               "Options that can be searched: " + list + ".");
    if (value.empty() || value.size() > 64) throw option_checks::bad(key, "must list 1 to 64 values to search");
    for (const auto &v : value)
      if ((v.is_array() && !listed) || v.is_object())
        throw option_checks::bad(key, "must list single values to search, not " + v.dump());
    searched_.push_back(key);
    values_.emplace_back();
    for (const auto &v : value)  // a value listed twice is one value
      if (std::find(values_.back().begin(), values_.back().end(), v) == values_.back().end())
        values_.back().push_back(v);
    ordered_.push_back(std::all_of(value.begin(), value.end(), [](const json &v) { return v.is_number(); }));
  }
  const bool given = user.contains("search");
  mode_ = given               ? option_checks::one_of(user.at("search"), "search", {"grid", "random", "bayes"})
          : searched_.empty() ? "none"
                              : "grid";
  if (given && searched_.empty())
    throw option_checks::bad("search", "needs at least one option given as an array",
                             "For example {\"lr\": [0.01, 0.001], \"search\": \"bayes\"}.");
  if (user.contains("trials") && mode_ != "random" && mode_ != "bayes")
    throw option_checks::bad("trials", "is for \"search\": \"random\" or \"bayes\"",
                             "A grid search tries every combination.");
  const long seed = user.contains("seed") && user.at("seed").is_number_integer() ? user.at("seed").get<long>() : 42;
  rng_.seed(static_cast<std::uint64_t>(seed) ^ 0x5eedULL);
  if (mode_ == "none") return;

  // Combinations, saturating above the largest search.
  std::size_t combinations = 1;
  for (const auto &v : values_) combinations = std::min<std::size_t>(combinations * v.size(), 1u << 20);
  if (mode_ == "grid") {
    if (combinations > static_cast<std::size_t>(kMaxSearchTrials))
      throw option_checks::bad("search", "grid has more than " + std::to_string(kMaxSearchTrials) + " combinations",
                               "Give fewer values, or use \"search\": \"bayes\" or \"random\" with \"trials\".");
    for (std::size_t t = 0; t < combinations; ++t) {
      Choice c(values_.size());
      std::size_t rest = t;  // the last key varies fastest
      for (std::size_t k = values_.size(); k-- > 0;) {
        c[k] = rest % values_[k].size();
        rest /= values_[k].size();
      }
      planned_.push_back(c);
    }
    size_ = static_cast<int>(planned_.size());
    return;
  }
  const long count = user.contains("trials") ? option_checks::integer(user.at("trials"), "trials", 1, kMaxSearchTrials)
                     : mode_ == "random"     ? 10
                                             : 20;
  if (mode_ == "random") {  // draws may repeat, as they always have
    for (long t = 0; t < count; ++t) planned_.push_back(random_choice());
    size_ = static_cast<int>(count);
    return;
  }
  // bayes never repeats a combination, so it stops when they run out.
  size_ = static_cast<int>(std::min<std::size_t>(static_cast<std::size_t>(count), combinations));
}

std::string OptionSearch::document(const Choice &c) const {
  json doc = fixed_;
  for (std::size_t k = 0; k < c.size(); ++k) doc[searched_[k]] = values_[k][c[k]];
  return doc.dump();
}

std::vector<std::string> OptionSearch::documents_to_check() const {
  if (mode_ == "none") return {options_json_};
  std::vector<std::string> out;
  if (mode_ != "bayes") {
    for (const Choice &c : planned_) out.push_back(document(c));
    return out;
  }
  // Each value of each key beside the first values of the others.
  for (std::size_t k = 0; k < values_.size(); ++k)
    for (std::size_t v = 0; v < values_[k].size(); ++v) {
      Choice c(values_.size(), 0);
      c[k] = v;
      out.push_back(document(c));
    }
  return out;
}

OptionSearch::Choice OptionSearch::random_choice() {
  Choice c;
  for (const auto &v : values_) c.push_back(static_cast<std::size_t>(rng_() % v.size()));
  return c;
}

// The tree-structured Parzen estimator over listed values: the trials so
// far split into the best quarter (good) and the rest (bad); per key, each
// value's weight is one (the prior) plus the trials that took it, a number
// counting half for its neighbours; the next trial is, of kParzenCandidates
// drawn from the good weights, the one with the highest good / bad ratio
// that was not tried yet.
OptionSearch::Choice OptionSearch::parzen_choice() {
  std::vector<std::pair<Choice, double>> seen = history_;
  for (auto &[c, s] : seen)
    if (!std::isfinite(s)) s = std::numeric_limits<double>::infinity();  // a failed trial counts as the worst
  std::stable_sort(seen.begin(), seen.end(), [](const auto &a, const auto &b) { return a.second < b.second; });
  const std::size_t good = std::max<std::size_t>(1, static_cast<std::size_t>(std::ceil(0.25 * seen.size())));
  std::vector<std::vector<double>> l(values_.size()), g(values_.size());
  for (std::size_t k = 0; k < values_.size(); ++k) {
    const std::size_t n = values_[k].size();
    l[k].assign(n, 1.0);
    g[k].assign(n, 1.0);
    // Numbers share evidence with their neighbours in value order.
    std::vector<std::size_t> order(n);
    std::iota(order.begin(), order.end(), 0);
    if (ordered_[k])
      std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
        return values_[k][a].get<double>() < values_[k][b].get<double>();
      });
    std::vector<std::size_t> rank(n);
    for (std::size_t r = 0; r < n; ++r) rank[order[r]] = r;
    for (std::size_t i = 0; i < seen.size(); ++i) {
      std::vector<double> &w = i < good ? l[k] : g[k];
      const std::size_t at = seen[i].first[k];
      w[at] += 1;
      if (ordered_[k] && rank[at] > 0) w[order[rank[at] - 1]] += 0.5;
      if (ordered_[k] && rank[at] + 1 < n) w[order[rank[at] + 1]] += 0.5;
    }
    const double ls = std::accumulate(l[k].begin(), l[k].end(), 0.0);
    const double gs = std::accumulate(g[k].begin(), g[k].end(), 0.0);
    for (double &x : l[k]) x /= ls;
    for (double &x : g[k]) x /= gs;
  }
  Choice best;
  double best_ratio = -std::numeric_limits<double>::infinity();
  for (int draw = 0; draw < kParzenCandidates; ++draw) {
    Choice c;
    double ratio = 0;
    for (std::size_t k = 0; k < values_.size(); ++k) {
      std::discrete_distribution<std::size_t> pick(l[k].begin(), l[k].end());
      c.push_back(pick(rng_));
      ratio += std::log(l[k][c.back()]) - std::log(g[k][c.back()]);
    }
    if (!tried_.count(c) && ratio > best_ratio) {
      best_ratio = ratio;
      best = c;
    }
  }
  return best;  // empty when every draw was tried already
}

std::string OptionSearch::next() {
  if (proposed_ >= size_) throw Error(ErrorKind::Internal, "the search has no trials left");
  ++proposed_;
  if (mode_ == "none") return options_json_;
  if (mode_ != "bayes") {
    pending_ = planned_[static_cast<std::size_t>(proposed_ - 1)];
    return document(pending_);
  }
  const int startup = std::max(3, size_ / 4);
  Choice c = static_cast<int>(history_.size()) >= startup ? parzen_choice() : Choice{};
  for (int attempt = 0; c.empty() || tried_.count(c); ++attempt) {
    if (attempt < 1000) {
      c = random_choice();
      continue;
    }
    // Few combinations left: the first untried one in grid order.
    c.assign(values_.size(), 0);
    while (tried_.count(c)) {
      std::size_t k = values_.size();
      while (k-- > 0 && ++c[k] == values_[k].size()) c[k] = 0;
    }
  }
  tried_.insert(c);
  pending_ = c;
  return document(c);
}

void OptionSearch::report(double score) {
  if (mode_ == "bayes") history_.emplace_back(pending_, score);
}

}  // namespace xb
