// Fuzzing the model blob loaders with five tiny real models, trained once per
// test binary in child processes: a GRU and a Transformer forecaster, a
// statistical forecaster (arch auto: no weights, its forecasts in the state),
// a 3-class classifier (softmax head, a text feature as a learned embedding
// and a numeric one with missing values) and a regressor (one-hot encoding).
// Each blob is applied the way SQL applies it: forecasters through forecast(),
// classifiers and regressors through TabularScorer::load and predict on a few
// fixed rows (numbers, texts, missing values).
//
//   BlobFuzz.ChangedBytesAreRefused: random truncations, bit flips and
//     overwritten spans of the stored bytes. decode_blob and applying the blob
//     must both throw Error(CorruptModel): never crash, never another
//     exception, never succeed on a changed blob.
//   BlobFuzz.ResealedMutationsNeverCrash: the sections are changed and the
//     blob re-encoded, so the CRC is valid: every node of the state JSON (keys
//     dropped, wrong types, extreme numbers, non-finite numbers, arrays cut or
//     grown, other head names, class indexes, label types ...), the
//     architecture name, the kind and the weights. A blob that cannot be a
//     trained model must be refused with an xb::Error (any kind); a plausible
//     one (e.g. one series fewer) may be accepted, but then its output must be
//     sound: forecasts and bounds finite, probabilities finite and in [0, 1],
//     labels among the model's classes, values finite. Nothing may crash, hang,
//     allocate beyond a valid model's needs or throw anything but xb::Error.
//
// Every case runs in a forked child (fuzz_harness.hpp): a crash is reported as
// that case's failure. The resealed cases run under an address-space limit a
// little above what the valid models need, so an allocation sized from a
// forged shape fails the case (under ASan: max_allocation_size_mb instead).
// Case counts: XB_FUZZ_BYTE_CASES (default 10000) and XB_FUZZ_STATE_CASES
// (default 20000; at least the fixed catalog); the stress run
// (test/stress/run.sh) raises them.
#include <gtest/gtest.h>

#include <cxxabi.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <limits>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <typeinfo>

#include "core/common/blob.hpp"
#include "core/common/error.hpp"
#include "core/forecast/calendar.hpp"
#include "core/forecast/forecast.hpp"
#include "core/forecast/forecaster.hpp"
#include "core/tabular/model.hpp"
#include "core/tabular/options.hpp"
#include "core/tabular/scorer.hpp"
#include "fuzz_harness.hpp"
#include "unit_runtime.hpp"

using namespace xb;
using nlohmann::json;
using xb::unit::cpu;

namespace {

// ---------------------------------------------------------------------------
// The trained blobs
// ---------------------------------------------------------------------------

// Two daily series of 60 days with a weekly pattern and one covariate: long
// enough that training turns the seasonal channel on (season 7).
SeriesRows tiny_series(bool with_covariate) {
  SeriesRows r;
  if (with_covariate) r.feature_names = {"promo"};
  for (int k = 0; k < 2; ++k)
    for (int t = 0; t < 60; ++t) {
      r.series_key.push_back("s" + std::to_string(k));
      r.time.push_back(static_cast<Micros>(t) * kMicrosPerDay);
      r.target.push_back(50 + 10 * k + 5 * std::sin(t * 0.8975979) + (t % 5 == 0 ? 3 : 0));
      if (with_covariate) r.features.push_back(t % 5 == 0 ? 1.0 : 0.0);
    }
  return r;
}

std::string train_network(const std::string &arch) {
  const char *opts = arch == "transformer" ? R"({"epochs": 1, "lookback": 8, "hidden": 4, "heads": 2, "seed": 7})"
                                           : R"({"epochs": 1, "lookback": 8, "hidden": 4, "seed": 7})";
  return train_forecaster(tiny_series(true), parse_forecast_options(arch, 3, opts), cpu(), {}).blob;
}

std::string train_statistical() {
  return train_forecaster(tiny_series(false), parse_forecast_options("auto", 3, R"({"networks": false})"), cpu(), {})
      .blob;
}

// 60 products: a colour (text, one value missing) and a price (numeric, one
// value missing, so the model keeps a missing-value indicator).
TabularRows products(bool classifier) {
  TabularRows r;
  r.label_name = "label";
  r.label_type = LabelType::Text;
  TabularColumn colour{"colour", false, {}, {}}, price{"price", true, {}, {}};
  const char *colours[] = {"red", "blue", "green"};
  const char *sizes[] = {"small", "medium", "large"};
  for (int i = 0; i < 60; ++i) {
    colour.texts.push_back(i == 5 ? std::nullopt : std::optional<std::string>(colours[i % 3]));
    price.numbers.push_back(i == 7 ? NAN : i % 7);
    if (classifier)
      r.labels.push_back(sizes[(i % 3 + i % 7 / 5) % 3]);
    else
      r.targets.push_back(2.0 * (i % 7) + i % 3);
  }
  r.features = {colour, price};
  return r;
}

std::string train_classifier_blob() {
  const char *opts =
      R"({"epochs": 2, "hidden": [4], "seed": 3, "encoding": "embedding", "embedding_dim": 2, "min_count": 1,
          "importance_repeats": 1})";
  return train_classifier(products(true), parse_tabular_options(true, opts), cpu(), {}).blob;
}

std::string train_regressor_blob() {
  const char *opts = R"({"epochs": 2, "hidden": [4], "seed": 4, "min_count": 1, "importance_repeats": 1})";
  return train_regressor(products(false), parse_tabular_options(false, opts), cpu(), {}).blob;
}

// Which state a blob carries, so which roles its state paths play.
enum class Family { Network, Statistical, Tabular };

struct BlobSpec {
  const char *name;
  Family family;
  ModelKind kind;
  std::size_t partner;  // a blob of another model whose weights it borrows
  std::string (*train)();
};

std::string train_gru() { return train_network("gru"); }
std::string train_transformer() { return train_network("transformer"); }

