#include "core/tabular/model.hpp"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <tuple>
#include <cstdlib>
#include <cmath>
#include <map>
#include <nlohmann/json.hpp>
#include <numeric>
#include <optional>
#include <random>
#include <set>

#include "core/tabular/metrics.hpp"
#include "core/common/error.hpp"
#include "core/common/phase_clock.hpp"
#include "core/common/limits.hpp"
#include "core/tabular/mlp.hpp"
#include "core/image/encoder.hpp"
#include "core/common/runtime.hpp"
#include "core/common/search.hpp"
#include "core/tabular/encoding.hpp"
#include "core/tabular/labels.hpp"
#include "core/tabular/split.hpp"
#include "core/tabular/trainer.hpp"

namespace xb {
namespace {

// Members of the model a search refits on every row, unless "ensemble" is given.
constexpr int kRefitMembers = 5;

// How many members train at once, each on a thread of its own: one per
// CPU thread (1: one after the other, on every thread).
int members_side_by_side(int members, const torch::Device &device) {
  const int threads = at::get_num_threads();
  return device.is_cpu() && threads >= 2 && members >= 2 ? std::min(threads, members) : 1;
}

// The members a refit after a search trains: kRefitMembers seeds unless
// "ensemble" was given (a preset names its own).
int refit_members(const TabularOptions &o) {
  const bool members_given = o.given.count("ensemble") > 0 || !o.preset.empty();
  return members_given ? o.ensemble : std::max(o.ensemble, kRefitMembers);
}

using nlohmann::json;
using Metrics = std::vector<std::pair<std::string, double>>;

// What the training rows ask for: the classes (sorted as their SQL type
// sorts) and each row's class, or the numeric target.
struct Problem {
  bool classifier = true;
  Head head = Head::Sigmoid;
  LabelType label_type = LabelType::Text;
  std::vector<std::string> classes;
  int positive = -1;
  std::vector<int> y;          // class index per row
  std::vector<double> target;  // regressor
  std::vector<int> strata;     // what splits keep in proportion (regressor: all 0)
  double memory_limit = 0;     // xb.max_train_memory in bytes, 0: none
};

Problem classifier_problem(const TabularRows &rows, const TabularOptions &o) {
  Problem p;
  p.label_type = rows.label_type;
  // The distinct labels, without copying a row's (a label per row can be
  // millions of strings); more than the bound stops the count.
  std::set<std::string> distinct;
  for (const auto &l : rows.labels)
    if (distinct.insert(l).second && distinct.size() > 1000) break;
  std::vector<std::string> classes(distinct.begin(), distinct.end());
  if (rows.label_type == LabelType::Integer)
    std::sort(classes.begin(), classes.end(),
              [](const auto &a, const auto &b) { return std::stoll(a) < std::stoll(b); });
  if (classes.size() < 2)
    throw Error(ErrorKind::DataException,
                "label column \"" + rows.label_name + "\" has only one class" +
                    (classes.empty() ? std::string() : " (\"" + classes[0] + "\")"),
                "A classifier needs rows of at least two classes; check the source's filter.");
  if (classes.size() > 1000)
    throw Error(ErrorKind::DataException, "label column \"" + rows.label_name + "\" has more than 1000 classes",
                "A classifier takes at most 1000 classes; is this a numeric target for xb_train_regressor?");
  std::map<std::string, int> index;
  for (std::size_t c = 0; c < classes.size(); ++c) index[classes[c]] = static_cast<int>(c);
  for (const auto &l : rows.labels) p.y.push_back(index.at(l));
  p.strata = p.y;
  p.classes = std::move(classes);
  const std::string list = [&] {
    std::string s;
    for (const auto &c : p.classes) s += (s.empty() ? "" : ", ") + c;
    return s;
  }();
  if (!o.positive_class.empty()) {
    auto it = index.find(o.positive_class);
    if (it == index.end())
      throw Error(ErrorKind::InvalidParameter, "option \"positive_class\" names no class: \"" + o.positive_class + "\"",
                  "The classes are: " + list + ".");
    p.positive = it->second;
  } else if (p.classes.size() == 2) {
    p.positive = 1;
  }
  for (const auto &[label, w] : o.class_weight_map)
    if (!index.count(label))
      throw Error(ErrorKind::InvalidParameter, "option \"class_weights\" names no class: \"" + label + "\"",
                  "The classes are: " + list + ".");
  if (o.output == "sigmoid2" && p.classes.size() != 2)
    throw Error(ErrorKind::InvalidParameter, "option \"output\" sigmoid2 needs exactly two classes",
                "The label has " + std::to_string(p.classes.size()) + " classes: " + list + ".");
  p.head = o.output == "sigmoid2" ? Head::Sigmoid2 : p.classes.size() == 2 ? Head::Sigmoid : Head::Softmax;
  return p;
}

Problem regressor_problem(const TabularRows &rows) {
  Problem p;
  p.classifier = false;
  p.head = Head::Value;
  p.target = rows.targets;
  for (std::size_t i = 0; i < p.target.size(); ++i)
    if (!std::isfinite(p.target[i]))
      throw Error(ErrorKind::DataException,
                  "target column \"" + rows.label_name + "\" is not finite in row " + std::to_string(i + 1),
                  "Filter out or fill NaN and infinite targets in the source.");
  p.strata.assign(p.target.size(), 0);
  return p;
}

long output_count(const Problem &p) {
  if (p.head == Head::Softmax) return static_cast<long>(p.classes.size());
  if (p.head == Head::Sigmoid2) return 2;
  return 1;
}

// A model to start from (options.init_from).
struct TransferSource {
  bool classifier = true;
  Head head = Head::Value;
  std::vector<std::string> classes;
  TabularEncoder encoder;
  MlpShape shape;
  int members = 1;
  Mlp net{nullptr};  // the first member: the one layers are copied from
};

// One network trained on given rows, with what it needs to predict.
struct Run {
  TabularEncoder encoder;
  std::vector<Mlp> nets;  // ensemble members
  FitResult fit;          // epochs of all members
  std::vector<int> best_epochs;
  double target_mean = 0, target_std = 1;
  std::vector<double> prior;  // class shares of the training rows
  std::string transfer;       // what was copied from the source model
  double threshold = NAN;     // binary classifiers: see choose_threshold
  int image_column = -1;      // the image feature's index in the rows' features, or -1
  std::optional<ImageSpec> image;
};

// The features the tabular encoder sees: all but the image feature (copied
// into holder only when there is one).
const std::vector<TabularColumn> &tabular_columns(const std::vector<TabularColumn> &cols,
                                                  std::vector<TabularColumn> &holder) {
  if (std::none_of(cols.begin(), cols.end(), [](const TabularColumn &c) { return c.image; })) return cols;
  holder.clear();
  for (const auto &c : cols)
    if (!c.image) holder.push_back(c);
  return holder;
}

int image_column_of(const std::vector<TabularColumn> &cols) {
  int found = -1;
  for (std::size_t i = 0; i < cols.size(); ++i)
    if (cols[i].image) {
      if (found >= 0)
        throw Error(ErrorKind::InvalidParameter,
                    "feature columns \"" + cols[found].name + "\" and \"" + cols[i].name + "\" are both images",
                    "A model takes one image feature; combine the pictures into one in the source, or train one "
                    "model per picture.");
      found = static_cast<int>(i);
    }
  return found;
}

std::string source_row(long r) { return "row " + std::to_string(r + 1) + " of the source"; }

bool same_columns(const TabularEncoder &e, const std::vector<TabularColumn> &cols) {
  if (e.columns().size() != cols.size()) return false;
  for (std::size_t i = 0; i < cols.size(); ++i)
    if (e.columns()[i].name != cols[i].name || e.columns()[i].numeric != cols[i].numeric) return false;
  return true;
}

// Hidden layers are always copied; the input layer (and embeddings) when both
// models see the same inputs; the output layer when they predict the same
// classes (or both a value). freeze: copied layers other than the output
// layer keep their weights (the output layer always learns).
std::string copy_layers(Mlp &net, const TransferSource &src, bool same_inputs, bool same_outputs, bool same_images,
                        bool freeze) {
  torch::NoGradGuard no_grad;
  Mlp &from = const_cast<Mlp &>(src.net);
  std::string copied, fresh, frozen;
  auto add = [](std::string &list, const std::string &name) { list += (list.empty() ? "" : ", ") + name; };
  const std::size_t layers = net->layer_count();
  for (std::size_t i = 0; i < layers; ++i) {
    const bool input = i == 0, output = i + 1 == layers;
    const std::string name = input ? "input" : output ? "output" : "hidden" + std::to_string(i);
    if ((input && !same_inputs) || (output && !same_outputs)) {
      add(fresh, name);
      continue;
    }
    net->layer(i)->weight.copy_(from->layer(i)->weight);
    net->layer(i)->bias.copy_(from->layer(i)->bias);
    add(copied, name);
    if (freeze && !output) {
      net->layer(i)->weight.requires_grad_(false);
      net->layer(i)->bias.requires_grad_(false);
      add(frozen, name);
    }
  }
  if (same_inputs)
    for (std::size_t e = 0; e < net->embedding_count(); ++e) {
      net->embedding(e)->weight.copy_(from->embedding(e)->weight);
      if (freeze) net->embedding(e)->weight.requires_grad_(false);
    }
  if (same_images && net->image_encoder()) {
    auto to = net->image_encoder()->named_parameters(true), of = from->image_encoder()->named_parameters(true);
    for (auto &p : to) {
      p.value().copy_(of[p.key()]);
      if (freeze) p.value().requires_grad_(false);
    }
    auto to_b = net->image_encoder()->named_buffers(true), of_b = from->image_encoder()->named_buffers(true);
    for (auto &b : to_b) b.value().copy_(of_b[b.key()]);
    add(copied, "image encoder");
    if (freeze) add(frozen, "image encoder");
  }
  auto or_none = [](const std::string &s) { return s.empty() ? std::string("none") : s; };
  return "copied " + or_none(copied) + "; re-initialised " + or_none(fresh) +
         (freeze ? "; frozen " + or_none(frozen) : "");
}

std::vector<double> row_weights(const Problem &p, const TabularOptions &o, const std::vector<long> &idx,
                                std::vector<double> &prior) {
  std::vector<double> w(idx.size(), 1.0);
  if (!p.classifier) return w;
  std::vector<double> count(p.classes.size(), 0.0);
  for (long r : idx) ++count[p.y[r]];
  prior.clear();
  for (double c : count) prior.push_back(c / static_cast<double>(idx.size()));
  std::vector<double> per_class(p.classes.size(), 1.0);
  for (std::size_t c = 0; c < p.classes.size(); ++c) {
    if (o.class_weights == "balanced" && count[c] > 0)
      per_class[c] = static_cast<double>(idx.size()) / (static_cast<double>(p.classes.size()) * count[c]);
    if (o.class_weights == "given" && o.class_weight_map.count(p.classes[c]))
      per_class[c] = o.class_weight_map.at(p.classes[c]);
  }
  for (std::size_t i = 0; i < idx.size(); ++i) w[i] = per_class[p.y[idx[i]]];
  return w;
}

TabularTensors tensors_for(const Run &run, const Problem &p, const std::vector<TabularColumn> &cols,
                           const std::vector<long> &idx, const std::vector<double> &weights) {
  std::vector<double> target;
  for (long r : idx)
    target.push_back(p.classifier ? static_cast<double>(p.y[r]) : (p.target[r] - run.target_mean) / run.target_std);
  std::vector<TabularColumn> holder;
  TabularTensors t = to_tensors(run.encoder.encode(tabular_columns(cols, holder), idx), target,
                                weights.empty() ? std::vector<double>(idx.size(), 1.0) : weights);
  if (run.image) t.images = image_tensor(cols[run.image_column].texts, idx, *run.image, source_row);
  return t;
}

// rest: the rows outside the test split. Preprocessing is learned on them;
// each ensemble member then holds out its own validation part (seeded by
// split_seed + member) for early stopping, so that together the members
// learn from every row of rest. Member 0's parts come back in train / val.
Run train_once(const TabularRows &rows, const Problem &p, const TabularOptions &o, const std::vector<long> &rest,
               std::uint64_t split_seed, const torch::Device &device, const TrainHooks &hooks,
               const TransferSource *src, std::vector<long> *first_train = nullptr,
               std::vector<long> *first_val = nullptr) {
  Run run;
  const std::vector<long> &train = rest;
  std::vector<TabularColumn> holder;
  const std::vector<TabularColumn> &plain = tabular_columns(rows.features, holder);
  const bool reuse_encoder =
      src && same_columns(src->encoder, plain) && encoding_name(src->encoder.encoding()) == o.encoding;
  run.encoder = reuse_encoder
                    ? src->encoder
                    : TabularEncoder(plain, train, encoding_from_name(o.encoding), o.min_count, o.embedding_dim);
  run.image_column = image_column_of(rows.features);
  if (run.image_column >= 0)
    run.image =
        learn_image_spec(o.image, o.image_size_given, o.image_channels_given, rows.features[run.image_column].texts,
                         train, rows.features[run.image_column].name, source_row);
  // An image encoder copied from init_from keeps the normalisation it learned with.
  if (run.image && src && src->shape.image && src->shape.image->widths == run.image->widths &&
      src->shape.image->channels == run.image->channels) {
    run.image->normalize = src->shape.image->normalize;
    run.image->mean = src->shape.image->mean;
    run.image->std = src->shape.image->std;
  }
  if (!p.classifier) {
    double sum = 0, sq = 0;
    for (long r : train) sum += p.target[r];
    run.target_mean = sum / static_cast<double>(train.size());
    for (long r : train) sq += (p.target[r] - run.target_mean) * (p.target[r] - run.target_mean);
    double sd = std::sqrt(sq / static_cast<double>(train.size()));
    run.target_std = sd > 1e-12 ? sd : 1.0;
  }
  row_weights(p, o, rest, run.prior);

  MlpShape shape;
  shape.dense_dim = run.encoder.dense_dim();
  shape.cardinalities = run.encoder.cardinalities();
  shape.embedding_dims = run.encoder.embedding_dims();
  shape.hidden = o.hidden;
  shape.dropout = o.dropout;
  shape.outputs = output_count(p);
  shape.image = run.image;
  if (shape.input_dim() < 1)
    throw Error(ErrorKind::InvalidParameter, "the feature columns give the network no inputs",
                "Name at least one feature column.");
  // Before anything is allocated: the encoded rows (float dense part, int64
  // codes, a copy per split, per member training at once) and every member
  // with its optimiser state.
  // Images: 8-bit pixels per row (a copy per split), and a mini-batch's
  // activations (output, batch norm and ReLU of each block, with gradients).
  double image_bytes = 0;
  if (run.image) {
    const ImageSpec &im = *run.image;
    double activations = 0, h = im.height, w = im.width;
    for (std::size_t b = 0; b < im.widths.size(); ++b) {
      activations += 4.0 * 4 * im.widths[b] * h * w;
      if (static_cast<int>(b) < im.pools()) h = std::floor(h / 2), w = std::floor(w / 2);
    }
    image_bytes = static_cast<double>(rows.rows()) * im.channels * im.height * im.width * 2 +
                  activations * std::max(o.batch_size, 512);
  }
  const auto check_memory = [&](int members_at_once) {
    limits::check_training_memory(
        (static_cast<double>(rows.rows()) * (4.0 * shape.dense_dim + 8.0 * shape.cardinalities.size()) * 2 +
         image_bytes) *
                members_at_once +
            static_cast<double>(shape.parameter_count()) * std::max(o.ensemble, o.memory_members) *
                limits::kTrainBytesPerParameter,
        p.memory_limit,
        std::string(run.image ? "its pictures, encoded rows and network" : "its encoded rows and network") +
            (o.memory_members > o.ensemble
                 ? " with the " + std::to_string(o.memory_members) +
                       " members the refit after the search trains (\"ensemble\": 1 asks for one)"
                 : std::string()));
  };
  // Members side by side hold their rows' tensors at once (a search's
  // trial counts the refit's members). Where that is over the limit and one
  // at a time is not, they train one at a time.
  int side_by_side = members_side_by_side(o.ensemble, device);
  try {
    check_memory(members_side_by_side(std::max(o.ensemble, o.memory_members), device));
  } catch (const Error &e) {
    if (e.kind() != ErrorKind::ResourceLimit) throw;
    check_memory(1);
    side_by_side = 1;
  }

  const bool same_images = src && run.image.has_value() == src->shape.image.has_value() &&
                           (!run.image || (run.image->widths == src->shape.image->widths &&
                                           run.image->channels == src->shape.image->channels));
  const bool same_inputs = src && same_images && run.encoder.input_names() == src->encoder.input_names();
  const bool same_outputs = src && src->classifier == p.classifier && src->head == p.head && src->classes == p.classes;
  // Members differ by their seed: validation part, initial weights, batch order, dropout.
  struct Member {
    std::vector<long> train_part, val_part;
    TabularTensors train, val;
    Mlp net{nullptr};
    FitResult fit;
  };
  // Made on this thread, from LibTorch's global generator as one after the
  // other would: the initial weights are the same however the members train.
  auto prepare = [&](int member) {
    Member m;
    SplitRng rng(split_seed + static_cast<std::uint64_t>(member));
    std::tie(m.train_part, m.val_part) = stratified_holdout(rest, p.strata, o.val_fraction, rng);
    if (m.train_part.size() < 2)
      throw Error(ErrorKind::InsufficientData,
                  "too few rows to train on after holding out the test and validation parts",
                  "Supply more rows, or lower test_fraction and val_fraction.");
    std::vector<double> prior;
    m.train = tensors_for(run, p, rows.features, m.train_part, row_weights(p, o, m.train_part, prior));
    m.val = tensors_for(run, p, rows.features, m.val_part, row_weights(p, o, m.val_part, prior));
    torch::manual_seed(static_cast<std::uint64_t>(o.seed) + static_cast<std::uint64_t>(member));
    m.net = Mlp(shape);
    if (src) run.transfer = copy_layers(m.net, *src, same_inputs, same_outputs, same_images, o.freeze);
    m.net->to(device);
    return m;
  };
  auto keep = [&](int member, Member &m) {
    run.fit.epochs.insert(run.fit.epochs.end(), m.fit.epochs.begin(), m.fit.epochs.end());
    run.best_epochs.push_back(m.fit.best_epoch);
    run.nets.push_back(m.net);
    if (member == 0 && first_train) *first_train = m.train_part;
    if (member == 0 && first_val) *first_val = m.val_part;
  };
  if (side_by_side < 2) {
    for (int member = 0; member < o.ensemble; ++member) {
      Member m = prepare(member);
      m.fit = fit_mlp(m.net, m.train, m.val, o, p.head, device, hooks, member);
      keep(member, m);
    }
  } else {
    // side_by_side members at a time, each on a thread of its own (issue
    // 15) with an equal share of the intra-op threads, drawing from
    // generators seeded by the seed and its number: a seed gives one
    // ensemble for a given thread count (and the same wherever each member
    // gets one intra-op thread).
    const auto seed = static_cast<std::uint64_t>(o.seed);
    const int intra_threads = std::max(1, at::get_num_threads() / side_by_side);
    for (int first = 0; first < o.ensemble; first += side_by_side) {
      std::vector<Member> round;
      for (int member = first; member < std::min(o.ensemble, first + side_by_side); ++member)
        round.push_back(prepare(member));
      train_side_by_side(
          round.size(), side_by_side, hooks,
          [&](std::size_t k, const TrainHooks &on_member) {
            const auto member = static_cast<std::uint64_t>(first) + k;
            Member &m = round[k];
            m.fit = fit_mlp(m.net, m.train, m.val, o, p.head, device, on_member, static_cast<int>(member),
                            OwnGenerators{at::make_generator<at::CPUGeneratorImpl>(seed + member),
                                          at::make_generator<at::CPUGeneratorImpl>(seed * 1000003u + member * 1009u)});
          },
          intra_threads);
      for (std::size_t k = 0; k < round.size(); ++k) keep(first + static_cast<int>(k), round[k]);
    }
  }
  run.fit.best_epoch = run.best_epochs.front();
  return run;
}

// The members' mean output for rows idx, row after row (a class's
// probabilities, or a value), encoded and run a chunk at a time: a split of
// millions of rows never needs its encoded copy or its activations whole.
std::vector<double> member_outputs(Run &run, const Problem &p, const std::vector<TabularColumn> &cols,
                                   const std::vector<long> &idx, const torch::Device &device) {
  constexpr std::size_t kChunk = 65536;
  std::vector<double> out;
  for (std::size_t start = 0; start < idx.size(); start += kChunk) {
    const std::vector<long> chunk(idx.begin() + static_cast<long>(start),
                                  idx.begin() + static_cast<long>(std::min(idx.size(), start + kChunk)));
    const torch::Tensor v =
        predict_members(run.nets, tensors_for(run, p, cols, chunk, {}), p.head, device).contiguous();
    out.insert(out.end(), v.data_ptr<double>(), v.data_ptr<double>() + v.numel());
  }
  return out;
}

ClassPredictions class_predictions(Run &run, const Problem &p, const std::vector<TabularColumn> &cols,
                                   const std::vector<long> &idx, const torch::Device &device) {
  ClassPredictions out;
  out.classes = static_cast<int>(p.classes.size());
  out.positive = p.positive;
  out.threshold = run.threshold;
  out.probs = member_outputs(run, p, cols, idx, device);
  for (long r : idx) out.actual.push_back(p.y[r]);
  return out;
}

ClassPredictions majority_predictions(const Run &run, const Problem &p, const std::vector<long> &idx) {
  ClassPredictions out;
  out.classes = static_cast<int>(p.classes.size());
  for (long r : idx) {
    out.probs.insert(out.probs.end(), run.prior.begin(), run.prior.end());
    out.actual.push_back(p.y[r]);
  }
  return out;
}

std::vector<double> value_predictions(Run &run, const Problem &p, const std::vector<TabularColumn> &cols,
                                      const std::vector<long> &idx, const torch::Device &device) {
  std::vector<double> out = member_outputs(run, p, cols, idx, device);
  for (double &x : out) x = x * run.target_std + run.target_mean;
  return out;
}

// A binary classifier's decision threshold: the fixed one, or the one the
// rule picks on the validation rows (0.5 without validation rows of both
// classes). Test rows are never looked at.
void choose_threshold(Run &run, const Problem &p, const TabularOptions &o, const std::vector<TabularColumn> &cols,
                      const std::vector<long> &val, const torch::Device &device) {
  if (!p.classifier || p.classes.size() != 2) return;
  run.threshold = o.threshold == "fixed" ? o.threshold_value : 0.5;
  if (o.threshold == "fixed" || val.empty()) return;
  const ClassPredictions cp = class_predictions(run, p, cols, val, device);
  std::vector<double> scores;
  std::vector<bool> positive;
  for (long i = 0; i < cp.rows(); ++i) {
    scores.push_back(cp.probs[static_cast<std::size_t>(i * 2 + p.positive)]);
    positive.push_back(cp.actual[static_cast<std::size_t>(i)] == p.positive);
  }
  const double t = best_threshold(scores, positive, o.threshold);
  if (std::isfinite(t)) run.threshold = t;
}

std::vector<double> actual_values(const Problem &p, const std::vector<long> &idx) {
  std::vector<double> out;
  for (long r : idx) out.push_back(p.target[r]);
  return out;
}

// Model and baseline metrics of one split.
std::pair<Metrics, Metrics> evaluate(Run &run, const Problem &p, const TabularRows &rows, const std::vector<long> &idx,
                                     const torch::Device &device) {
  if (p.classifier)
    return {classification_metrics(class_predictions(run, p, rows.features, idx, device),
                                   p.positive < 0 ? 1 : p.positive, p.classes),
            classification_metrics(majority_predictions(run, p, idx), p.positive < 0 ? 1 : p.positive, p.classes)};
  std::vector<double> actual = actual_values(p, idx);
  return {regression_metrics(actual, value_predictions(run, p, rows.features, idx, device)),
          regression_metrics(actual, std::vector<double>(idx.size(), run.target_mean))};
}

// The score permutation importance watches: ROC AUC (accuracy when AUC is
// undefined) for classifiers, R² for regressors.
std::pair<std::string, double> importance_score(Run &run, const Problem &p, const std::vector<TabularColumn> &cols,
                                                const std::vector<long> &idx, const torch::Device &device) {
  if (!p.classifier) {
    auto m = regression_metrics(actual_values(p, idx), value_predictions(run, p, cols, idx, device));
    return {"r2", m[2].second};
  }
  ClassPredictions cp = class_predictions(run, p, cols, idx, device);
  double auc = roc_auc(cp, p.positive < 0 ? 1 : p.positive);
  if (std::isfinite(auc)) return {"roc_auc", auc};
  return {"accuracy", accuracy(cp)};
}

std::vector<FeatureImportance> permutation_importance(Run &run, const Problem &p, const TabularRows &rows,
                                                      const std::vector<long> &test, const TabularOptions &o,
                                                      const torch::Device &device, const TrainHooks &hooks) {
  // Only the rows scored are copied, renumbered from 0 (a column of every
  // row can take hundreds of MB); the permutations are those of the test
  // list's positions, as before.
  std::vector<TabularColumn> cols;
  for (const TabularColumn &c : rows.features) {
    TabularColumn kept;
    kept.name = c.name;
    kept.numeric = c.numeric;
    kept.image = c.image;
    for (long r : test)
      if (c.numeric)
        kept.numbers.push_back(c.numbers[r]);
      else
        kept.texts.push_back(c.texts[r]);
    cols.push_back(std::move(kept));
  }
  Problem q;  // p's settings, with the scored rows' labels only (not a copy of every row's first)
  q.classifier = p.classifier;
  q.head = p.head;
  q.label_type = p.label_type;
  q.classes = p.classes;
  q.positive = p.positive;
  q.memory_limit = p.memory_limit;
  for (long r : test) {
    if (!p.y.empty()) q.y.push_back(p.y[r]);
    if (!p.target.empty()) q.target.push_back(p.target[r]);
  }
  std::vector<long> idx(test.size());
  std::iota(idx.begin(), idx.end(), 0L);
  const auto [metric, base] = importance_score(run, q, cols, idx, device);
  SplitRng rng(static_cast<std::uint64_t>(o.seed) + 7919);
  std::vector<FeatureImportance> out;
  for (std::size_t f = 0; f < cols.size(); ++f) {
    const TabularColumn original = cols[f];
    std::vector<double> drops;
    for (int rep = 0; rep < o.importance_repeats; ++rep) {
      stop_if_interrupted(hooks);
      std::vector<long> from = idx;
      rng.shuffle(from);
      for (std::size_t i = 0; i < idx.size(); ++i) {
        if (original.numeric)
          cols[f].numbers[i] = original.numbers[from[i]];
        else
          cols[f].texts[i] = original.texts[from[i]];
      }
      drops.push_back(base - importance_score(run, q, cols, idx, device).second);
    }
    cols[f] = original;
    auto [mean, sd] = mean_and_std(drops);
    out.push_back({original.name, mean, sd, metric});
  }
  return out;
}

void add_metrics(std::vector<MetricRow> &out, const std::string &split, const std::string &estimator,
                 const Metrics &m) {
  for (const auto &[name, value] : m) out.push_back({split, estimator, name, value});
}

// k-fold scores (stratified for classifiers) of options o on rows idx:
// each fold trains a fresh network from the same seed on the other folds
// (with its own validation part for early stopping and the threshold) and
// is scored on the held-out fold. The same fold_seed gives the same folds.
struct FoldScores {
  int folds = 0;
  std::vector<std::string> order;  // the metrics, as evaluate names them
  std::map<std::string, std::vector<double>> model, baseline;
  std::vector<double> best_epochs;  // per fold, the mean over its members
};

FoldScores fold_scores(const TabularRows &rows, const Problem &p, const TabularOptions &o, const std::vector<long> &idx,
                       int k, std::uint64_t fold_seed, const torch::Device &device, const TrainHooks &hooks,
                       const TransferSource *src) {
  SplitRng rng(fold_seed);
  const auto folds = stratified_folds(idx, p.strata, k, rng);
  TrainHooks quiet;
  quiet.interrupted = hooks.interrupted;
  FoldScores out;
  out.folds = k;
  for (int f = 0; f < k; ++f) {
    std::vector<long> rest;
    for (int j = 0; j < k; ++j)
      if (j != f) rest.insert(rest.end(), folds[j].begin(), folds[j].end());
    std::sort(rest.begin(), rest.end());
    std::vector<long> fold_val;
    Run run = train_once(rows, p, o, rest, static_cast<std::uint64_t>(o.seed) + 1000 * (f + 1), device, quiet, src,
                         nullptr, &fold_val);
    choose_threshold(run, p, o, rows.features, fold_val, device);
    auto [m, b] = evaluate(run, p, rows, folds[f], device);
    for (const auto &[name, value] : m) {
      if (name.rfind("confusion:", 0) == 0 || name == "rows") continue;
      if (!out.model.count(name)) out.order.push_back(name);
      out.model[name].push_back(value);
    }
    out.best_epochs.push_back(std::accumulate(run.best_epochs.begin(), run.best_epochs.end(), 0.0) /
                              static_cast<double>(run.best_epochs.size()));
    for (const auto &[name, value] : b) out.baseline[name].push_back(value);
  }
  return out;
}

// The "cv" split's rows: each metric's mean and deviation over the folds.
void add_cv_metrics(const FoldScores &s, const Problem &p, std::vector<MetricRow> &out) {
  const std::string base_name = p.classifier ? "majority" : "mean";
  for (const auto &name : s.order) {
    const auto base = s.baseline.find(name);  // the majority class has no decision threshold
    auto [mm, ms] = mean_and_std(s.model.at(name));
    auto [bm, bs] = mean_and_std(base == s.baseline.end() ? std::vector<double>() : base->second);
    out.push_back({"cv", "model", name + "_mean", mm});
    out.push_back({"cv", "model", name + "_std", ms});
    out.push_back({"cv", base_name, name + "_mean", bm});
    out.push_back({"cv", base_name, name + "_std", bs});
  }
  out.push_back({"cv", "model", "folds", static_cast<double>(s.folds)});
}

// k-fold cross-validation over every row, for the "cv" metrics.
void cross_validate(const TabularRows &rows, const Problem &p, const TabularOptions &o, const torch::Device &device,
                    const TrainHooks &hooks, const TransferSource *src, std::vector<MetricRow> &out) {
  add_cv_metrics(fold_scores(rows, p, o, all_rows(p.strata.size()), o.cv, static_cast<std::uint64_t>(o.seed) + 104729,
                             device, hooks, src),
                 p, out);
}

struct SearchResult {
  TabularOptions chosen;
  FoldScores chosen_scores;
  std::vector<TrialRecord> trials;
};

// The search: every trial scored on the same search_folds folds of the
// training part (log loss or RMSE, lower is better; the test split is never
// seen); a trial that fails is recorded with no score and skipped.
SearchResult search_options(const TabularRows &rows, const Problem &p, const TabularOptions &o,
                            const std::vector<long> &rest, const torch::Device &device, const TrainHooks &hooks,
                            const TransferSource *src) {
  if (static_cast<int>(rest.size()) < 2 * o.search_folds)
    throw Error(ErrorKind::InsufficientData,
                "a search on " + std::to_string(o.search_folds) + " folds needs at least " +
                    std::to_string(2 * o.search_folds) + " training rows, not " + std::to_string(rest.size()),
                "Supply more rows, or lower search_folds.");
  OptionSearch search(o.user_json, searchable_tabular_options(o.classifier), list_valued_tabular_options());
  const std::string metric = p.classifier ? "log_loss" : "rmse";
  SearchResult out;
  int best = -1;
  std::optional<Error> first_failure;
  // A trial whose resolved options equal an earlier one's (dropout without a
  // second hidden layer, embedding_dim without embeddings) gets its score
  // without training again: the same seed and folds give the same score.
  std::map<std::string, double> scored;
  for (int t = 0; t < search.size(); ++t) {
    stop_if_interrupted(hooks);
    TabularOptions trial = parse_tabular_trial(o.classifier, search.next());
    if (src) trial.hidden = o.hidden;  // init_from's layers
    if (image_column_of(rows.features) >= 0) trial.apply_image_defaults();
    if (o.refit) trial.memory_members = refit_members(trial);
    const auto start = std::chrono::steady_clock::now();
    TrialRecord r;
    r.trial = t + 1;
    r.arch = "mlp";
    r.options_json = trial.to_json();
    r.metric = metric;
    FoldScores scores;
    const auto seen = scored.find(r.options_json);
    try {
      if (seen != scored.end()) {
        r.score = seen->second;
      } else {
        scores = fold_scores(rows, p, trial, rest, o.search_folds, static_cast<std::uint64_t>(o.seed) + 7877, device,
                             hooks, src);
        r.score = mean_and_std(scores.model.at(metric)).first;
        if (!std::isfinite(r.score))
          throw Error(ErrorKind::DataException, "its cross-validated " + metric + " is not a finite number",
                      "The features hold values too large to compute with; check them.");
        scored[r.options_json] = r.score;
      }
    } catch (const Error &e) {
      if (e.kind() == ErrorKind::Interrupted) throw;
      r.score = std::numeric_limits<double>::quiet_NaN();
      scored[r.options_json] = r.score;
      if (!first_failure) first_failure = e;
      if (hooks.notice) hooks.notice("search: trial " + std::to_string(t + 1) + " failed: " + e.what());
    }
    r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    search.report(r.score);
    if (std::isfinite(r.score) && (best < 0 || r.score < out.trials[static_cast<std::size_t>(best)].score)) {
      best = t;
      out.chosen = trial;
      out.chosen_scores = std::move(scores);
    }
    out.trials.push_back(r);
  }
  if (best < 0)  // the first failure, as it would be without a search
    throw Error(first_failure->kind(),
                std::string("every trial of the search failed; the first: ") + first_failure->what(),
                first_failure->hint());
  out.trials[static_cast<std::size_t>(best)].chosen = true;
  out.chosen.search = o.search;
  out.chosen.trials = o.trials;
  out.chosen.search_folds = o.search_folds;
  out.chosen.user_json = o.user_json;
  if (hooks.notice) {
    char line[200];
    std::snprintf(line, sizeof line, "search (%s, %d trials, %d folds of the training rows): chose trial %d, %s %.4f",
                  o.search.c_str(), search.size(), o.search_folds, best + 1, metric.c_str(),
                  out.trials[static_cast<std::size_t>(best)].score);
    hooks.notice(line);
  }
  return out;
}

std::optional<TransferSource> decode_transfer(std::string_view bytes, const std::string &name) {
  if (bytes.empty()) return std::nullopt;
  ModelBlob blob = decode_blob(bytes);
  if (blob.kind == ModelKind::Forecaster)
    throw Error(ErrorKind::InvalidParameter, "option \"init_from\": model \"" + name + "\" is a forecaster",
                "Start from a classifier or regressor.");
  TransferSource src;
  try {
    json state = json::parse(blob.state_json);
    src.classifier = blob.kind == ModelKind::Classifier;
    src.head = head_from_name(state.at("head").get<std::string>());
    src.classes = state.at("classes").get<std::vector<std::string>>();
    src.encoder = TabularEncoder::from_json(state.at("encoder"));
    src.shape = MlpShape::from_json(state.at("shape"));
    src.members = state.at("members").get<int>();
  } catch (const json::exception &e) {
    throw Error(ErrorKind::CorruptModel, std::string("model state is invalid: ") + e.what(), "Retrain the model.");
  }
  src.net = load_mlps(src.shape, blob.weights, 1).front();
  return src;
}

// Whether the model beats its baseline where it was not trained: on the test
// split, or with refit in cross-validation (the means over the folds). A
// classifier is judged by balanced accuracy (the majority class scores 1 / K,
// so a model that predicts one class never beats it), a regressor by RMSE.
void judge_against_baseline(TrainedTabular &out, const Problem &p, bool refit) {
  const std::string split = refit ? "cv" : "test", suffix = refit ? "_mean" : "";
  const std::string baseline = p.classifier ? "majority" : "mean";
  const auto find = [&](const std::string &estimator, const std::string &metric) {
    for (const MetricRow &r : out.metrics)
      if (r.split == split && r.estimator == estimator && r.metric == metric + suffix) return r.value;
    return std::nan("");
  };
  const std::string metric = p.classifier ? "balanced_accuracy" : "rmse";
  const double model = find("model", metric), base = find(baseline, metric);
  if (std::isnan(model) || std::isnan(base)) return;
  const bool beats = p.classifier ? model > base + 1e-9 : model < base - 1e-9 * std::max(1.0, std::abs(base));
  out.metrics.push_back({split, "model", "beats_baseline", beats ? 1.0 : 0.0});
  if (beats) return;
  const std::string where = refit ? "in cross-validation" : "on its test split";
  char line[256];
  if (p.classifier) {
    std::snprintf(line, sizeof line, "balanced accuracy %.3f against %.3f (accuracy %.3f against %.3f)", model, base,
                  find("model", "accuracy"), find(baseline, "accuracy"));
    out.warnings.push_back({"the classifier does not beat the majority class " + where + ": " + line,
                            "It is deployed all the same; xb.model_metrics has every split. Try \"class_weights\": "
                            "\"balanced\", a smaller network (\"hidden\": [32]), or more rows or features."});
  } else {
    std::snprintf(line, sizeof line, "RMSE %.6g against %.6g", model, base);
    out.warnings.push_back({"the regressor does not beat predicting the mean " + where + ": " + line,
                            "It is deployed all the same; xb.model_metrics has every split. Try \"loss\": "
                            "\"huber\", a smaller network (\"hidden\": [32]), or more rows or features."});
  }
}

std::string hidden_list(const std::vector<int> &h) {
  std::string s = "[";
  for (std::size_t i = 0; i < h.size(); ++i) s += (i ? ", " : "") + std::to_string(h[i]);
  return s + "]";
}

TrainedTabular train_tabular(const TabularRows &rows, Problem p, TabularOptions o, const RuntimeSettings &runtime,
                             const TrainHooks &hooks, std::string_view init_from_blob) {
  p.memory_limit = training_memory_limit(runtime);
  const long n = static_cast<long>(rows.rows());
  if (rows.features.empty()) throw Error(ErrorKind::InvalidParameter, "feature_cols must name at least one column");
  if (image_column_of(rows.features) >= 0) o.apply_image_defaults();
  std::optional<TransferSource> src = decode_transfer(init_from_blob, o.init_from);
  if (src) {
    if (o.hidden_given && o.hidden != src->shape.hidden)
      throw Error(ErrorKind::InvalidParameter,
                  "option \"hidden\" " + hidden_list(o.hidden) + " differs from the hidden layers " +
                      hidden_list(src->shape.hidden) + " of \"" + o.init_from + "\"",
                  "Leave \"hidden\" out to take the layers of the model you start from.");
    o.hidden = src->shape.hidden;
  }
  torch::Device device = prepare_runtime(runtime);

  if (o.threshold_given && p.classes.size() != 2)
    throw Error(ErrorKind::InvalidParameter, "option \"threshold\" is for two classes",
                "The label has " + std::to_string(p.classes.size()) + " classes; each row gets the most probable one.");
  std::vector<long> rest, test;
  if (o.refit) {
    rest = all_rows(static_cast<std::size_t>(n));  // cross-validation below gives the metrics
  } else {
    std::tie(rest, test) = stable_holdout(all_rows(static_cast<std::size_t>(n)), p.strata,
                                          row_keys(rows, static_cast<std::uint64_t>(o.seed)), o.test_fraction);
    if (test.empty() || rest.size() < 2)
      throw Error(ErrorKind::InsufficientData,
                  "the source has too few rows (" + std::to_string(n) + ") for a training and a test part",
                  "Supply more rows, or raise test_fraction.");
  }
  if (o.cv > n)
    throw Error(ErrorKind::InsufficientData,
                "option \"cv\" " + std::to_string(o.cv) + " needs at least as many rows, not " + std::to_string(n));

  TrainedTabular out;
  std::optional<SearchResult> searched;
  if (o.search != "none") {
    searched = search_options(rows, p, o, rest, device, hooks, src ? &*src : nullptr);
    o = searched->chosen;
    out.trials = searched->trials;
    if (o.refit) {
      // As a refit after a search does elsewhere: every row trains the
      // model, for as many epochs as the chosen trial's folds stopped at,
      // and the decision threshold is the mean of theirs (their validation
      // parts chose it, or it was given).
      const FoldScores &chosen = searched->chosen_scores;
      o.val_fraction = 0;
      // The search's score averages its folds' models over their seeds;
      // one refit model is a single seed's draw, whose variance on a few
      // hundred rows is as large as the differences between trials. Unless
      // "ensemble" was given, kRefitMembers seeds are averaged (5 trainings
      // beside the search's trials x folds).
      o.ensemble = refit_members(o);
      o.epochs = std::max(1, static_cast<int>(std::lround(mean_and_std(chosen.best_epochs).first)));
      const auto thresholds = chosen.model.find("threshold");
      if (thresholds != chosen.model.end() && !thresholds->second.empty()) {
        o.threshold = "fixed";
        o.threshold_value = std::clamp(mean_and_std(thresholds->second).first, 1e-6, 1 - 1e-6);
      }
    }
  }
  std::vector<long> train, val;
  Run run = train_once(rows, p, o, rest, static_cast<std::uint64_t>(o.seed) + 1, device, hooks, src ? &*src : nullptr,
                       &train, &val);
  choose_threshold(run, p, o, rows.features, val, device);
  out.epochs = run.fit.epochs;
  out.best_epoch = run.fit.best_epoch;
  out.transfer = run.transfer;
  if (!run.transfer.empty() && hooks.notice) hooks.notice("init_from \"" + o.init_from + "\": " + run.transfer);

  const std::string base_name = p.classifier ? "majority" : "mean";
  for (const auto &[split, idx] :
       {std::pair<const char *, const std::vector<long> *>{"train", &train}, {"validation", &val}, {"test", &test}}) {
    if (idx->empty()) continue;
    auto [m, b] = evaluate(run, p, rows, *idx, device);
    add_metrics(out.metrics, split, "model", m);
    add_metrics(out.metrics, split, base_name, b);
  }
  if (o.cv > 0)
    cross_validate(rows, p, o, device, hooks, src ? &*src : nullptr, out.metrics);
  else if (searched && o.refit)  // the chosen trial's folds: every row trained the model
    add_cv_metrics(searched->chosen_scores, p, out.metrics);
  judge_against_baseline(out, p, o.refit);
  out.test_rows = test;
  // On rows the deployed network did not train on: the test split, or with
  // refit the validation part (the training rows when there is none).
  out.importance = permutation_importance(run, p, rows,
                                          !test.empty()  ? test
                                          : !val.empty() ? val
                                                         : train,
                                          o, device, hooks);

  json features = json::array();
  for (const auto &c : rows.features) {
    json f = {{"name", c.name}, {"numeric", c.numeric}};
    if (c.image) f["image"] = true;
    features.push_back(f);
  }
  json importance = json::array();
  for (const auto &fi : out.importance)
    importance.push_back(
        {{"feature", fi.feature}, {"importance", fi.importance}, {"std", fi.importance_std}, {"metric", fi.metric}});
  for (auto &net : run.nets) net->to(torch::kCPU);
  json state = {{"head", head_name(p.head)},
                {"label", rows.label_name},
                {"label_type", label_type_name(p.label_type)},
                {"classes", p.classes},
                {"positive", p.positive},
                {"target_mean", run.target_mean},
                {"target_std", run.target_std},
                {"features", features},
                {"encoder", run.encoder.to_json()},
                {"shape", run.nets.front()->shape().to_json()},
                {"members", run.nets.size()},
                {"options", json::parse(o.to_json())},
                {"importance", importance}};
  if (std::isfinite(run.threshold)) state["threshold"] = run.threshold;
  if (p.classifier) state["prior"] = run.prior;  // the majority baseline of an evaluation
  ModelBlob blob{p.classifier ? ModelKind::Classifier : ModelKind::Regressor, "mlp", state.dump(), save_mlps(run.nets)};
  out.blob = encode_blob(blob);

  json hp = json::parse(o.to_json());
  hp["inputs"] = run.nets.front()->shape().input_dim();
  hp["best_epochs"] = run.best_epochs;
  hp["rows"] = {{"train", train.size()}, {"validation", val.size()}, {"test", test.size()}};
  if (p.classifier) hp["classes"] = p.classes;
  if (std::isfinite(run.threshold)) hp["decision_threshold"] = run.threshold;
  if (!run.transfer.empty()) hp["transfer"] = run.transfer;
  if (run.image) hp["image"] = run.image->to_json();
  if (searched) {
    int chosen = 0;
    for (const auto &t : out.trials) chosen = t.chosen ? t.trial : chosen;
    hp["search"] = {{"mode", o.search},
                    {"trials", out.trials.size()},
                    {"folds", o.search_folds},
                    {"metric", out.trials.front().metric},
                    {"chosen_trial", chosen}};
  }
  out.hyperparameters_json = hp.dump();
  out.classes = p.classes;
  out.device = runtime_description(device);
  return out;  // timed by the caller (train_classifier, train_regressor)
}

}  // namespace

TrainedTabular train_classifier(const TabularRows &rows, const TabularOptions &options, const RuntimeSettings &runtime,
                                const TrainHooks &hooks, std::string_view init_from_blob) {
  if (!options.classifier) throw Error(ErrorKind::Internal, "classifier options expected");
  PhaseClock clock;
  TrainedTabular out =
      train_tabular(rows, classifier_problem(rows, options), options, runtime, clock.watch(hooks), init_from_blob);
  out.seconds = clock.seconds();
  out.prepare_seconds = clock.prepare_seconds();
  return out;
}

TrainedTabular train_regressor(const TabularRows &rows, const TabularOptions &options, const RuntimeSettings &runtime,
                               const TrainHooks &hooks, std::string_view init_from_blob) {
  if (options.classifier) throw Error(ErrorKind::Internal, "regressor options expected");
  PhaseClock clock;
  TrainedTabular out =
      train_tabular(rows, regressor_problem(rows), options, runtime, clock.watch(hooks), init_from_blob);
  out.seconds = clock.seconds();
  out.prepare_seconds = clock.prepare_seconds();
  return out;
}

}  // namespace xb
