// Fuzzing parse_forecast_options with random and mutated JSON documents.
// Every document either gives options whose every value is in range, or
// Error(InvalidParameter); nothing else. For documents built from the option
// table below, the test also knows whether they are valid, which key is at
// fault (the message must name it), and what the parsed values must be.
//
// Case count: XB_FUZZ_OPTION_CASES (default 10000); the stress run raises it.
#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <limits>
#include <nlohmann/json.hpp>
#include <optional>

#include "core/common/error.hpp"
#include "core/forecast/aggregate_options.hpp"
#include "core/forecast/options.hpp"
#include "core/tabular/options.hpp"
#include "fuzz_harness.hpp"

using namespace xb;
using nlohmann::json;

namespace {

enum class Type { Int, Real, Enum, Bool };

// The documented options (README "Options"), with their valid ranges.
struct Spec {
  std::string key;
  Type type;
  double lo = 0, hi = 0;
  bool lo_open = false, hi_open = false;
  std::vector<std::string> values;  // Enum
};

Spec integer(const char *key, double lo, double hi) { return {key, Type::Int, lo, hi, false, false, {}}; }
Spec real(const char *key, double lo, bool lo_open, double hi, bool hi_open) {
  return {key, Type::Real, lo, hi, lo_open, hi_open, {}};
}
Spec one_of(const char *key, std::vector<std::string> values) { return {key, Type::Enum, 0, 0, false, false, values}; }

const std::vector<Spec> &specs() {
  static const std::vector<Spec> all = {
      integer("lookback", 1, 10000),
      integer("epochs", 1, 100000),
      integer("batch_size", 1, 1 << 20),
      real("lr", 0, true, 10, false),
      real("weight_decay", 0, false, 1, false),
      real("dropout", 0, false, 1, true),
      integer("patience", 0, 100000),
      integer("seed", 0, 2147483647),
      real("val_fraction", 0, true, 0.5, true),
      real("test_fraction", 0, true, 0.5, true),
      integer("val_periods", 1, 1000000),
      integer("test_periods", 1, 1000000),
      integer("hidden", 1, 4096),
      integer("layers", 1, 16),
      integer("heads", 1, 64),
      integer("ensemble", 1, 32),
      real("interval", 0, true, 1, true),
      one_of("freq", {"hourly", "daily", "weekly", "monthly", "quarterly", "yearly"}),
      one_of("loss", {"mse", "mae", "huber"}),
      one_of("fill", {"zero", "ffill", "interpolate", "error"}),
      {"seasonal_lag", Type::Bool, 0, 0, false, false, {}},
  };
  return all;
}

bool in_range(const Spec &s, double d) {
  return (s.lo_open ? d > s.lo : d >= s.lo) && (s.hi_open ? d < s.hi : d <= s.hi);
}

bool valid_value(const Spec &s, const json &v) {
  switch (s.type) {
    case Type::Int: {
      if (!v.is_number()) return false;
      double d = v.get<double>();
      return std::isfinite(d) && d == std::floor(d) && in_range(s, d);
    }
    case Type::Real: {
      if (!v.is_number()) return false;
      double d = v.get<double>();
      return std::isfinite(d) && in_range(s, d);
    }
    case Type::Enum:
      return v.is_string() && std::find(s.values.begin(), s.values.end(), v.get<std::string>()) != s.values.end();
    case Type::Bool: return v.is_boolean();
  }
  return false;
}

bool searchable(const std::string &key) {
  const auto &keys = searchable_forecast_options();
  return std::find(keys.begin(), keys.end(), key) != keys.end();
}

// A value as given: a valid one, or for an option that can be searched an
// array of 1 to 64 valid ones.
bool valid_given(const Spec &s, const json &v) {
  if (!v.is_array() || !searchable(s.key)) return valid_value(s, v);
  if (v.empty() || v.size() > 64) return false;
  for (const auto &e : v)
    if (!valid_value(s, e)) return false;
  return true;
}

// The values a key takes in a search (one, unless it is given as an array).
std::vector<double> numbers_given(const json &given, const std::string &key, double preset) {
  if (!given.contains(key)) return {preset};
  if (!given[key].is_array()) return {given[key].get<double>()};
  return given[key].get<std::vector<double>>();
}

// The parsed value of a key, as JSON (seasonal_lag as the bool it came from).
json field(const ForecastOptions &o, const std::string &key) {
  if (key == "lookback") return o.lookback;
  if (key == "epochs") return o.epochs;
  if (key == "batch_size") return o.batch_size;
  if (key == "lr") return o.lr;
  if (key == "weight_decay") return o.weight_decay;
  if (key == "dropout") return o.dropout;
  if (key == "patience") return o.patience;
  if (key == "seed") return o.seed;
  if (key == "val_fraction") return o.val_fraction;
  if (key == "test_fraction") return o.test_fraction;
  if (key == "val_periods") return o.val_periods;
  if (key == "test_periods") return o.test_periods;
  if (key == "hidden") return o.hidden;
  if (key == "layers") return o.layers;
  if (key == "heads") return o.heads;
  if (key == "ensemble") return o.ensemble;
  if (key == "interval") return o.interval;
  if (key == "freq") return o.freq;
  if (key == "loss") return o.loss;
  if (key == "fill") return o.fill;
  if (key == "seasonal_lag") return o.seasonal_lag < 0 ? json() : json(o.seasonal_lag == 1);
  return json();
}

// Whatever the input, parsed options hold only values in range.
std::string out_of_range(const ForecastOptions &o) {
  const auto &archs = forecast_architectures();
  if (std::find(archs.begin(), archs.end(), o.arch) == archs.end()) return "arch " + o.arch;
  if (o.horizon < 1 || o.horizon > 10000) return "horizon " + std::to_string(o.horizon);
  for (const Spec &s : specs()) {
    json v = field(o, s.key);
    if (s.key == "freq" && v == "") continue;                                     // inferred
    if ((s.key == "val_periods" || s.key == "test_periods") && v == 0) continue;  // from the fraction
    if (s.key == "seasonal_lag" && v.is_null()) continue;                         // auto
    if (s.key == "heads" && o.arch != "transformer") continue;
    if (!valid_value(s, v)) return s.key + " " + v.dump();
  }
  if (o.arch == "transformer" && o.hidden % o.heads != 0) return "hidden not a multiple of heads";
  return "";
}

const std::vector<std::string> kArchs = {"gru", "lstm", "transformer", "attention_lstm"};

// A value for spec s: valid when `valid`, else one of many ways to be wrong.
json value_for(fuzz::Rng &rng, const Spec &s, bool valid) {
  if (valid) {
    switch (s.type) {
      case Type::Int: {
        auto lo = static_cast<std::int64_t>(s.lo), hi = static_cast<std::int64_t>(s.hi);
        std::int64_t v = rng.chance(0.3)
                             ? (rng.chance(0.5) ? lo : hi)
                             : lo + static_cast<std::int64_t>(rng.below(std::min<std::uint64_t>(hi - lo + 1, 200)));
        if (rng.chance(0.1)) return static_cast<double>(v);  // 16.0 is a whole number too
        return v;
      }
      case Type::Real: {
        double u = static_cast<double>(rng.below(1000000) + 1) / 1000001.0;  // (0, 1)
        if (!s.lo_open && rng.chance(0.1)) return s.lo;
        if (!s.hi_open && rng.chance(0.1)) return s.hi;
        return s.lo + u * (s.hi - s.lo);
      }
      case Type::Enum: return rng.pick(s.values);
      case Type::Bool: return rng.chance(0.5);
    }
  }
  if (valid && searchable(s.key) && rng.chance(0.1)) {  // a search over 1 to 3 values
    json values = json::array();
    for (std::uint64_t i = 0, n = 1 + rng.below(3); i < n; ++i) values.push_back(value_for(rng, s, true));
    return values;
  }
  std::vector<json> wrong = {nullptr,
                             "12",
                             json::array({1}),
                             json::object({{"v", 1}}),
                             "",
                             1e300,
                             -1e300,
                             std::numeric_limits<std::uint64_t>::max(),
                             std::numeric_limits<std::int64_t>::min()};
  switch (s.type) {
    case Type::Int: wrong.insert(wrong.end(), {s.lo - 1, s.hi + 1, s.lo + 0.5, true, -0.25, 1e-300}); break;
    case Type::Real:
      if (s.lo_open) wrong.push_back(s.lo);
      if (s.hi_open) wrong.push_back(s.hi);
      wrong.insert(wrong.end(), {s.lo - 1e-9, s.hi + 1e-9, s.hi * 2 + 1, false});
      break;
    case Type::Enum: {
      std::string upper = rng.pick(s.values);
      for (auto &c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
      wrong.insert(wrong.end(), {upper, rng.pick(s.values) + " ", "none", 1, true});
      break;
    }
    case Type::Bool: wrong.insert(wrong.end(), {0, 1, "true", "false"}); break;
  }
  json v = rng.pick(wrong);
  return valid_given(s, v) ? json(nullptr) : v;  // never valid by accident
}

// A key that is not an option: a known one changed, or noise.
std::string unknown_key(fuzz::Rng &rng) {
  std::string k = rng.pick(specs()).key;
  switch (rng.below(5)) {
    case 0: k.erase(rng.below(k.size()), 1); break;
    case 1: k.insert(rng.below(k.size() + 1), 1, static_cast<char>('a' + rng.below(26))); break;
    case 2: k[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(k[0]))); break;
    case 3: k = " " + k; break;
    default: k = rng.pick(std::vector<std::string>{"", "arch", "horizon", "Epochs", "epochs\u00e9", "x;y", "\"q\""});
  }
  for (const Spec &s : specs())
    if (s.key == k) return k + "_";
  return k;
}

struct Document {
  std::string arch;
  int horizon = 8;
  std::string text;
  bool known = false;  // validity below is known
  bool valid = false;
  std::string culprit;  // the one thing at fault, when exactly one is
  json given;           // the keys and values as given (when known)
};

Document structured(fuzz::Rng &rng) {
  Document d;
  d.known = true;
  int problems = 0;
  d.arch = rng.chance(0.92) ? rng.pick(kArchs) : rng.pick(std::vector<std::string>{"", "GRU", "rnn", "gru "});
  if (std::find(kArchs.begin(), kArchs.end(), d.arch) == kArchs.end()) {
    ++problems;
    d.culprit = d.arch.empty() ? "architecture" : d.arch;
  }
  d.horizon = rng.chance(0.9) ? 1 + static_cast<int>(rng.below(48))
                              : rng.pick(std::vector<int>{0, -1, 10000, 10001, std::numeric_limits<int>::min(),
                                                          std::numeric_limits<int>::max()});
  if (d.horizon < 1 || d.horizon > 10000) {
    ++problems;
    d.culprit = "horizon";
  }
  d.given = json::object();
  const int keys = static_cast<int>(rng.below(7));
  for (int i = 0; i < keys; ++i) {
    if (rng.chance(0.08)) {
      std::string k = unknown_key(rng);
      if (d.given.contains(k)) continue;
      d.given[k] = 1;
      ++problems;
      d.culprit = k;
      continue;
    }
    const Spec &s = rng.pick(specs());
    if (d.given.contains(s.key)) continue;
    json v = value_for(rng, s, rng.chance(0.8));
    d.given[s.key] = v;
    if (!valid_given(s, v)) {
      ++problems;
      d.culprit = s.key;
    }
  }
  // A grid tries every combination: at most 256 of them.
  std::size_t combinations = 1;
  for (const auto &[key, v] : d.given.items())
    if (v.is_array()) combinations *= v.size();
  if (problems == 0 && combinations > 256) {
    ++problems;
    d.culprit = "search";
  }
  // The one cross-key rule: a Transformer's hidden size is a multiple of its
  // heads, in every combination a search tries.
  if (problems == 0 && d.arch == "transformer") {
    static const ForecastOptions preset = parse_forecast_options("transformer", 1, "{}");
    for (double hidden : numbers_given(d.given, "hidden", preset.hidden))
      for (double heads : numbers_given(d.given, "heads", preset.heads))
        if (problems == 0 && std::fmod(hidden, heads) != 0) {
          ++problems;
          d.culprit = "hidden";
        }
  }
  d.valid = problems == 0;
  if (problems != 1) d.culprit.clear();
  d.text = d.given.dump();
  return d;
}

// A structured document's text with a few characters inserted, deleted or
// replaced: mostly invalid JSON, sometimes a different valid document.
Document mutated_text(fuzz::Rng &rng) {
  Document d = structured(rng);
  d.known = false;
  static const std::string alphabet = "{}[]\":,0123456789.eE+-truefalsn \\u\x01\x7f\xc3\xa9";
  const int edits = 1 + static_cast<int>(rng.below(4));
  for (int i = 0; i < edits; ++i) {
    std::size_t at = rng.below(d.text.size() + 1);
    char c = alphabet[rng.below(alphabet.size())];
    switch (rng.below(3)) {
      case 0: d.text.insert(at, 1, c); break;
      case 1:
        if (at < d.text.size()) d.text.erase(at, 1);
        break;
      default:
        if (at < d.text.size()) d.text[at] = c;
        break;
    }
  }
  return d;
}

// Documents that are not objects, or are objects of an odd shape.
Document odd(fuzz::Rng &rng) {
  Document d;
  d.arch = rng.pick(kArchs);
  const Spec &spec = rng.pick(specs());
  const std::string key = spec.key;
  const std::size_t depth = 1 + rng.below(rng.chance(0.1) ? 20000 : 200);
  const std::string nested = std::string(depth, '[') + "1" + std::string(depth, ']');
  const bool nested_valid = depth == 1 && valid_given(spec, json::array({1}));  // [1]: a search over one value
  std::vector<std::pair<std::string, bool>> docs = {
      {"null", false},
      {"[]", false},
      {"1", false},
      {"\"epochs\"", false},
      {"true", false},
      {"[{}]", false},
      {"{\"" + key + "\": " + nested + "}", nested_valid},
      {"{\"" + key + "\": {\"" + key + "\": " + nested + "}}", false},
      {"{\"" + key + "\": 1e400}", false},
      {"{\"" + key + "\": -1e400}", false},
      {"{\"" + key + "\": \"" + std::string(1 + rng.below(100000), 'x') + "\"}", false},
      {"{\"epochs\": 3, \"epochs\": 4}", true},
      {"{\"epochs\": 3, \"epochs\": \"4\"}", false},
      {"{\"\\u0000\": 1}", false},
      {"{\"epochs\": 1" + std::string(6 + rng.below(400), '0') + "}", false},  // above 100000
      {"{\"loss\": \"m\\u0000se\"}", false},
      {"{\"lr\": 1e-400}", false},
      {" \t\n{}\n", true},
      {"{}", true},
  };
  auto [text, valid] = docs[rng.below(docs.size())];
  d.text = text;
  d.known = true;
  d.valid = valid;
  return d;
}

Document random_bytes(fuzz::Rng &rng) {
  Document d;
  d.arch = rng.pick(kArchs);
  d.text.resize(rng.below(64));
  for (auto &c : d.text) c = static_cast<char>(rng.chance(0.8) ? 32 + rng.below(95) : rng.below(256));
  return d;
}

Document document_of_case(std::uint64_t index) {
  fuzz::Rng rng = fuzz::case_rng(3, index);
  switch (rng.below(10)) {
    case 0:
    case 1:
    case 2:
    case 3:
    case 4:
    case 5: return structured(rng);
    case 6:
    case 7: return mutated_text(rng);
    case 8: return odd(rng);
    default: return random_bytes(rng);
  }
}

std::string shown(const Document &d) {
  std::string t = d.text.size() > 200 ? d.text.substr(0, 200) + "..." : d.text;
  return "arch \"" + d.arch + "\", horizon " + std::to_string(d.horizon) + ", options " +
         json(t).dump(-1, ' ', true, json::error_handler_t::replace);
}

fuzz::CaseResult options_case(std::uint64_t index) {
  const Document d = document_of_case(index);
  fuzz::CaseResult r;
  std::optional<ForecastOptions> parsed;
  try {
    parsed = parse_forecast_options(d.arch, d.horizon, d.text);
  } catch (const Error &e) {
    r.outcome = e.kind() == ErrorKind::InvalidParameter ? "refused" : "xb error of another kind";
    if (e.kind() != ErrorKind::InvalidParameter) {
      r.ok = false;
      r.detail = shown(d) + ": kind is not InvalidParameter: " + e.what();
    } else if (d.known && d.valid) {
      r.ok = false;
      r.detail = shown(d) + ": a valid document was refused: " + e.what();
    } else if (d.known && !d.culprit.empty() && std::string(e.what()).find(d.culprit) == std::string::npos) {
      r.ok = false;
      r.detail = shown(d) + ": the message does not name \"" + d.culprit + "\": " + e.what();
    }
    return r;
  } catch (const std::exception &e) {
    return {false, "non-xb exception", shown(d) + ": " + e.what()};
  } catch (...) {
    return {false, "non-xb exception", shown(d) + ": not a std::exception"};
  }
  r.outcome = "accepted";
  std::string bad = out_of_range(*parsed);
  if (!bad.empty()) return {false, "accepted out of range", shown(d) + ": " + bad};
  if (d.known && !d.valid) return {false, "accepted invalid", shown(d) + ": an invalid document was accepted"};
  if (d.known && d.given.is_object())
    for (const auto &[key, value] : d.given.items()) {
      const json got = field(*parsed, key);
      const bool same = value.is_number() ? got.is_number() && got.get<double>() == value.get<double>() : got == value;
      if (!same) return {false, "accepted wrong value", shown(d) + ": " + key + " parsed as " + got.dump()};
    }
  return r;
}

}  // namespace