const BlobSpec kBlobs[] = {
    {"gru", Family::Network, ModelKind::Forecaster, 1, train_gru},
    {"transformer", Family::Network, ModelKind::Forecaster, 0, train_transformer},
    {"auto", Family::Statistical, ModelKind::Forecaster, 0, train_statistical},
    {"classifier", Family::Tabular, ModelKind::Classifier, 4, train_classifier_blob},
    {"regressor", Family::Tabular, ModelKind::Regressor, 3, train_regressor_blob},
};
constexpr std::size_t kBlobCount = sizeof kBlobs / sizeof kBlobs[0];
// Classes of each blob: the classifier's sizes, none for the others.
constexpr std::size_t kClassCount[kBlobCount] = {0, 0, 0, 3, 0};

// The trained blobs, made once per test binary, each in a child (the parent
// process never starts LibTorch, so it can fork safely).
const std::vector<std::string> &trained_blobs() {
  static const std::vector<std::string> blobs = [] {
    std::vector<std::string> out;
    for (const BlobSpec &spec : kBlobs) out.push_back(fuzz::produce_in_child([&spec] { return spec.train(); }));
    return out;
  }();
  return blobs;
}

// ---------------------------------------------------------------------------
// Applying a blob the way SQL does, and judging what it gives
// ---------------------------------------------------------------------------

// The rows every classifier and regressor case scores: one column per feature
// the model declares, with ordinary, unseen, extreme and missing values.
std::vector<TabularColumn> rows_for(const std::vector<TabularFeature> &features) {
  std::vector<TabularColumn> out;
  for (const TabularFeature &f : features) {
    TabularColumn c{f.name, f.numeric, {}, {}};
    if (f.numeric)
      c.numbers = {3, -2.5, NAN, 1e6};
    else
      c.texts = {std::string("red"), std::string("Blue "), std::nullopt, std::string("never seen")};
    out.push_back(std::move(c));
  }
  return out;
}

bool probability(double p) { return std::isfinite(p) && p >= 0 && p <= 1; }

// The classes a classifier blob declares, read from its (possibly mutated) state.
std::vector<std::string> declared_classes(const std::string &state_json) {
  try {
    return json::parse(state_json).at("classes").get<std::vector<std::string>>();
  } catch (const json::exception &) {
    return {};
  }
}

// Applies the blob; returns "" when what it gave is sound, else what is wrong
// with it. Throws whatever the loader throws.
std::string apply_like_sql(std::size_t blob, const std::string &bytes) {
  if (kBlobs[blob].family != Family::Tabular) {
    for (const ForecastPoint &p : forecast(bytes, 0, cpu(), {}))
      if (!std::isfinite(p.yhat) || !std::isfinite(p.lo) || !std::isfinite(p.hi))
        return "series \"" + p.series + "\": yhat " + std::to_string(p.yhat) + " in [" + std::to_string(p.lo) + ", " +
               std::to_string(p.hi) + "]";
    return "";
  }
  const auto scorer = TabularScorer::load(bytes, cpu());
  const auto predictions = scorer->predict(rows_for(scorer->features()));
  if (predictions.size() != 4) return std::to_string(predictions.size()) + " predictions for 4 rows";
  const std::vector<std::string> classes = scorer->kind() == ModelKind::Classifier
                                               ? declared_classes(decode_blob(bytes).state_json)
                                               : std::vector<std::string>{};
  for (std::size_t i = 0; i < predictions.size(); ++i) {
    const TabularPrediction &p = predictions[i];
    const std::string row = "row " + std::to_string(i) + ": ";
    if (scorer->kind() == ModelKind::Regressor) {
      if (!std::isfinite(p.value)) return row + "value " + std::to_string(p.value);
      continue;
    }
    if (std::find(classes.begin(), classes.end(), p.label) == classes.end())
      return row + "label \"" + p.label + "\" is not a class of the model";
    if (!probability(p.label_probability)) return row + "label probability " + std::to_string(p.label_probability);
    if (scorer->has_positive_class() && !probability(p.positive_probability))
      return row + "positive probability " + std::to_string(p.positive_probability);
  }
  return "";
}

const char *kind_name(ErrorKind k) {
  switch (k) {
    case ErrorKind::InvalidParameter: return "InvalidParameter";
    case ErrorKind::UndefinedColumn: return "UndefinedColumn";
    case ErrorKind::UndefinedObject: return "UndefinedObject";
    case ErrorKind::DatatypeMismatch: return "DatatypeMismatch";
    case ErrorKind::DataException: return "DataException";
    case ErrorKind::InsufficientData: return "InsufficientData";
    case ErrorKind::CorruptModel: return "CorruptModel";
    case ErrorKind::ResourceLimit: return "ResourceLimit";
    case ErrorKind::OutOfMemory: return "OutOfMemory";
    case ErrorKind::ObjectInUse: return "ObjectInUse";
    case ErrorKind::Interrupted: return "Interrupted";
    case ErrorKind::Internal: return "Internal";
  }
  return "?";
}

std::string type_name(const std::exception &e) {
  int status = 0;
  std::unique_ptr<char, void (*)(void *)> name(abi::__cxa_demangle(typeid(e).name(), nullptr, nullptr, &status),
                                               std::free);
  return status == 0 && name ? name.get() : typeid(e).name();
}

// "xb:<Kind>", "accepted", "unsound output" or "non-xb exception"; *what gets
// the message (for unsound output: what was wrong).
std::string outcome_of(const std::function<std::string()> &f, std::string *what) {
  try {
    *what = f();
    return what->empty() ? "accepted" : "unsound output";
  } catch (const Error &e) {
    *what = e.what();
    return std::string("xb:") + kind_name(e.kind());
  } catch (const std::exception &e) {
    *what = type_name(e) + ": " + e.what();
    return "non-xb exception";
  } catch (...) {
    *what = "an exception that is not a std::exception";
    return "non-xb exception";
  }
}

