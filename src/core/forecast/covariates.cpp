#include "core/forecast/covariates.hpp"

#include <algorithm>
#include <cmath>
#include <unordered_map>

#include "core/common/error.hpp"

namespace xb {

using nlohmann::json;

int CategoryEncoder::column_of(const std::string &value) const {
  auto it = std::find(categories.begin(), categories.end(), value);
  return static_cast<int>(it - categories.begin());  // == categories.size(): unknown
}

int TextEncoding::width() const {
  int w = 0;
  for (const auto &e : encoders) w += e.width();
  return w;
}

std::vector<std::string> TextEncoding::column_names() const {
  std::vector<std::string> names;
  for (const auto &e : encoders) {
    for (const auto &c : e.categories) names.push_back(e.name + "=" + (c.empty() ? "<null>" : c));
    names.push_back(e.name + "=<unknown>");
  }
  return names;
}

json TextEncoding::to_json() const {
  json out = json::array();
  for (const auto &e : encoders) out.push_back({{"name", e.name}, {"categories", e.categories}});
  return out;
}

TextEncoding TextEncoding::from_json(const json &j) {
  TextEncoding enc;
  for (const auto &e : j)
    enc.encoders.push_back({e.at("name").get<std::string>(), e.at("categories").get<std::vector<std::string>>()});
  return enc;
}

TextEncoding fit_text_encoding(const SeriesRows &rows) {
  TextEncoding enc;
  const std::size_t nt = rows.text_feature_names.size();
  for (std::size_t c = 0; c < nt; ++c) {
    std::unordered_map<std::string, long> counts;
    for (std::size_t r = 0; r < rows.rows(); ++r) ++counts[rows.text_features[r * nt + c]];
    std::vector<std::pair<std::string, long>> ranked(counts.begin(), counts.end());
    // Most frequent first; ties by value so the encoding does not depend on row order.
    std::sort(ranked.begin(), ranked.end(), [](const auto &a, const auto &b) {
      return a.second != b.second ? a.second > b.second : a.first < b.first;
    });
    if (ranked.size() > static_cast<std::size_t>(kMaxCategories)) ranked.resize(kMaxCategories);
    CategoryEncoder e{rows.text_feature_names[c], {}};
    for (const auto &[value, n] : ranked) e.categories.push_back(value);
    std::sort(e.categories.begin(), e.categories.end());
    enc.encoders.push_back(std::move(e));
  }
  return enc;
}

SeriesRows encode_text_columns(const SeriesRows &rows, const TextEncoding &encoding) {
  const std::size_t nt = rows.text_feature_names.size();
  if (nt != encoding.encoders.size()) throw Error(ErrorKind::Internal, "text columns do not match their encoding");
  SeriesRows out;
  out.feature_names = rows.feature_names;
  for (const auto &n : encoding.column_names()) out.feature_names.push_back(n);
  out.series_key = rows.series_key;
  out.time = rows.time;
  out.target = rows.target;
  const std::size_t nf = rows.feature_names.size(), width = out.feature_names.size();
  out.features.assign(rows.rows() * width, 0.0);
  for (std::size_t r = 0; r < rows.rows(); ++r) {
    double *dst = out.features.data() + r * width;
    std::copy_n(rows.features.begin() + r * nf, nf, dst);
    std::size_t offset = nf;
    for (std::size_t c = 0; c < nt; ++c) {
      const CategoryEncoder &e = encoding.encoders[c];
      dst[offset + e.column_of(rows.text_features[r * nt + c])] = 1.0;
      offset += e.width();
    }
  }
  return out;
}

namespace {

Error bad_override(const std::string &feature, const std::string &what) {
  return Error(ErrorKind::InvalidParameter, "override of \"" + feature + "\" " + what,
               "Write overrides as {\"feature\": {\"set\" | \"add\" | \"mul\": number}}; text features take "
               "{\"set\": \"category\"}.");
}

}  // namespace

Overrides parse_overrides(const std::string &json_text, const std::vector<std::string> &numeric_features,
                          const TextEncoding &encoding) {
  Overrides out;
  if (json_text.empty()) return out;
  json doc;
  try {
    doc = json::parse(json_text);
  } catch (const json::exception &e) {
    throw Error(ErrorKind::InvalidParameter, std::string("overrides are not valid JSON: ") + e.what());
  }
  if (!doc.is_object())
    throw Error(ErrorKind::InvalidParameter, "overrides must be a JSON object",
                "Example: '{\"price\": {\"mul\": 0.9}}'");
  for (const auto &[feature, spec] : doc.items()) {
    bool numeric = std::find(numeric_features.begin(), numeric_features.end(), feature) != numeric_features.end();
    bool text = std::any_of(encoding.encoders.begin(), encoding.encoders.end(),
                            [&](const CategoryEncoder &e) { return e.name == feature; });
    if (!numeric && !text) {
      std::string list;
      for (const auto &f : numeric_features) list += (list.empty() ? "" : ", ") + f;
      for (const auto &e : encoding.encoders) list += (list.empty() ? "" : ", ") + e.name;
      throw Error(ErrorKind::InvalidParameter,
                  "override names \"" + feature + "\", which is not a feature of the model",
                  list.empty() ? "The model has no features." : "The model's features are: " + list + ".");
    }
    Override o;
    o.text = text;
    const json *value = &spec;
    if (spec.is_object()) {
      if (spec.size() != 1) throw bad_override(feature, "must have exactly one of set, add, mul");
      const std::string op = spec.begin().key();
      if (op == "set")
        o.op = Override::Op::Set;
      else if (op == "add")
        o.op = Override::Op::Add;
      else if (op == "mul")
        o.op = Override::Op::Mul;
      else
        throw bad_override(feature, "has unknown operation \"" + op + "\"");
      value = &spec.begin().value();
    }
    if (text) {
      if (o.op != Override::Op::Set || !value->is_string())
        throw bad_override(feature, "must set a category (a string): it is a text feature");
      o.category = value->get<std::string>();
    } else {
      if (!value->is_number()) throw bad_override(feature, "must be a number");
      o.value = value->get<double>();
      if (!std::isfinite(o.value)) throw bad_override(feature, "must be finite");
    }
    out.by_feature[feature] = o;
  }
  return out;
}

void apply_overrides(const Overrides &ov, const std::vector<std::string> &numeric_features,
                     const TextEncoding &encoding, double *row) {
  if (ov.empty()) return;
  for (std::size_t f = 0; f < numeric_features.size(); ++f) {
    auto it = ov.by_feature.find(numeric_features[f]);
    if (it == ov.by_feature.end()) continue;
    const Override &o = it->second;
    if (o.op == Override::Op::Set)
      row[f] = o.value;
    else if (o.op == Override::Op::Add)
      row[f] += o.value;
    else
      row[f] *= o.value;
  }
  std::size_t offset = numeric_features.size();
  for (const auto &e : encoding.encoders) {
    auto it = ov.by_feature.find(e.name);
    if (it != ov.by_feature.end()) {
      std::fill_n(row + offset, e.width(), 0.0);
      row[offset + e.column_of(it->second.category)] = 1.0;
    }
    offset += e.width();
  }
}

}  // namespace xb
