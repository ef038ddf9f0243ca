// Fuzzing the model blob loader with two tiny real models (a GRU and a
// Transformer, trained once per test in a child process):
//
//   BlobFuzz.ChangedBytesAreRefused: random truncations, bit flips and
//     overwritten spans of the stored bytes. decode_blob and forecast must both
//     throw Error(CorruptModel): never crash, never another exception, never
//     succeed on a changed blob.
//   BlobFuzz.ResealedMutationsNeverCrash: the sections are changed and the
//     blob re-encoded, so the CRC is valid: the state JSON (keys dropped, wrong
//     types, extreme numbers, non-finite numbers, arrays cut or grown), the
//     architecture name, the kind and the weights. A blob that cannot be a
//     trained model must be refused with an xb::Error (any kind); a plausible
//     one (e.g. one series fewer) may forecast, but nothing may crash, hang or
//     throw anything other than xb::Error.
//
// Every case runs in a forked child (fuzz_harness.hpp): a crash is reported as
// that case's failure. Case counts: XB_FUZZ_BYTE_CASES (default 10000) and
// XB_FUZZ_STATE_CASES (default 2000; at least the fixed catalog); the stress
// run (test/stress/run.sh) raises them.
#include <gtest/gtest.h>

#include <cxxabi.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <limits>
#include <memory>
#include <nlohmann/json.hpp>
#include <typeinfo>

#include "core/common/blob.hpp"
#include "core/forecast/calendar.hpp"
#include "core/common/error.hpp"
#include "core/forecast/forecast.hpp"
#include "core/forecast/forecaster.hpp"
#include "fuzz_harness.hpp"

using namespace xb;
using nlohmann::json;