bool is_xb(const std::string &outcome) { return outcome.rfind("xb:", 0) == 0; }

std::string short_text(std::string s) {
  if (s.size() > 300) s = s.substr(0, 300) + "...";
  return s;
}

// ---------------------------------------------------------------------------
// Changed bytes (CRC not resealed)
// ---------------------------------------------------------------------------

struct ChangedBytes {
  std::string bytes;
  std::string what;
};

ChangedBytes changed_bytes(std::uint64_t index) {
  fuzz::Rng rng = fuzz::case_rng(1, index);
  const std::size_t which = index % kBlobCount;
  const std::string &good = trained_blobs()[which];
  std::string bad = good;
  std::string what = kBlobs[which].name;
  switch (rng.below(3)) {
    case 0: {
      std::size_t n = rng.below(good.size());
      bad.resize(n);
      what += " blob truncated to " + std::to_string(n) + " of " + std::to_string(good.size()) + " bytes";
      break;
    }
    case 1: {
      const std::size_t flips = 1 + rng.below(4);
      std::vector<std::size_t> bits;
      while (bits.size() < flips) {  // distinct bits, so the blob always changes
        std::size_t bit = rng.below(good.size() * 8);
        if (std::find(bits.begin(), bits.end(), bit) == bits.end()) bits.push_back(bit);
      }
      what += " blob with bits flipped at";
      for (std::size_t bit : bits) {
        bad[bit / 8] = static_cast<char>(bad[bit / 8] ^ (1 << (bit % 8)));
        what += " " + std::to_string(bit / 8) + "." + std::to_string(bit % 8);
      }
      break;
    }
    default: {
      std::size_t at = rng.below(good.size());
      std::size_t len = 1 + rng.below(std::min<std::size_t>(64, good.size() - at));
      // XOR with 1..255: every byte of the span changes.
      for (std::size_t i = 0; i < len; ++i) bad[at + i] = static_cast<char>(bad[at + i] ^ (1 + rng.below(255)));
      what += " blob with bytes changed at " + std::to_string(at) + ".." + std::to_string(at + len);
      break;
    }
  }
  return {bad, what};
}

fuzz::CaseResult changed_bytes_case(std::uint64_t index) {
  const auto [bad, what] = changed_bytes(index);
  const std::size_t blob = index % kBlobCount;
  if (bad == trained_blobs()[blob]) return {false, "generator", what + " left the blob unchanged"};

  std::string decode_what, apply_what;
  std::string decoded = outcome_of(
      [&] {
        decode_blob(bad);
        return std::string();
      },
      &decode_what);
  std::string applied = outcome_of([&] { return apply_like_sql(blob, bad); }, &apply_what);
  fuzz::CaseResult r;
  r.ok = decoded == "xb:CorruptModel" && applied == "xb:CorruptModel";
  r.outcome =
      r.ok ? "xb:CorruptModel" : (decoded != "xb:CorruptModel" ? "decode_blob: " + decoded : "apply: " + applied);
  if (!r.ok)
    r.detail = what + "; decode_blob: " + decoded + " " + short_text(decode_what) + "; apply: " + applied + " " +
               short_text(apply_what);
  return r;
}

// ---------------------------------------------------------------------------
// Resealed mutations: a catalog of single changes, then random combinations
// ---------------------------------------------------------------------------

enum class Expect { Refuse, NoCrash };

// What a mutation works on: the decoded blob and its parsed state.
struct Subject {
  ModelBlob blob;
  json state;
  bool state_replaced = false;  // state_text replaces the JSON entirely
  std::string state_text;
  std::string encode() const {
    ModelBlob b = blob;
    if (state_replaced) {
      b.state_json = state_text;
    } else {
      b.state_json = state.dump();
      // Numbers JSON cannot spell through nlohmann (it writes null for them).
      for (const char *raw : {"1e999", "-1e999"}) {
        const std::string marker = std::string("\"@raw:") + raw + "\"";
        for (std::size_t at; (at = b.state_json.find(marker)) != std::string::npos;)
          b.state_json.replace(at, marker.size(), raw);
      }
    }
    return encode_blob(b);
  }
};

struct Mutation {
  std::size_t blob = 0;  // index into kBlobs and trained_blobs()
  std::string path;      // what it touches (JSON pointer, "#arch", "#weights", "#kind", "#state")
  std::string what;
  Expect expect = Expect::Refuse;
  std::function<bool(Subject &)> apply;  // false: the target no longer exists (in a combination)
};

// The role of a state path, by its shape ("/series/*/y/*"): what the loader
// reads, and what values it must refuse.
enum class Role {
  Unread,       // stored for the catalog, or read leniently: anything may load
  Count,        // a size or count the weights or the calendar fix
  Step,         // freq.step
  Start,        // a series' first timestamp
  Dropout,      // options.dropout, shape.dropout
  Unit,         // freq.unit
  Name,         // a series key, feature or class name, a recipe: any string
  Flag,         // a boolean the loader reads
  Value,        // a number in y, x, a scaler or conformal_q: finite, any size
  Scale,        // a positive number intervals or inputs are divided or multiplied by
  SizedArray,   // an array whose length the model fixes
  SeriesArray,  // the series list: any non-empty subset is a model
  SeriesItem,
  Object,       // options, freq, shape, encoder
  Head,         // a classifier's or regressor's output head
  LabelType,    // how a classifier's labels read as values
  ClassIndex,   // the positive class: -1 or a class
  Encoding,     // how text features are encoded
  Statistical,  // the marker of a statistical state
};

std::string shape_of(const std::string &path) {
  std::string out;
  std::size_t i = 0;
  while (i < path.size()) {
    std::size_t j = path.find('/', i + 1);
    std::string part = path.substr(i + 1, j == std::string::npos ? std::string::npos : j - i - 1);
    bool digits = !part.empty() && part.find_first_not_of("0123456789") == std::string::npos;
    out += "/" + (digits ? std::string("*") : part);
    i = j == std::string::npos ? path.size() : j;
  }
  return out;
}

