#include "core/tabular/options.hpp"

#include <algorithm>
#include <cmath>
#include <nlohmann/json.hpp>

#include "core/common/error.hpp"
#include "core/common/limits.hpp"
#include "core/common/option_checks.hpp"
#include "core/common/search.hpp"

namespace xb {
namespace {

using nlohmann::json;

constexpr const char *kClassifierKeys =
    "preset, hidden, dropout, epochs, batch_size, lr, lr_decay, lr_schedule, weight_decay, patience, seed, "
    "test_fraction, val_fraction, "
    "encoding, embedding_dim, min_count, class_weights, cv, refit, output, init_from, freeze, positive_class, "
    "threshold, categorical, importance_repeats, ensemble, image, label_smoothing, search, trials, search_folds";
constexpr const char *kRegressorKeys =
    "preset, hidden, dropout, epochs, batch_size, lr, lr_decay, lr_schedule, weight_decay, patience, seed, "
    "test_fraction, val_fraction, "
    "encoding, embedding_dim, min_count, cv, refit, loss, init_from, freeze, categorical, importance_repeats, "
    "ensemble, image, search, trials, search_folds";

std::string nonempty_string(const json &v, const std::string &key, const std::string &hint) {
  if (!v.is_string() || v.get<std::string>().empty()) throw option_checks::bad(key, "must be a non-empty string", hint);
  return v.get<std::string>();
}

std::vector<int> hidden_sizes(const json &v) {
  const std::string hint =
      "Use an array of up to 8 positive layer widths, e.g. [128, 32]; [] is a linear model (logistic regression "
      "for a classifier).";
  if (!v.is_array() || v.size() > static_cast<std::size_t>(limits::kMaxTabularLayers))
    throw option_checks::bad("hidden", "must be an array of positive integers", hint);
  std::vector<int> out;
  for (const auto &w : v) {
    if (!w.is_number() || w.get<double>() != std::floor(w.get<double>()) || w.get<double>() < 1 ||
        w.get<double>() > limits::kMaxHidden)
      throw option_checks::bad("hidden", "must be an array of positive integers, not " + v.dump(), hint);
    out.push_back(w.get<int>());
  }
  return out;
}

constexpr const char *kImageKeys =
    "height, width, channels, resize, nulls, normalize, widths, flip, shift, erase_unattended, erase_from, "
    "attend_blank";

void image_options(TabularOptions &o, const json &v) {
  const std::string hint =
      std::string("An object with any of: ") + kImageKeys + ", e.g. {\"height\": 28, \"width\": 28, \"resize\": true}.";
  if (!v.is_object()) throw option_checks::bad("image", "must be an object", hint);
  ImageSpec &s = o.image;
  for (const auto &[key, x] : v.items()) {
    const std::string name = "image." + key;
    if (key == "height") {
      s.height = static_cast<int>(option_checks::integer(x, name, 1, kMaxImageSide));
      o.image_size_given = true;
    } else if (key == "width") {
      s.width = static_cast<int>(option_checks::integer(x, name, 1, kMaxImageSide));
      o.image_size_given = true;
    } else if (key == "channels") {
      s.channels = static_cast<int>(option_checks::integer(x, name, 1, 3));
      if (s.channels == 2) throw option_checks::bad(name, "must be 1 (grey) or 3 (RGB)");
      o.image_channels_given = true;
    } else if (key == "resize") {
      if (!x.is_boolean()) throw option_checks::bad(name, "must be true or false");
      s.resize = x.get<bool>();
    } else if (key == "nulls") {
      s.null_as_missing = option_checks::one_of(x, name, {"error", "missing"}) == "missing";
    } else if (key == "normalize") {
      s.normalize = option_checks::one_of(x, name, {"standardize", "unit"});
    } else if (key == "widths") {
      const std::string whint =
          "Five convolution widths from 1 to " + std::to_string(kMaxImageChannels) + ", e.g. [16, 32, 64, 64, 64].";
      if (!x.is_array() || x.size() != static_cast<std::size_t>(kImageBlocks))
        throw option_checks::bad(name, "must be an array of five widths", whint);
      s.widths.clear();
      for (const auto &w : x)
        s.widths.push_back(static_cast<int>(option_checks::integer(w, name, 1, kMaxImageChannels)));
    } else if (key == "flip") {
      if (!x.is_boolean()) throw option_checks::bad(name, "must be true or false");
      s.flip = x.get<bool>();
    } else if (key == "shift") {
      s.shift = static_cast<int>(option_checks::integer(x, name, 0, 16));
    } else if (key == "erase_unattended") {
      s.erase_unattended = option_checks::in_range(x, name, 0, false, 1, false);
    } else if (key == "erase_from") {
      s.erase_from = option_checks::in_range(x, name, 0, false, 1, true);
    } else if (key == "attend_blank") {
      if (!x.is_boolean()) throw option_checks::bad(name, "must be true or false");
      s.attend_blank = x.get<bool>();
    } else {
      throw Error(ErrorKind::InvalidParameter, "unknown option \"" + name + "\"",
                  std::string("Known image options: ") + kImageKeys + ".");
    }
  }
  if (o.image_size_given && (!v.contains("height") || !v.contains("width")))
    throw option_checks::bad("image", "needs both height and width", hint);
}

void class_weights(TabularOptions &o, const json &v) {
  const std::string hint = "Use \"none\", \"balanced\" or an object of class -> positive weight, e.g. {\"1\": 2}.";
  if (v.is_string()) {
    o.class_weights = option_checks::one_of(v, "class_weights", {"none", "balanced"});
    return;
  }
  if (!v.is_object() || v.empty()) throw option_checks::bad("class_weights", "must be a string or an object", hint);
  o.class_weights = "given";
  o.class_weight_map.clear();
  for (const auto &[label, w] : v.items()) {
    if (!w.is_number() || !(w.get<double>() > 0) || !std::isfinite(w.get<double>()))
      throw option_checks::bad(
          "class_weights", "must give each class a positive weight, not " + w.dump() + " for \"" + label + "\"", hint);
    o.class_weight_map[label] = w.get<double>();
  }
}

// The paper's network: label encoding + standardisation, 12 -> 128 -> dropout
// 0.2 -> 32 -> 2 sigmoid units, Adam, 500 epochs on an 80/20 holdout, no
// early stopping and no weight decay.
void apply_paper_preset(TabularOptions &o) {
  o.preset = "paper";
  o.encoding = "label";
  o.hidden = {128, 32};
  o.dropout = 0.2;
  o.epochs = 500;
  o.batch_size = 32;
  o.lr = 0.001;
  o.weight_decay = 0;
  o.test_fraction = 0.2;
  o.val_fraction = 0;
  o.min_count = 1;
  o.ensemble = 1;
  if (o.classifier) o.output = "sigmoid2";
}

void apply(TabularOptions &o, const std::string &key, const json &v) {
  const bool c = o.classifier;
  if (key == "preset") {
    option_checks::one_of(v, key, {"paper"});
  } else if (key == "hidden") {
    o.hidden = hidden_sizes(v);
    o.hidden_given = true;
  } else if (key == "dropout")
    o.dropout = option_checks::in_range(v, key, 0, false, 1, true);
  else if (key == "epochs")
    o.epochs = option_checks::integer(v, key, 1, 100000);
  else if (key == "batch_size")
    o.batch_size = option_checks::integer(v, key, 1, 1 << 20);
  else if (key == "lr")
    o.lr = option_checks::in_range(v, key, 0, true, 10, false);
  else if (key == "lr_decay")
    o.lr_decay = option_checks::in_range(v, key, 0, true, 1, false);
  else if (key == "lr_schedule")
    o.lr_schedule = option_checks::one_of(v, key, {"plateau", "cosine"});
  else if (key == "weight_decay")
    o.weight_decay = option_checks::in_range(v, key, 0, false, 1, false);
  else if (key == "patience")
    o.patience = option_checks::integer(v, key, 0, 100000);
  else if (key == "seed")
    o.seed = option_checks::integer(v, key, 0, 2147483647L);
  else if (key == "test_fraction")
    o.test_fraction = option_checks::in_range(v, key, 0, true, 0.5, false);
  else if (key == "val_fraction")
    o.val_fraction = option_checks::in_range(v, key, 0, false, 0.5, false);
  else if (key == "encoding")
    o.encoding = option_checks::one_of(v, key, {"onehot", "label", "embedding"});
  else if (key == "embedding_dim")
    o.embedding_dim = option_checks::integer(v, key, 0, limits::kMaxEmbedding);
  else if (key == "min_count")
    o.min_count = option_checks::integer(v, key, 1, 1000000);
  else if (key == "cv") {
    long k = option_checks::integer(v, key, 0, 20);
    if (k == 1) throw option_checks::bad(key, "must be 0 (none) or from 2 to 20, not 1");
    o.cv = static_cast<int>(k);
  } else if (key == "refit") {
    if (!v.is_boolean()) throw option_checks::bad(key, "must be true or false");
    o.refit = v.get<bool>();
  } else if (key == "init_from")
    o.init_from = nonempty_string(v, key, "Name a deployed classifier or regressor.");
  else if (key == "freeze") {
    if (!v.is_boolean()) throw option_checks::bad(key, "must be true or false");
    o.freeze = v.get<bool>();
  } else if (key == "categorical") {
    if (!v.is_array())
      throw option_checks::bad(key, "must be an array of column names", "For example [\"size_code\"].");
    o.categorical.clear();
    for (const auto &n : v) o.categorical.push_back(nonempty_string(n, key, "For example [\"size_code\"]."));
  } else if (key == "ensemble")
    o.ensemble = option_checks::integer(v, key, 1, limits::kMaxEnsemble);
  else if (key == "search_folds")
    o.search_folds = static_cast<int>(option_checks::integer(v, key, 2, 10));
  else if (key == "importance_repeats")
    o.importance_repeats = option_checks::integer(v, key, 1, 100);
  else if (key == "image")
    image_options(o, v);
  else if (c && key == "class_weights")
    class_weights(o, v);
  else if (c && key == "output")
    o.output = option_checks::one_of(v, key, {"auto", "sigmoid2"});
  else if (c && key == "threshold") {
    o.threshold_given = true;
    if (v.is_number()) {
      o.threshold = "fixed";
      o.threshold_value = option_checks::in_range(v, key, 0, true, 1, true);
    } else {
      o.threshold = option_checks::one_of(v, key, {"balanced_accuracy", "f1"});
    }
  } else if (c && key == "label_smoothing")
    o.label_smoothing = option_checks::in_range(v, key, 0, false, 0.5, true);
  else if (c && key == "positive_class")
    o.positive_class = nonempty_string(v, key, "Name one of the label's classes.");
  else if (!c && key == "loss")
    o.loss = option_checks::one_of(v, key, {"mse", "huber"});
  else
    throw Error(ErrorKind::InvalidParameter, "unknown option \"" + key + "\"",
                std::string("Known options: ") + (c ? kClassifierKeys : kRegressorKeys) + ".");
}

// One set of values, no arrays to search (a search's trial when in_search).
TabularOptions parse_values(bool classifier, const json &user, bool in_search) {
  TabularOptions o;
  o.classifier = classifier;
  // The preset first, so that any other key given beside it overrides it.
  if (user.contains("preset")) {
    apply(o, "preset", user.at("preset"));
    apply_paper_preset(o);
  }
  for (const auto &[key, value] : user.items()) {
    apply(o, key, value);
    o.given.insert(key);
  }
  if (o.refit && o.cv == 0 && !in_search)
    throw option_checks::bad(
        "refit", "needs \"cv\" or a search",
        "With refit every row trains the deployed model, so cross-validation gives its metrics, e.g. "
        "{\"cv\": 5, \"refit\": true}.");
  if (o.freeze && o.init_from.empty())
    throw option_checks::bad("freeze", "needs \"init_from\"",
                             "Name the model to start from, e.g. {\"init_from\": \"dress_reco\"}.");
  if (o.given.count("search_folds") && !in_search)
    throw option_checks::bad("search_folds", "is for a search",
                             "Give options to search as arrays, e.g. {\"hidden\": [[], [32]], \"search_folds\": 5}.");
  return o;
}

}  // namespace

const std::vector<std::string> &searchable_tabular_options(bool classifier) {
  static const std::vector<std::string> common{"hidden",   "dropout",       "epochs",       "batch_size", "lr",
                                               "lr_decay", "lr_schedule",   "weight_decay", "patience",   "ensemble",
                                               "encoding", "embedding_dim", "min_count"};
  static const std::vector<std::string> classifier_keys = [] {
    auto k = common;
    k.push_back("class_weights");
    return k;
  }();
  static const std::vector<std::string> regressor_keys = [] {
    auto k = common;
    k.push_back("loss");
    return k;
  }();
  return classifier ? classifier_keys : regressor_keys;
}

// What {"search": "bayes"} tries when no option is given as an array: the
// network's capacity from a linear model up to the default, and the
// regularisation that a few hundred rows need (weight decay up to 0.3,
// dropout), at two learning rates.
static const json &default_search_space() {
  static const json space = json::parse(R"({"hidden": [[], [32], [128, 32]],
                                            "weight_decay": [0.0001, 0.001, 0.01, 0.03, 0.1, 0.3],
                                            "dropout": [0, 0.2, 0.5], "lr": [0.01, 0.001]})");
  return space;
}

