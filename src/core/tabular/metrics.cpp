#include "core/tabular/metrics.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>

#include "core/common/point_metrics.hpp"

namespace xb {
namespace {

struct Counts {
  double tp = 0, fp = 0, fn = 0;
};

Counts counts_for(const ClassPredictions &p, int c) {
  Counts k;
  for (long i = 0; i < p.rows(); ++i) {
    int pred = p.predicted(i);
    if (pred == c && p.actual[i] == c)
      ++k.tp;
    else if (pred == c)
      ++k.fp;
    else if (p.actual[i] == c)
      ++k.fn;
  }
  return k;
}

double safe_div(double a, double b) { return b > 0 ? a / b : 0.0; }

double precision_of(const Counts &k) { return safe_div(k.tp, k.tp + k.fp); }
double recall_of(const Counts &k) { return safe_div(k.tp, k.tp + k.fn); }
double f1_of(const Counts &k) { return safe_div(2 * k.tp, 2 * k.tp + k.fp + k.fn); }

template <typename F>
double binary_or_macro(const ClassPredictions &p, int positive, F of) {
  if (p.classes == 2) return of(counts_for(p, positive));
  double sum = 0;
  for (int c = 0; c < p.classes; ++c) sum += of(counts_for(p, c));
  return sum / p.classes;
}

// AUC of score column c for "is class c" against the rest; NaN when a
// score is not a number (NaN never equals itself: the ties below would
// never end, and sorting it is undefined).
double one_vs_rest_auc(const ClassPredictions &p, int c) {
  std::vector<std::pair<double, bool>> s;
  for (long i = 0; i < p.rows(); ++i) {
    const double score = p.probs[i * p.classes + c];
    if (std::isnan(score)) return NAN;
    s.push_back({score, p.actual[i] == c});
  }
  std::sort(s.begin(), s.end(), [](const auto &a, const auto &b) { return a.first < b.first; });
  double pos = 0, neg = 0, rank_sum = 0;
  for (std::size_t i = 0; i < s.size();) {
    std::size_t j = i;
    while (j < s.size() && s[j].first == s[i].first) ++j;
    double mid_rank = (static_cast<double>(i + 1) + static_cast<double>(j)) / 2.0;  // ties: average rank
    for (std::size_t t = i; t < j; ++t)
      if (s[t].second) {
        rank_sum += mid_rank;
        ++pos;
      } else {
        ++neg;
      }
    i = j;
  }
  if (pos == 0 || neg == 0) return NAN;
  return (rank_sum - pos * (pos + 1) / 2) / (pos * neg);
}

}  // namespace

int ClassPredictions::predicted(long row) const {
  const double *r = probs.data() + row * classes;
  if (classes == 2 && (positive == 0 || positive == 1) && std::isfinite(threshold))
    return r[positive] >= threshold ? positive : 1 - positive;
  return static_cast<int>(std::max_element(r, r + classes) - r);
}

double accuracy(const ClassPredictions &p) {
  if (p.rows() == 0) return NAN;
  long right = 0;
  for (long i = 0; i < p.rows(); ++i) right += p.predicted(i) == p.actual[i];
  return static_cast<double>(right) / static_cast<double>(p.rows());
}

double balanced_accuracy(const ClassPredictions &p) {
  double sum = 0;
  int present = 0;
  for (int c = 0; c < p.classes; ++c) {
    const Counts k = counts_for(p, c);
    if (k.tp + k.fn == 0) continue;
    sum += recall_of(k);
    ++present;
  }
  return present ? sum / present : NAN;
}

double best_threshold(const std::vector<double> &scores, const std::vector<bool> &positive, const std::string &rule) {
  std::vector<std::pair<double, bool>> s;
  double pos = 0, neg = 0;
  for (std::size_t i = 0; i < scores.size(); ++i)
    if (std::isfinite(scores[i])) {
      s.push_back({scores[i], positive[i]});
      positive[i] ? ++pos : ++neg;
    }
  if (pos == 0 || neg == 0) return NAN;
  const auto score = [&](double tp, double fp) {
    if (rule == "f1") return safe_div(2 * tp, tp + pos + fp);
    return (tp / pos + (neg - fp) / neg) / 2;
  };
  // 0.5 stays unless another threshold does better: a model whose scores
  // carry no information keeps predicting the more probable class.
  double best_t = 0.5, best = 0, tp = 0, fp = 0;
  for (const auto &[score_i, positive_i] : s)
    if (score_i >= 0.5) positive_i ? ++tp : ++fp;
  best = score(tp, fp);
  tp = fp = 0;
  // Highest scores first: after each group of equal scores, everything so far
  // is predicted positive; the threshold lies between this group and the next.
  std::sort(s.begin(), s.end(), [](const auto &a, const auto &b) { return a.first > b.first; });
  for (std::size_t i = 0; i < s.size();) {
    std::size_t j = i;
    for (; j < s.size() && s[j].first == s[i].first; ++j) s[j].second ? ++tp : ++fp;
    const double t = j < s.size() ? (s[i].first + s[j].first) / 2 : s[i].first;
    const double v = score(tp, fp);
    if (v > best + 1e-12 || (v > best - 1e-12 && std::abs(t - 0.5) < std::abs(best_t - 0.5))) {
      best = v;
      best_t = t;
    }
    i = j;
  }
  return std::clamp(best_t, 1e-6, 1 - 1e-6);
}

double precision(const ClassPredictions &p, int positive) { return binary_or_macro(p, positive, precision_of); }
double recall(const ClassPredictions &p, int positive) { return binary_or_macro(p, positive, recall_of); }
double f1_score(const ClassPredictions &p, int positive) { return binary_or_macro(p, positive, f1_of); }

double roc_auc(const ClassPredictions &p, int positive) {
  if (p.classes == 2) return one_vs_rest_auc(p, positive);
  double sum = 0;
  for (int c = 0; c < p.classes; ++c) {
    double a = one_vs_rest_auc(p, c);
    if (std::isnan(a)) return NAN;
    sum += a;
  }
  return sum / p.classes;
}

double log_loss(const ClassPredictions &p) {
  if (p.rows() == 0) return NAN;
  double sum = 0;
  for (long i = 0; i < p.rows(); ++i) {
    double q = std::clamp(p.probs[i * p.classes + p.actual[i]], 1e-15, 1 - 1e-15);
    sum -= std::log(q);
  }
  return sum / static_cast<double>(p.rows());
}

std::vector<long> confusion_matrix(const ClassPredictions &p) {
  std::vector<long> m(static_cast<std::size_t>(p.classes * p.classes), 0);
  for (long i = 0; i < p.rows(); ++i) ++m[p.actual[i] * p.classes + p.predicted(i)];
  return m;
}

std::vector<std::pair<std::string, double>> classification_metrics(const ClassPredictions &p, int positive,
                                                                   const std::vector<std::string> &class_names) {
  std::vector<std::pair<std::string, double>> out = {{"accuracy", accuracy(p)},
                                                     {"balanced_accuracy", balanced_accuracy(p)},
                                                     {"precision", precision(p, positive)},
                                                     {"recall", recall(p, positive)},
                                                     {"f1", f1_score(p, positive)},
                                                     {"roc_auc", roc_auc(p, positive)},
                                                     {"log_loss", log_loss(p)},
                                                     {"rows", static_cast<double>(p.rows())}};
  if (p.classes == 2 && std::isfinite(p.threshold)) out.push_back({"threshold", p.threshold});
  auto m = confusion_matrix(p);
  for (int a = 0; a < p.classes; ++a)
    for (int b = 0; b < p.classes; ++b)
      out.push_back({"confusion:actual=" + class_names[a] + ",predicted=" + class_names[b],
                     static_cast<double>(m[a * p.classes + b])});
  return out;
}

std::vector<std::pair<std::string, double>> regression_metrics(const std::vector<double> &actual,
                                                               const std::vector<double> &predicted) {
  const PointPairs pts{actual, predicted};
  return {{"mae", mean_absolute_error(pts)},
          {"rmse", root_mean_squared_error(pts)},
          {"r2", r_squared(pts)},
          {"rows", static_cast<double>(actual.size())}};
}

std::pair<double, double> mean_and_std(const std::vector<double> &values) {
  std::vector<double> v;
  for (double x : values)
    if (!std::isnan(x)) v.push_back(x);
  if (v.empty()) return {NAN, NAN};
  double mean = std::accumulate(v.begin(), v.end(), 0.0) / static_cast<double>(v.size());
  if (v.size() == 1) return {mean, 0.0};
  double sq = 0;
  for (double x : v) sq += (x - mean) * (x - mean);
  return {mean, std::sqrt(sq / static_cast<double>(v.size() - 1))};
}

}  // namespace xb