using RoleTable = std::map<std::string, Role>;

const RoleTable kNetworkRoles = {
    {"/options", Role::Object},
    {"/freq", Role::Object},
    {"/options/horizon", Role::Count},
    {"/options/lookback", Role::Count},
    {"/options/hidden", Role::Count},
    {"/options/layers", Role::Count},
    {"/options/heads", Role::Count},
    {"/options/ensemble", Role::Count},
    {"/season", Role::Count},
    {"/options/dropout", Role::Dropout},
    {"/freq/step", Role::Step},
    {"/freq/unit", Role::Unit},
    {"/features", Role::SizedArray},
    {"/features/*", Role::Name},
    {"/feature_scalers", Role::SizedArray},
    {"/feature_scalers/*", Role::SizedArray},
    {"/feature_scalers/*/*", Role::Value},
    {"/conformal_q", Role::SizedArray},
    {"/conformal_q/*", Role::Value},
    {"/series", Role::SeriesArray},
    {"/series/*", Role::SeriesItem},
    {"/series/*/key", Role::Name},
    {"/series/*/start", Role::Start},
    {"/series/*/scaler", Role::SizedArray},
    {"/series/*/scaler/*", Role::Value},
    {"/series/*/y", Role::SizedArray},
    {"/series/*/y/*", Role::Value},
    {"/series/*/x", Role::SizedArray},
    {"/series/*/x/*", Role::Value},
};

// A statistical state holds each series' forecast, not its history.
const RoleTable kStatisticalRoles = {
    {"/statistical", Role::Statistical}, {"/options", Role::Object},         {"/freq", Role::Object},
    {"/options/horizon", Role::Count},   {"/season", Role::Count},           {"/freq/step", Role::Step},
    {"/freq/unit", Role::Unit},          {"/conformal_q", Role::SizedArray}, {"/conformal_q/*", Role::Value},
    {"/series", Role::SeriesArray},      {"/series/*", Role::SeriesItem},    {"/series/*/key", Role::Name},
    {"/series/*/start", Role::Start},    {"/series/*/length", Role::Count},  {"/series/*/scale", Role::Scale},
    {"/series/*/recipe", Role::Name},    {"/series/*/method", Role::Name},   {"/series/*/yhat", Role::SizedArray},
    {"/series/*/yhat/*", Role::Value},
};

// Classifier and regressor states; target_mean and target_std matter to a
// regressor only (tabular_roles).
const RoleTable kTabularRoles = {
    {"/members", Role::Count},
    {"/head", Role::Head},
    {"/label_type", Role::LabelType},
    {"/classes", Role::SizedArray},
    {"/classes/*", Role::Name},
    {"/positive", Role::ClassIndex},
    {"/features", Role::SizedArray},
    {"/features/*/name", Role::Name},
    {"/features/*/numeric", Role::Flag},
    {"/encoder", Role::Object},
    {"/encoder/encoding", Role::Encoding},
    {"/encoder/columns", Role::SizedArray},
    {"/encoder/columns/*/name", Role::Name},
    {"/encoder/columns/*/numeric", Role::Flag},
    {"/encoder/columns/*/mean", Role::Value},
    {"/encoder/columns/*/std", Role::Scale},
    {"/encoder/columns/*/indicator", Role::Flag},
    {"/encoder/columns/*/categories", Role::SizedArray},
    {"/encoder/columns/*/categories/*", Role::Name},
    {"/encoder/columns/*/code_mean", Role::Value},
    {"/encoder/columns/*/code_std", Role::Scale},
    {"/shape", Role::Object},
    {"/shape/dense_dim", Role::Count},
    {"/shape/cardinalities", Role::SizedArray},
    {"/shape/cardinalities/*", Role::Count},
    {"/shape/embedding_dims", Role::SizedArray},
    {"/shape/embedding_dims/*", Role::Count},
    {"/shape/hidden", Role::SizedArray},
    {"/shape/hidden/*", Role::Count},
    {"/shape/dropout", Role::Dropout},
    {"/shape/outputs", Role::Count},
};

Role role_of(std::size_t blob, const std::string &path) {
  const std::string shape = shape_of(path);
  const BlobSpec &spec = kBlobs[blob];
  if (spec.family == Family::Tabular && spec.kind == ModelKind::Regressor &&
      (shape == "/target_mean" || shape == "/target_std"))
    return shape == "/target_std" ? Role::Scale : Role::Value;
  const RoleTable &roles = spec.family == Family::Network       ? kNetworkRoles
                           : spec.family == Family::Statistical ? kStatisticalRoles
                                                                : kTabularRoles;
  auto it = roles.find(shape);
  return it == roles.end() ? Role::Unread : it->second;
}

bool has(const json &j, const std::string &path) { return j.contains(json::json_pointer(path)); }

bool set_at(Subject &s, const std::string &path, const json &value) {
  if (!has(s.state, path)) return false;
  s.state[json::json_pointer(path)] = value;
  return true;
}

bool remove_at(Subject &s, const std::string &path) {
  json::json_pointer p(path);
  if (!s.state.contains(p)) return false;
  json &parent = s.state[p.parent_pointer()];
  if (parent.is_object())
    parent.erase(p.back());
  else
    parent.erase(std::stoul(p.back()));
  return true;
}

bool resize_at(Subject &s, const std::string &path, std::size_t n) {
  if (!has(s.state, path)) return false;
  json &a = s.state[json::json_pointer(path)];
  if (!a.is_array() || a.empty()) return false;
  json last = a.back();
  while (a.size() > n) a.erase(a.size() - 1);
  while (a.size() < n) a.push_back(last);
  return true;
}

struct Bad {
  json value;
  std::string label;
};

const json kRawPlusInf = "@raw:1e999";
const json kRawMinusInf = "@raw:-1e999";