const std::vector<std::string> &list_valued_tabular_options() {
  static const std::vector<std::string> keys{"hidden", "categorical"};
  return keys;
}

TabularOptions parse_tabular_options(bool classifier, const std::string &options_json) {
  json user = option_checks::parse_options_json(options_json);
  if (!user.is_object())
    throw Error(ErrorKind::InvalidParameter, "options must be a JSON object", "Example: '{\"epochs\": 50}'");
  // Before the search: an unknown key given as an array is unknown, not unsearchable.
  const std::string known = classifier ? kClassifierKeys : kRegressorKeys;
  for (const auto &item : user.items())
    if ((", " + known + ",").find(", " + item.key() + ",") == std::string::npos) {
      TabularOptions scratch;
      scratch.classifier = classifier;
      apply(scratch, item.key(), item.value());  // throws: unknown option
    }
  // "search" with nothing given as an array searches the default space
  // (the options given stay as they are).
  if (user.contains("search")) {
    json plain = user;
    plain.erase("search");
    plain.erase("trials");
    if (OptionSearch(plain.dump(), searchable_tabular_options(classifier), list_valued_tabular_options()).mode() ==
        "none")
      for (const auto &[key, values] : default_search_space().items())
        if (!user.contains(key) && !(key == "hidden" && user.contains("init_from")))  // init_from gives the layers
          user[key] = values;
  }
  const OptionSearch search(user.dump(), searchable_tabular_options(classifier), list_valued_tabular_options());
  if (search.mode() == "none") return parse_values(classifier, user, false);
  if (user.contains("init_from") &&
      std::find(search.searched().begin(), search.searched().end(), "hidden") != search.searched().end())
    throw option_checks::bad("hidden", "cannot be searched with \"init_from\"",
                             "The layers come from the model you start from.");
  // Every value searched must be valid before any training starts.
  const std::vector<std::string> docs = search.documents_to_check();
  for (const auto &doc : docs) parse_values(classifier, json::parse(doc), true);
  TabularOptions o = parse_values(classifier, json::parse(docs.front()), true);
  o.search = search.mode();
  o.trials = search.size();
  o.user_json = user.dump();
  return o;
}

