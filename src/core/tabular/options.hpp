// Classifier and regressor hyperparameters: parsed from the options jsonb
// text and checked. Unknown keys, wrong types and out-of-range values are
// errors naming the key, never ignored. Torch-free.
#pragma once
#include <cstdint>
#include <map>
#include <string>
#include <set>
#include <vector>

#include "core/image/shape.hpp"

namespace xb {

struct TabularOptions {
  bool classifier = true;
  std::string preset;                // "" or "paper"
  std::vector<int> hidden{128, 32};  // hidden layer widths
  bool hidden_given = false;         // set by the caller (init_from otherwise takes its model's)
  double dropout = 0.2;              // after every hidden layer but the last
  int epochs = 200;
  int batch_size = 32;
  double lr = 0.001;
  double weight_decay = 0.001;
  double lr_decay = 1;                  // the learning rate's factor after an epoch without a better validation loss
  std::string lr_schedule = "plateau";  // plateau (lr_decay) | cosine (from lr to 0 over the epochs)
  // Classifiers: the training targets moved this far towards uniform (the
  // validation loss, which early stopping reads, stays on the true labels).
  double label_smoothing = 0;
  int patience = 20;  // early stopping on validation loss
  int ensemble = 1;   // members from seeds seed, seed+1, ...; their probabilities are averaged
  // The members the memory check counts: a search's trials are checked for
  // the members their refit would train, so a refit too large for
  // xb.max_train_memory fails its trial, not the end of a long search.
  int memory_members = 0;
  std::int64_t seed = 42;
  double test_fraction = 0.2;
  double val_fraction = 0.2;           // of the training part; 0: no early stopping
  std::string encoding = "onehot";     // onehot | label | embedding
  int embedding_dim = 0;               // 0: min(16, (categories + 1) / 2)
  int min_count = 3;                   // rarer categories go to the "other" bucket
  std::string class_weights = "none";  // none | balanced | given (class_weight_map)
  std::map<std::string, double> class_weight_map;
  int cv = 0;                   // k-fold cross-validation (0: none)
  std::string loss = "mse";     // regressor: mse | huber
  std::string output = "auto";  // classifier: auto (sigmoid / softmax) | sigmoid2 (the paper's 2 sigmoid units)
  std::string init_from;        // transfer learning: a deployed model's name
  bool freeze = false;          // freeze the copied layers
  std::string positive_class;   // the class xb_recommend reports ("" = the larger of two)
  // Binary classifiers: the positive class is predicted when its probability
  // is at least the threshold: "fixed" (threshold_value), or the value that
  // maximises "balanced_accuracy" (default) or "f1" on the validation rows.
  std::string threshold = "balanced_accuracy";
  double threshold_value = 0.5;
  bool threshold_given = false;
  bool refit = false;  // after cross-validation, the deployed model trains on every row (no test split)
  std::vector<std::string> categorical;  // numeric columns to treat as categories
  int importance_repeats = 5;            // permutation importance shuffles per feature
  // A search (options given as arrays, core/common/search.hpp): each trial
  // is scored by search_folds-fold cross-validation inside the training
  // part (log loss or RMSE), and the best trial's options train the model.
  std::string search = "none";  // none | grid | random | bayes
  int trials = 1;
  int search_folds = 5;
  std::string user_json;  // the options as given, arrays and all
  // Image features: preprocessing and encoder ("image": {...}); the size and
  // channels not given come from the first training image, the mean and
  // deviation from the training images.
  ImageSpec image;
  bool image_size_given = false, image_channels_given = false;
  std::set<std::string> given;  // the top-level keys the caller set

  // Where the rows hold an image feature, the training settings the caller
  // left out take the image defaults (mini-batches of 128, 30 epochs, the
  // cosine schedule; patience 3 and lr_decay 0.5 for one who asks for the
  // plateau schedule): an image network learns from far more rows per epoch.
  void apply_image_defaults();

  std::string to_json() const;  // every resolved value, for the catalog
};

// Throws Error(InvalidParameter) naming the bad key. With a search, every
// value searched is checked and the options are the first trial's.
TabularOptions parse_tabular_options(bool classifier, const std::string &options_json);
// One trial of a search (OptionSearch::next()).
TabularOptions parse_tabular_trial(bool classifier, const std::string &trial_json);

// The options that may be given as arrays to search over; a list-valued
// one ("hidden") is searched as an array of arrays. {"search": "bayes"} (or
// "random", "grid") with none given as an array searches a default space:
// hidden [], [32] or [128, 32], weight_decay 1e-4 to 0.3, dropout 0 to 0.5
// and lr 0.01 or 0.001.
const std::vector<std::string> &searchable_tabular_options(bool classifier);
const std::vector<std::string> &list_valued_tabular_options();

}  // namespace xb