// Values of the wrong JSON type for a node like `current`.
std::vector<Bad> wrong_types(const json &current, bool integer_role) {
  std::vector<Bad> out;
  if (!current.is_null()) out.push_back({nullptr, "null"});
  if (!current.is_boolean()) out.push_back({true, "true"});
  if (!current.is_string()) out.push_back({"7", "the string \"7\""});
  if (!current.is_array()) out.push_back({json::array(), "[]"});
  if (!current.is_object()) out.push_back({json::object(), "{}"});
  if (current.is_string() || current.is_structured()) out.push_back({3, "the number 3"});
  if (integer_role) out.push_back({8.5, "8.5 (not a whole number)"});
  return out;
}

// Integers far outside anything a trained model holds.
std::vector<Bad> extreme_integers() {
  return {{0, "0"},
          {-1, "-1"},
          {std::numeric_limits<std::int32_t>::min(), "INT32_MIN"},
          {std::numeric_limits<std::int32_t>::max(), "INT32_MAX"},
          {std::int64_t(1) << 31, "2^31"},
          {std::int64_t(1) << 53, "2^53"},
          {std::numeric_limits<std::int64_t>::max(), "INT64_MAX"},
          {std::numeric_limits<std::int64_t>::min(), "INT64_MIN"},
          {std::numeric_limits<std::uint64_t>::max(), "UINT64_MAX"},
          {1e300, "1e300"},
          {-1e300, "-1e300"},
          {kRawPlusInf, "1e999 (infinite)"}};
}

// Sizes the loaders' bounds allow: the largest width, layer count, ensemble,
// lookback, horizon, embedding, categories and tabular input.
std::vector<Bad> within_bounds() {
  std::vector<Bad> out;
  for (long n : {2L, 16L, 32L, 64L, 256L, 4096L, 10000L, 100000L, 6400000L})
    out.push_back({n, std::to_string(n) + " (within bounds)"});
  return out;
}

void add(std::vector<Mutation> &out, std::size_t blob, const std::string &path, const std::string &what, Expect e,
         std::function<bool(Subject &)> apply) {
  out.push_back({blob, path, std::string(kBlobs[blob].name) + ": " + what, e, std::move(apply)});
}

void add_set(std::vector<Mutation> &out, std::size_t blob, const std::string &path, const Bad &bad, Expect e) {
  json value = bad.value;
  add(out, blob, path, path + " = " + bad.label, e, [path, value](Subject &s) { return set_at(s, path, value); });
}

// The classifier and regressor loaders read numbers with nlohmann's get<>,
// which turns true into 1 and 8.5 into 8: those may load when the value they
// become fits (e.g. members = true is members = 1).
bool lenient_number(std::size_t blob, const Bad &bad) {
  return kBlobs[blob].family == Family::Tabular && (bad.label == "true" || bad.label.rfind("8.5", 0) == 0);
}