TEST(OptionsFuzz, EveryDocumentIsValidInRangeOrInvalidParameter) {
  const std::uint64_t n = fuzz::cases_from_env("XB_FUZZ_OPTION_CASES", 10000);
  fuzz::Report report = fuzz::run_isolated(n, options_case, [](std::uint64_t k) { return shown(document_of_case(k)); });
  std::printf("%s\n", report.summary().c_str());
  EXPECT_EQ(report.cases, n);
  for (const auto &f : report.failures) ADD_FAILURE() << f;
  EXPECT_EQ(report.failure_count, 0u);
  // Both answers must be common, or the generator tests only one path.
  EXPECT_GT(report.outcomes["accepted"], n / 10) << report.summary();
  EXPECT_GT(report.outcomes["refused"], n / 10) << report.summary();
}

// Found by the fuzz test above: PostgreSQL's jsonb prints 1e400 as a
// 401-digit integer, which nlohmann_json reports as out_of_range, not as a
// parse error.
TEST(OptionsFuzz, NumberBeyondDoubleRangeIsInvalidParameter) {
  for (const char *doc : {R"({"epochs": 1e400})", R"({"lr": -1e400})"}) {
    try {
      parse_forecast_options("gru", 8, doc);
      ADD_FAILURE() << doc << " was accepted";
    } catch (const Error &e) {
      EXPECT_EQ(e.kind(), ErrorKind::InvalidParameter) << doc;
    } catch (const std::exception &e) {
      ADD_FAILURE() << doc << ": not an xb::Error: " << e.what();
    }
  }
}

// A value nested 100,000 levels deep: recursive code (dump, the messages that
// quote a value) would overflow the stack, so every parser refuses it up
// front, naming the option.
TEST(OptionsFuzz, DeepNestingIsInvalidParameterNamingTheOption) {
  const std::string doc = "{\"dropout\": " + std::string(100000, '[') + "1" + std::string(100000, ']') + "}";
  const std::vector<std::function<void()>> parsers = {
      [&] { parse_forecast_options("gru", 3, doc); },
      [&] { parse_tabular_options(true, doc); },
      [&] { parse_aggregate_options(doc, 3); },
  };
  for (const auto &parse : parsers) {
    try {
      parse();
      ADD_FAILURE() << "accepted";
    } catch (const Error &e) {
      EXPECT_EQ(e.kind(), ErrorKind::InvalidParameter) << e.what();
      EXPECT_NE(std::string(e.what()).find("\"dropout\" nests more than 64 levels"), std::string::npos) << e.what();
    }
  }
}