TabularOptions parse_tabular_trial(bool classifier, const std::string &trial_json) {
  return parse_values(classifier, json::parse(trial_json), true);
}

void TabularOptions::apply_image_defaults() {
  if (!preset.empty()) return;  // a preset names every training setting itself
  if (!given.count("batch_size")) batch_size = 128;
  if (!given.count("epochs")) epochs = 30;
  if (!given.count("patience")) patience = 3;
  if (!given.count("lr_decay")) lr_decay = 0.5;
  // Held-out Fashion-MNIST pictures: 0.9272 with a cosine schedule against
  // 0.9216 halving on plateaus (test/bench/image_attention_study.cpp, README).
  if (!given.count("lr_schedule")) lr_schedule = "cosine";
}

std::string TabularOptions::to_json() const {
  json j = {{"hidden", hidden},
            {"dropout", dropout},
            {"epochs", epochs},
            {"batch_size", batch_size},
            {"lr", lr},
            {"weight_decay", weight_decay},
            {"patience", patience},
            {"seed", seed},
            {"test_fraction", test_fraction},
            {"val_fraction", val_fraction},
            {"encoding", encoding},
            {"min_count", min_count},
            {"importance_repeats", importance_repeats},
            {"ensemble", ensemble}};
  if (!preset.empty()) j["preset"] = preset;
  if (lr_decay < 1) j["lr_decay"] = lr_decay;
  if (lr_schedule != "plateau") j["lr_schedule"] = lr_schedule;
  if (encoding == "embedding") j["embedding_dim"] = embedding_dim;
  if (cv) j["cv"] = cv;
  if (search != "none") j["search_folds"] = search_folds;
  if (refit) j["refit"] = true;
  if (!init_from.empty()) {
    j["init_from"] = init_from;
    j["freeze"] = freeze;
  }
  if (!categorical.empty()) j["categorical"] = categorical;
  if (classifier) {
    j["output"] = output;
    if (class_weights == "given")
      j["class_weights"] = class_weight_map;
    else
      j["class_weights"] = class_weights;
    if (!positive_class.empty()) j["positive_class"] = positive_class;
    if (label_smoothing > 0) j["label_smoothing"] = label_smoothing;
    if (threshold == "fixed")
      j["threshold"] = threshold_value;
    else
      j["threshold"] = threshold;
  } else {
    j["loss"] = loss;
  }
  return j.dump();
}

}  // namespace xb