// Catalog entries for one state node and its role.
void node_mutations(std::vector<Mutation> &out, std::size_t blob, const std::string &path, const json &node) {
  const Role role = role_of(blob, path);
  const bool read = role != Role::Unread;
  const Expect must = read ? Expect::Refuse : Expect::NoCrash;

  // Removal: a key the loader reads, or an element of an array whose length
  // the model fixes. heads, ensemble and series_embedding have defaults; a
  // series may go.
  bool optional = path == "/options/heads" || path == "/options/ensemble" || path == "/options/series_embedding" ||
                  role == Role::SeriesItem;
  add(out, blob, path, "remove " + path, optional ? Expect::NoCrash : must,
      [path](Subject &s) { return remove_at(s, path); });

  const bool integer_role =
      role == Role::Count || role == Role::Step || role == Role::Start || role == Role::ClassIndex;
  for (const Bad &bad : wrong_types(node, integer_role))
    add_set(out, blob, path, bad, lenient_number(blob, bad) ? Expect::NoCrash : must);

  switch (role) {
    case Role::Count:
      for (const Bad &bad : extreme_integers()) add_set(out, blob, path, bad, Expect::Refuse);
      // Within the shared bounds (core/common/limits.hpp) but not what the
      // weights hold: refused before anything is sized from them. A
      // statistical model's counts size nothing, so they may forecast.
      // The trained value itself is left out; a GRU's or LSTM's lookback is
      // no part of its weights, so a shorter one is still a model.
      for (const Bad &bad : within_bounds())
        if (bad.value != node)
          add_set(out, blob, path, bad,
                  kBlobs[blob].family == Family::Statistical || path == "/options/lookback" ? Expect::NoCrash
                                                                                            : Expect::Refuse);
      break;
    case Role::Step:
      // A network's season must fit its frequency, so another step is
      // refused; a statistical model's forecasts are stored, so any step that
      // keeps them on the calendar (2^31 us is 36 minutes) still forecasts.
      for (const Bad &bad : extreme_integers()) {
        bool on_calendar = bad.label == "INT32_MAX" || bad.label == "2^31";
        add_set(out, blob, path, bad,
                on_calendar && kBlobs[blob].family == Family::Statistical ? Expect::NoCrash : Expect::Refuse);
      }
      break;
    case Role::Start:
      // Timestamps outside the calendar (years 1400-9999) are refused; a
      // year past 9999 may be refused or forecast.
      for (const Bad &bad : extreme_integers()) {
        bool beyond = bad.label == "INT64_MAX" || bad.label == "INT64_MIN" || bad.label == "UINT64_MAX" ||
                      bad.label == "1e300" || bad.label == "-1e300" || bad.label == "1e999 (infinite)";
        add_set(out, blob, path, bad, beyond ? Expect::Refuse : Expect::NoCrash);
      }
      add_set(out, blob, path, {json(std::int64_t(400000000000000000)), "4e17 (year 14675)"}, Expect::NoCrash);
      break;
    case Role::Dropout:
      for (const Bad &bad : std::vector<Bad>{{-1, "-1"}, {1, "1"}, {2, "2"}, {1e300, "1e300"}, {kRawPlusInf, "1e999"}})
        add_set(out, blob, path, bad, Expect::Refuse);
      break;
    case Role::Unit:
      add_set(out, blob, path, {"weekly", "\"weekly\" (not a unit)"}, Expect::Refuse);
      add_set(out, blob, path, {node == "month" ? "fixed" : "month", "the other unit"}, Expect::NoCrash);
      break;
    case Role::Name:
      add_set(out, blob, path, {"", "\"\""}, Expect::NoCrash);
      add_set(out, blob, path, {std::string(5000, 'k'), "a 5000-character name"}, Expect::NoCrash);
      add_set(out, blob, path, {"1e999", "\"1e999\""}, Expect::NoCrash);
      break;
    case Role::Flag:
      add_set(out, blob, path, {node.is_boolean() ? !node.get<bool>() : true, "the other value"}, Expect::NoCrash);
      break;
    case Role::Value:
    case Role::Scale:
      for (const Bad &bad :
           std::vector<Bad>{{1e300, "1e300"}, {-1e300, "-1e300"}, {1e-300, "1e-300"}, {0, "0"}, {-1, "-1"}})
        add_set(out, blob, path, bad, role == Role::Scale && !(bad.value > 0) ? Expect::Refuse : Expect::NoCrash);
      add_set(out, blob, path, {kRawPlusInf, "1e999 (infinite)"}, Expect::Refuse);
      add_set(out, blob, path, {kRawMinusInf, "-1e999 (infinite)"}, Expect::Refuse);
      break;
    case Role::Head:
      for (const char *head : {"sigmoid", "sigmoid2", "softmax", "value", "tanh", ""})
        if (node != head) add_set(out, blob, path, {head, std::string("\"") + head + "\""}, Expect::Refuse);
      break;
    case Role::LabelType:
      for (const char *type : {"boolean", "integer", "text"})
        if (node != type) add_set(out, blob, path, {type, std::string("\"") + type + "\""}, Expect::NoCrash);
      add_set(out, blob, path, {"float", "\"float\" (not a label type)"}, Expect::Refuse);
      break;
    case Role::ClassIndex:
      // -1 (no positive class) and each class are valid; nothing else is.
      for (const Bad &bad : extreme_integers())
        if (bad.label != "0" && bad.label != "-1") add_set(out, blob, path, bad, Expect::Refuse);
      for (int k = -2; k <= 3; ++k) {
        const bool valid = k == -1 || (k >= 0 && k < static_cast<int>(kClassCount[blob]));
        add_set(out, blob, path, {k, std::to_string(k)}, valid ? Expect::NoCrash : Expect::Refuse);
      }
      break;
    case Role::Encoding:
      for (const char *name : {"onehot", "label", "embedding"})
        if (node != name) add_set(out, blob, path, {name, std::string("\"") + name + "\""}, Expect::NoCrash);
      add_set(out, blob, path, {"hashing", "\"hashing\" (not an encoding)"}, Expect::Refuse);
      break;
    case Role::Statistical: add_set(out, blob, path, {false, "false"}, Expect::Refuse); break;
    case Role::SizedArray:
    case Role::SeriesArray: {
      const std::size_t n = node.size();
      for (std::size_t keep : {std::size_t(0), n / 2, n > 0 ? n - 1 : 0}) {
        if (keep >= n) continue;
        Expect e = role == Role::SizedArray || keep == 0 ? Expect::Refuse : Expect::NoCrash;
        add(out, blob, path, path + " cut to " + std::to_string(keep) + " of " + std::to_string(n) + " elements", e,
            [path, keep](Subject &s) { return resize_at(s, path, keep); });
      }
      if (role == Role::SizedArray && n > 0)
        add(out, blob, path, path + " grown by one element", Expect::Refuse,
            [path, n](Subject &s) { return resize_at(s, path, n + 1); });
      break;
    }
    case Role::SeriesItem:
    case Role::Object:
    case Role::Unread: break;
  }
}

// Every node of the state, except all but the first and last elements of
// long arrays of numbers (they all play the same part).
void walk(std::vector<Mutation> &out, std::size_t blob, const json &node, const std::string &path) {
  if (!path.empty()) node_mutations(out, blob, path, node);
  if (node.is_object()) {
    for (const auto &[key, child] : node.items()) walk(out, blob, child, path + "/" + key);
  } else if (node.is_array()) {
    for (std::size_t i = 0; i < node.size(); ++i) {
      if (node.size() > 2 && i != 0 && i + 1 != node.size() && node[i].is_number()) continue;
      walk(out, blob, node[i], path + "/" + std::to_string(i));
    }
  }
}