namespace {

RuntimeSettings cpu() { return RuntimeSettings{"cpu", 1}; }

// Two daily series of 60 days with a weekly pattern and one covariate: long
// enough that training turns the seasonal channel on (season 7).
SeriesRows tiny_data() {
  SeriesRows r;
  r.feature_names = {"promo"};
  for (int k = 0; k < 2; ++k)
    for (int t = 0; t < 60; ++t) {
      r.series_key.push_back("s" + std::to_string(k));
      r.time.push_back(static_cast<Micros>(t) * kMicrosPerDay);
      r.target.push_back(50 + 10 * k + 5 * std::sin(t * 0.8975979) + (t % 5 == 0 ? 3 : 0));
      r.features.push_back(t % 5 == 0 ? 1.0 : 0.0);
    }
  return r;
}

std::string train_tiny(const std::string &arch) {
  const char *opts = arch == "transformer" ? R"({"epochs": 1, "lookback": 8, "hidden": 4, "heads": 2, "seed": 7})"
                                           : R"({"epochs": 1, "lookback": 8, "hidden": 4, "seed": 7})";
  return train_forecaster(tiny_data(), parse_forecast_options(arch, 3, opts), cpu(), {}).blob;
}

// The two trained blobs, made once per test binary in a child (the parent
// process never starts LibTorch, so it can fork safely).
const std::vector<std::string> &trained_blobs() {
  static const std::vector<std::string> blobs = [] {
    std::vector<std::string> out;
    for (const char *arch : {"gru", "transformer"})
      out.push_back(fuzz::produce_in_child([arch] { return train_tiny(arch); }));
    return out;
  }();
  return blobs;
}
const char *const kBlobNames[] = {"gru", "transformer"};

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

// "xb:<Kind>", "accepted", or "non-xb exception"; *what gets the message.
template <typename F>
std::string outcome_of(F &&f, std::string *what) {
  try {
    f();
    return "accepted";
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
  const std::size_t which = index % 2;
  const std::string &good = trained_blobs()[which];
  std::string bad = good;
  std::string what = kBlobNames[which];
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
  if (bad == trained_blobs()[index % 2]) return {false, "generator", what + " left the blob unchanged"};

  std::string decode_what, forecast_what;
  std::string decoded = outcome_of([&] { decode_blob(bad); }, &decode_what);
  std::string forecasted = outcome_of([&] { forecast(bad, 0, cpu(), {}); }, &forecast_what);
  fuzz::CaseResult r;
  r.ok = decoded == "xb:CorruptModel" && forecasted == "xb:CorruptModel";
  r.outcome = r.ok ? "xb:CorruptModel" : (decoded != "xb:CorruptModel" ? "decode_blob: " + decoded : "forecast: " + forecasted);
  if (!r.ok)
    r.detail = what + "; decode_blob: " + decoded + " " + short_text(decode_what) + "; forecast: " + forecasted + " " +
               short_text(forecast_what);
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
  std::size_t blob = 0;  // index into trained_blobs()
  std::string path;      // what it touches (JSON pointer, "#arch", "#weights", "#kind", "#state")
  std::string what;
  Expect expect = Expect::Refuse;
  std::function<bool(Subject &)> apply;  // false: the target no longer exists (in a combination)
};

// The role of a state path, by its shape ("/series/*/y/*"): what the loader
// reads, and what values it must refuse.
enum class Role {
  Unread,       // stored for the catalog only
  Count,        // options horizon, lookback, hidden, layers, heads, ensemble; season
  Step,         // freq.step
  Start,        // a series' first timestamp
  Dropout,      // options.dropout
  Unit,         // freq.unit
  Name,         // a series key or feature name
  Value,        // a number in y, x, a scaler or conformal_q
  SizedArray,   // an array whose length the model fixes
  SeriesArray,  // the series list: any non-empty subset is a model
  SeriesItem,
  Object,       // options, freq
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

Role role_of(const std::string &path) {
  static const std::map<std::string, Role> roles = {
      {"/options", Role::Object},          {"/freq", Role::Object},
      {"/options/horizon", Role::Count},   {"/options/lookback", Role::Count},
      {"/options/hidden", Role::Count},    {"/options/layers", Role::Count},
      {"/options/heads", Role::Count},     {"/options/ensemble", Role::Count},
      {"/season", Role::Count},            {"/options/dropout", Role::Dropout},
      {"/freq/step", Role::Step},          {"/freq/unit", Role::Unit},
      {"/features", Role::SizedArray},     {"/features/*", Role::Name},
      {"/feature_scalers", Role::SizedArray}, {"/feature_scalers/*", Role::SizedArray},
      {"/feature_scalers/*/*", Role::Value},  {"/conformal_q", Role::SizedArray},
      {"/conformal_q/*", Role::Value},     {"/series", Role::SeriesArray},
      {"/series/*", Role::SeriesItem},     {"/series/*/key", Role::Name},
      {"/series/*/start", Role::Start},    {"/series/*/scaler", Role::SizedArray},
      {"/series/*/scaler/*", Role::Value}, {"/series/*/y", Role::SizedArray},
      {"/series/*/y/*", Role::Value},      {"/series/*/x", Role::SizedArray},
      {"/series/*/x/*", Role::Value},
  };
  auto it = roles.find(shape_of(path));
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
  if (parent.is_object()) parent.erase(p.back());
  else parent.erase(std::stoul(p.back()));
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

void add(std::vector<Mutation> &out, std::size_t blob, const std::string &path, const std::string &what, Expect e,
         std::function<bool(Subject &)> apply) {
  out.push_back({blob, path, std::string(kBlobNames[blob]) + ": " + what, e, std::move(apply)});
}

void add_set(std::vector<Mutation> &out, std::size_t blob, const std::string &path, const Bad &bad, Expect e) {
  json value = bad.value;
  add(out, blob, path, path + " = " + bad.label, e, [path, value](Subject &s) { return set_at(s, path, value); });
}

// Catalog entries for one state node and its role.
void node_mutations(std::vector<Mutation> &out, std::size_t blob, const std::string &path, const json &node,
                    bool in_array) {
  const Role role = role_of(path);
  const bool read = role != Role::Unread;
  const Expect must = read ? Expect::Refuse : Expect::NoCrash;

  // Removal: a key the loader reads, or an element of an array whose length
  // the model fixes. heads and ensemble have defaults; a series may go.
  bool optional = path == "/options/heads" || path == "/options/ensemble" || role == Role::SeriesItem;
  add(out, blob, path, "remove " + path, optional ? Expect::NoCrash : must,
      [path](Subject &s) { return remove_at(s, path); });

  const bool integer_role = role == Role::Count || role == Role::Step || role == Role::Start;
  for (const Bad &bad : wrong_types(node, integer_role)) add_set(out, blob, path, bad, must);

  switch (role) {
    case Role::Count:
    case Role::Step:
      for (const Bad &bad : extreme_integers()) add_set(out, blob, path, bad, Expect::Refuse);
      break;
    case Role::Start:
      // PostgreSQL timestamps end in 294276 AD (about 9.2e18 us is beyond it);
      // years past 9999 are valid there, so those may forecast or be refused.
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
      break;
    case Role::Value:
      for (const Bad &bad : std::vector<Bad>{{1e300, "1e300"}, {-1e300, "-1e300"}, {0, "0"}, {-1, "-1"}})
        add_set(out, blob, path, bad, Expect::NoCrash);
      add_set(out, blob, path, {kRawPlusInf, "1e999 (infinite)"}, Expect::Refuse);
      add_set(out, blob, path, {kRawMinusInf, "-1e999 (infinite)"}, Expect::Refuse);
      break;
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
    case Role::Unread:
      break;
  }
  (void)in_array;
}

// Every node of the state, except all but the first and last elements of
// long arrays of numbers (they all play the same part).
void walk(std::vector<Mutation> &out, std::size_t blob, const json &node, const std::string &path) {
  if (!path.empty()) node_mutations(out, blob, path, node, false);
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
  const std::string other_arch = blob == 0 ? "transformer" : "gru";
  for (const std::string &arch : {std::string(""), std::string("GRU"), std::string("lstm"),
                                  std::string("attention_lstm"), other_arch, std::string("gru\0x", 5),
                                  std::string(100000, 'a'), std::string("../../etc/passwd")})
    add(out, blob, "#arch", "arch = \"" + short_text(arch) + "\" (" + std::to_string(arch.size()) + " bytes)",
        Expect::Refuse, [arch](Subject &s) {
          s.blob.arch = arch;
          return true;
        });
  // The GRU's state read as a Transformer: heads decide the attention shape.
  if (blob == 0)
    for (const Bad &heads : std::vector<Bad>{{0, "0"}, {-1, "-1"}, {3, "3 (hidden 4 is not a multiple)"},
                                             {std::numeric_limits<std::int32_t>::max(), "INT32_MAX"}})
      add(out, blob, "#arch", "arch = \"transformer\" with options.heads = " + heads.label, Expect::Refuse,
          [value = heads.value](Subject &s) {
            if (!s.state.is_object() || !s.state.contains("options") || !s.state["options"].is_object()) return false;
            s.blob.arch = "transformer";
            s.state["options"]["heads"] = value;
            return true;
          });
  for (ModelKind kind : {ModelKind::Classifier, ModelKind::Regressor})
    add(out, blob, "#kind", std::string("kind = ") + model_kind_name(kind), Expect::Refuse, [kind](Subject &s) {
      s.blob.kind = kind;
      return true;
    });

  // Weights: xb's own tensor format (core/weights.hpp). Cut or replaced, it must not load.
  const std::size_t wsize = decode_blob(trained_blobs()[blob]).weights.size();
  for (std::size_t keep : {std::size_t(0), std::size_t(1), std::size_t(10), wsize / 4, wsize / 2, wsize - 22, wsize - 1})
    add(out, blob, "#weights", "weights cut to " + std::to_string(keep) + " of " + std::to_string(wsize) + " bytes",
        Expect::Refuse, [keep](Subject &s) {
          s.blob.weights.resize(keep);
          return true;
        });
  add(out, blob, "#weights", "weights of the other architecture's model", Expect::Refuse, [blob](Subject &s) {
    s.blob.weights = decode_blob(trained_blobs()[1 - blob]).weights;
    return true;
  });
  add(out, blob, "#weights", "weights with the format magic zeroed", Expect::Refuse, [](Subject &s) {
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
    add(out, blob, "#weights", "weights with bit " + std::to_string(bit / 8) + "." + std::to_string(bit % 8) + " flipped",
        Expect::NoCrash, [bit](Subject &s) {
          s.blob.weights[bit / 8] = static_cast<char>(s.blob.weights[bit / 8] ^ (1 << (bit % 8)));
          return true;
        });
  }

  // The state as a whole.
  const std::string text = decode_blob(trained_blobs()[blob]).state_json;
  std::vector<std::pair<std::string, std::string>> states = {
      {"", "empty"}, {"null", "null"}, {"[]", "[]"}, {"{}", "{}"}, {"{", "\"{\""}, {"NaN", "NaN"}};
  for (std::size_t cut : {text.size() / 3, text.size() / 2, text.size() - 1})
    states.push_back({text.substr(0, cut), "cut to " + std::to_string(cut) + " characters"});
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
    for (std::size_t b = 0; b < trained_blobs().size(); ++b) {
      walk(out, b, json::parse(decode_blob(trained_blobs()[b]).state_json), "");
      blob_level_mutations(out, b);
    }
    return out;
  }();
  return all;
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
  std::string outcome = outcome_of([&] { forecast(bytes, 0, cpu(), {}); }, &message);
  fuzz::CaseResult r;
  r.ok = is_xb(outcome) || (outcome == "accepted" && expect == Expect::NoCrash);
  r.outcome = r.ok || outcome != "accepted" ? outcome : "accepted (must be refused)";
  if (!r.ok)
    r.detail = what + " -> " + (outcome == "accepted" ? "forecast succeeded on a blob that cannot be a trained model"
                                                      : outcome + ": " + short_text(message));
  return r;
}

void expect_clean(const fuzz::Report &report, std::uint64_t wanted) {
  std::printf("%s\n", report.summary().c_str());
  EXPECT_EQ(report.cases, wanted);
  for (const auto &f : report.failures) ADD_FAILURE() << f;
  EXPECT_EQ(report.failure_count, 0u) << report.summary();
}

}  // namespace

TEST(BlobFuzz, ChangedBytesAreRefused) {
  const std::uint64_t n = fuzz::cases_from_env("XB_FUZZ_BYTE_CASES", 10000);
  ASSERT_EQ(trained_blobs().size(), 2u);
  expect_clean(fuzz::run_isolated(n, changed_bytes_case, [](std::uint64_t k) { return changed_bytes(k).what; }), n);
}

TEST(BlobFuzz, ResealedMutationsNeverCrash) {
  ASSERT_EQ(trained_blobs().size(), 2u);
  std::printf("catalog: %zu single mutations of the GRU and Transformer blobs\n", catalog().size());
  const std::uint64_t n = std::max<std::uint64_t>(fuzz::cases_from_env("XB_FUZZ_STATE_CASES", 2000), catalog().size());
  expect_clean(fuzz::run_isolated(n, resealed_case, describe_resealed), n);
}