void blob_level_mutations(std::vector<Mutation> &out, std::size_t blob) {
  const BlobSpec &spec = kBlobs[blob];
  const ModelBlob good = decode_blob(trained_blobs()[blob]);
  // Classifiers and regressors do not read the name; forecasters must match it.
  const Expect arch_expect = spec.family == Family::Tabular ? Expect::NoCrash : Expect::Refuse;
  for (const std::string &arch : {std::string(""), std::string("GRU"), std::string("lstm"),
                                  std::string("attention_lstm"), std::string(kBlobs[spec.partner].name),
                                  std::string("gru\0x", 5), std::string(100000, 'a'), std::string("../../etc/passwd")})
    if (arch != good.arch)
      add(out, blob, "#arch", "arch = \"" + short_text(arch) + "\" (" + std::to_string(arch.size()) + " bytes)",
          arch.size() > kMaxArchBytes ? Expect::Refuse : arch_expect, [arch](Subject &s) {
            s.blob.arch = arch;
            return true;
          });
  // A statistical state under another statistical name still forecasts.
  if (spec.family == Family::Statistical)
    for (const char *arch : {"ets", "theta", "snaive"})
      add(out, blob, "#arch", std::string("arch = \"") + arch + "\"", Expect::NoCrash, [arch](Subject &s) {
        s.blob.arch = arch;
        return true;
      });
  // The GRU's state read as a Transformer: heads decide the attention shape.
  if (std::string(spec.name) == "gru")
    for (const Bad &heads : std::vector<Bad>{{0, "0"},
                                             {-1, "-1"},
                                             {3, "3 (hidden 4 is not a multiple)"},
                                             {std::numeric_limits<std::int32_t>::max(), "INT32_MAX"}})
      add(out, blob, "#arch", "arch = \"transformer\" with options.heads = " + heads.label, Expect::Refuse,
          [value = heads.value](Subject &s) {
            if (!s.state.is_object() || !s.state.contains("options") || !s.state["options"].is_object()) return false;
            s.blob.arch = "transformer";
            s.state["options"]["heads"] = value;
            return true;
          });
  for (ModelKind kind : {ModelKind::Forecaster, ModelKind::Classifier, ModelKind::Regressor})
    if (kind != spec.kind)
      add(out, blob, "#kind", std::string("kind = ") + model_kind_name(kind), Expect::Refuse, [kind](Subject &s) {
        s.blob.kind = kind;
        return true;
      });

  // Weights: xb's own tensor format (core/common/weights.hpp). Cut, borrowed
  // or given to a model that has none, they must not load.
  const std::size_t wsize = good.weights.size();
  add(out, blob, "#weights", std::string("weights of the ") + kBlobs[spec.partner].name + " model", Expect::Refuse,
      [partner = spec.partner](Subject &s) {
        s.blob.weights = decode_blob(trained_blobs()[partner]).weights;
        return true;
      });
  if (wsize == 0) {
    add(out, blob, "#weights", "one weight byte", Expect::Refuse, [](Subject &s) {
      s.blob.weights = "x";
      return true;
    });
  } else {
    for (std::size_t keep :
         {std::size_t(0), std::size_t(1), std::size_t(10), wsize / 4, wsize / 2, wsize - 22, wsize - 1})
      add(out, blob, "#weights", "weights cut to " + std::to_string(keep) + " of " + std::to_string(wsize) + " bytes",
          Expect::Refuse, [keep](Subject &s) {
            s.blob.weights.resize(keep);
            return true;
          });
    add(out, blob, "#weights", "weights with the first 4 bytes zeroed", Expect::Refuse, [](Subject &s) {
      for (std::size_t i = 0; i < 4 && i < s.blob.weights.size(); ++i) s.blob.weights[i] = 0;
      return true;
    });
    // The last values of the last tensor: zeros are still a model.
    add(out, blob, "#weights", "weights with the last 22 bytes zeroed", Expect::NoCrash, [](Subject &s) {
      for (std::size_t i = s.blob.weights.size() - 22; i < s.blob.weights.size(); ++i) s.blob.weights[i] = 0;
      return true;
    });
    // A flipped bit may land in a tensor's data, which is still a model.
    fuzz::Rng rng(0x5eed0000 + blob);
    for (int i = 0; i < 64; ++i) {
      std::size_t bit = rng.below(wsize * 8);
      add(out, blob, "#weights",
          "weights with bit " + std::to_string(bit / 8) + "." + std::to_string(bit % 8) + " flipped", Expect::NoCrash,
          [bit](Subject &s) {
            s.blob.weights[bit / 8] = static_cast<char>(s.blob.weights[bit / 8] ^ (1 << (bit % 8)));
            return true;
          });
    }
  }

  // The state as a whole.
  const std::string &text = good.state_json;
  std::vector<std::pair<std::string, std::string>> states = {{"", "empty"}, {"null", "null"}, {"[]", "[]"},
                                                             {"{}", "{}"},  {"{", "\"{\""},   {"NaN", "NaN"}};
  for (std::size_t cut : {text.size() / 3, text.size() / 2, text.size() - 1})
    states.push_back({text.substr(0, cut), "cut to " + std::to_string(cut) + " characters"});
  // Another family's state: each loader reads only its own.
  for (std::size_t other = 0; other < kBlobCount; ++other)
    if (kBlobs[other].family != spec.family && (other == spec.partner || kBlobs[other].family != Family::Tabular))
      states.push_back(
          {decode_blob(trained_blobs()[other]).state_json, std::string("of the ") + kBlobs[other].name + " model"});
  for (const auto &[value, label] : states)
    add(out, blob, "#state", "state JSON " + label, Expect::Refuse, [value = value](Subject &s) {
      s.state_replaced = true;
      s.state_text = value;
      return true;
    });
}

const std::vector<Mutation> &catalog() {
  static const std::vector<Mutation> all = [] {
    std::vector<Mutation> out;
    for (std::size_t b = 0; b < kBlobCount; ++b) {
      walk(out, b, json::parse(decode_blob(trained_blobs()[b]).state_json), "");
      blob_level_mutations(out, b);
    }
    return out;
  }();
  return all;
}

std::map<std::string, std::size_t> catalog_sizes() {
  std::map<std::string, std::size_t> out;
  for (const Mutation &m : catalog()) ++out[kBlobs[m.blob].name];
  return out;
}

bool related(const std::string &a, const std::string &b) {
  if (a[0] == '#' || b[0] == '#') return a == b || a == "#state" || b == "#state";
  return a.rfind(b, 0) == 0 || b.rfind(a, 0) == 0;
}

// Case k < catalog size: catalog entry k alone. Beyond: 2 or 3 entries of one
// blob on unrelated paths, chosen by the case's own generator.
std::vector<const Mutation *> mutations_of_case(std::uint64_t index) {
  const auto &all = catalog();
  if (index < all.size()) return {&all[index]};
  fuzz::Rng rng = fuzz::case_rng(2, index);
  std::vector<const Mutation *> chosen{&all[rng.below(all.size())]};
  const std::size_t want = 2 + rng.below(2);
  for (int tries = 0; chosen.size() < want && tries < 50; ++tries) {
    const Mutation &m = all[rng.below(all.size())];
    bool ok = m.blob == chosen[0]->blob;
    for (const Mutation *c : chosen) ok = ok && !related(c->path, m.path);
    if (ok) chosen.push_back(&m);
  }
  return chosen;
}

std::string describe_resealed(std::uint64_t index) {
  std::string what;
  for (const Mutation *m : mutations_of_case(index)) what += (what.empty() ? "" : "; ") + m->what;
  return what;
}

fuzz::CaseResult resealed_case(std::uint64_t index) {
  auto mutations = mutations_of_case(index);
  const std::size_t blob = mutations[0]->blob;
  Subject s;
  s.blob = decode_blob(trained_blobs()[blob]);
  s.state = json::parse(s.blob.state_json);
  Expect expect = Expect::NoCrash;
  std::string what;
  for (const Mutation *m : mutations) {
    if (!m->apply(s)) continue;
    if (m->expect == Expect::Refuse) expect = Expect::Refuse;
    what += (what.empty() ? "" : "; ") + m->what;
  }
  const std::string bytes = s.encode();
  std::string message;
  std::string outcome = outcome_of([&] { return apply_like_sql(blob, bytes); }, &message);
  fuzz::CaseResult r;
  r.ok = is_xb(outcome) || (outcome == "accepted" && expect == Expect::NoCrash);
  r.outcome = r.ok || outcome != "accepted" ? outcome : "accepted (must be refused)";
  if (!r.ok)
    r.detail = what + " -> " +
               (outcome == "accepted" ? "applied without error to a blob that cannot be a trained model"
                                      : outcome + ": " + short_text(message));
  return r;
}

// The unchanged blobs, each applied like every case: what a child needs at least.
fuzz::CaseResult valid_blobs_case(std::uint64_t) {
  for (std::size_t b = 0; b < kBlobCount; ++b) {
    std::string message;
    const std::string outcome = outcome_of([&] { return apply_like_sql(b, trained_blobs()[b]); }, &message);
    if (outcome != "accepted") return {false, outcome, std::string(kBlobs[b].name) + ": " + message};
  }
  return {true, "accepted", ""};
}

// Memory for the resealed cases, from what a child applying every valid blob
// needs: its peak address space plus a margin for the heap's growth over
// thousands of cases, and a cap on any single allocation far above its
// largest one. A forged shape must be refused before anything is sized from
// it; an allocation sized from one would be far larger than either.
constexpr std::uint64_t kAddressSpaceMargin = std::uint64_t(384) << 20;
constexpr std::uint64_t kLargestAllocation = std::uint64_t(64) << 20;

fuzz::Limits resealed_limits() {
  fuzz::Limits limits;
  if (!fuzz::address_space_limit_available()) {
    std::printf(
        "memory limits: none in the harness under AddressSanitizer (ASAN_OPTIONS max_allocation_size_mb "
        "bounds each allocation)\n");
    return limits;
  }
  fuzz::Limits measuring;
  measuring.largest_allocation = std::numeric_limits<std::uint64_t>::max();  // counts requests, refuses none
  const json needs = json::parse(fuzz::produce_in_child(
      [] {
        for (int i = 0; i < 20; ++i)
          if (!valid_blobs_case(0).ok) throw std::runtime_error("a valid blob was not accepted");
        return json{{"peak", fuzz::peak_address_space()}, {"largest", fuzz::take_largest_allocation()}}.dump();
      },
      measuring));
  const std::uint64_t peak = needs.at("peak"), largest = needs.at("largest");
  limits.address_space = peak + kAddressSpaceMargin;
  limits.largest_allocation = kLargestAllocation;
  std::printf(
      "memory limits: address space %.0f MB (valid blobs peak at %.0f MB, + %.0f MB); single allocations up "
      "to %.0f MB (valid blobs: at most %.0f kB)\n",
      limits.address_space / 1048576.0, peak / 1048576.0, kAddressSpaceMargin / 1048576.0,
      kLargestAllocation / 1048576.0, largest / 1024.0);
  return limits;
}

void expect_clean(const fuzz::Report &report, std::uint64_t wanted) {
  std::printf("%s\n", report.summary().c_str());
  EXPECT_EQ(report.cases, wanted);
  for (const auto &f : report.failures) ADD_FAILURE() << f;
  EXPECT_EQ(report.failure_count, 0u) << report.summary();
}

}  // namespace

TEST(BlobFuzz, ValidBlobsGiveSoundOutput) {
  ASSERT_EQ(trained_blobs().size(), kBlobCount);
  expect_clean(fuzz::run_isolated(1, valid_blobs_case, [](std::uint64_t) { return std::string("the valid blobs"); }),
               1);
}

TEST(BlobFuzz, ChangedBytesAreRefused) {
  const std::uint64_t n = fuzz::cases_from_env("XB_FUZZ_BYTE_CASES", 10000);
  ASSERT_EQ(trained_blobs().size(), kBlobCount);
  expect_clean(fuzz::run_isolated(n, changed_bytes_case, [](std::uint64_t k) { return changed_bytes(k).what; }), n);
}

TEST(BlobFuzz, ResealedMutationsNeverCrash) {
  ASSERT_EQ(trained_blobs().size(), kBlobCount);
  std::string sizes;
  for (const auto &[name, n] : catalog_sizes()) sizes += (sizes.empty() ? "" : ", ") + name + " " + std::to_string(n);
  std::printf("catalog: %zu single mutations (%s)\n", catalog().size(), sizes.c_str());
  const std::uint64_t n = std::max<std::uint64_t>(fuzz::cases_from_env("XB_FUZZ_STATE_CASES", 20000), catalog().size());
  expect_clean(fuzz::run_isolated(n, resealed_case, describe_resealed, resealed_limits()), n);
}
