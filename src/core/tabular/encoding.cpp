#include "core/tabular/encoding.hpp"

#include <algorithm>
#include <cmath>
#include <nlohmann/json.hpp>

#include "core/common/error.hpp"

namespace xb {
namespace {

using nlohmann::json;

bool is_blank(unsigned char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' || c == '\v'; }

void fit_numbers(ColumnEncoder &c, const TabularColumn &col, const std::vector<long> &rows) {
  double sum = 0, sq = 0;
  long n = 0;
  bool missing = false;
  for (long r : rows) {
    double v = col.numbers[r];
    if (!std::isfinite(v)) {
      missing = true;
      continue;
    }
    sum += v;
    ++n;
  }
  c.scaler.mean = n ? sum / n : 0;
  for (long r : rows) {
    double v = col.numbers[r];
    if (std::isfinite(v)) sq += (v - c.scaler.mean) * (v - c.scaler.mean);
  }
  double sd = n ? std::sqrt(sq / n) : 1;
  c.scaler.std = sd > 1e-12 && std::isfinite(sd) ? sd : 1;
  c.scaler.indicator = missing;
}

void fit_categories(ColumnEncoder &c, const TabularColumn &col, const std::vector<long> &rows, int min_count) {
  std::map<std::string, long> counts;
  for (long r : rows) ++counts[normalize_category(col.texts[r])];
  std::set<std::string> kept{kMissingBucket, kOtherBucket};
  for (const auto &[category, count] : counts) {
    if (category == kMissingBucket) continue;
    if (count >= min_count)
      kept.insert(category);
    else
      c.codes.rare.insert(category);
  }
  c.codes.categories.assign(kept.begin(), kept.end());  // std::set: sorted
  // Label encoding standardises the codes of the training rows.
  double sum = 0, sq = 0;
  std::vector<int> code_list;
  for (long r : rows) {
    std::string v = normalize_category(col.texts[r]);
    int code = c.codes.code_of(v);
    if (code < 0) code = c.codes.code_of(kOtherBucket);
    code_list.push_back(code);
    sum += code;
  }
  double n = static_cast<double>(std::max<std::size_t>(code_list.size(), 1));
  c.codes.code_mean = sum / n;
  for (int code : code_list) sq += (code - c.codes.code_mean) * (code - c.codes.code_mean);
  double sd = std::sqrt(sq / n);
  c.codes.code_std = sd > 1e-12 ? sd : 1;
}

// The code of a raw cell: its category, "(other)" for a rare one, -1 unseen.
int cell_code(const CategoryCodes &codes, const std::optional<std::string> &raw) {
  std::string v = normalize_category(raw);
  int code = codes.code_of(v);
  if (code < 0 && codes.rare.count(v)) code = codes.code_of(kOtherBucket);
  return code;
}

Error corrupt_state(const std::string &why) {
  return Error(ErrorKind::CorruptModel, "model state is invalid: " + why, "Retrain the model.");
}

}  // namespace

std::string normalize_category(const std::optional<std::string> &raw) {
  if (!raw) return kMissingBucket;
  const std::string &s = *raw;
  std::size_t b = 0, e = s.size();
  while (b < e && is_blank(static_cast<unsigned char>(s[b]))) ++b;
  while (e > b && is_blank(static_cast<unsigned char>(s[e - 1]))) --e;
  std::string out = s.substr(b, e - b);
  // ASCII only: bytes of multi-byte UTF-8 characters are left as they are.
  for (char &ch : out)
    if (ch >= 'A' && ch <= 'Z') ch = static_cast<char>(ch - 'A' + 'a');
  if (out.empty() || out == "null") return kMissingBucket;
  return out;
}

Encoding encoding_from_name(const std::string &name) {
  if (name == "onehot") return Encoding::OneHot;
  if (name == "label") return Encoding::Label;
  if (name == "embedding") return Encoding::Embedding;
  throw Error(ErrorKind::InvalidParameter, "unknown encoding \"" + name + "\"", "Use onehot, label or embedding.");
}

const char *encoding_name(Encoding e) {
  switch (e) {
    case Encoding::OneHot: return "onehot";
    case Encoding::Label: return "label";
    case Encoding::Embedding: return "embedding";
  }
  return "onehot";
}

int CategoryCodes::code_of(const std::string &normalized) const {
  auto it = std::lower_bound(categories.begin(), categories.end(), normalized);
  if (it == categories.end() || *it != normalized) return -1;
  return static_cast<int>(it - categories.begin());
}

TabularEncoder::TabularEncoder(const std::vector<TabularColumn> &columns, const std::vector<long> &rows,
                               Encoding encoding, int min_count, int embedding_dim)
    : encoding_(encoding) {
  for (const auto &col : columns) {
    ColumnEncoder c;
    c.name = col.name;
    c.numeric = col.numeric;
    if (col.numeric) {
      fit_numbers(c, col, rows);
    } else {
      fit_categories(c, col, rows, min_count);
      long k = static_cast<long>(c.codes.categories.size());
      c.embedding_dim = embedding_dim > 0 ? embedding_dim : static_cast<int>(std::min<long>(16, (k + 1) / 2));
    }
    columns_.push_back(std::move(c));
  }
}

long TabularEncoder::dense_dim() const {
  long d = 0;
  for (const auto &c : columns_) {
    if (c.numeric)
      d += c.scaler.indicator ? 2 : 1;
    else if (encoding_ == Encoding::OneHot)
      d += static_cast<long>(c.codes.categories.size());
    else if (encoding_ == Encoding::Label)
      d += 1;
  }
  return d;
}

std::vector<long> TabularEncoder::cardinalities() const {
  std::vector<long> out;
  if (encoding_ != Encoding::Embedding) return out;
  for (const auto &c : columns_)
    if (!c.numeric) out.push_back(static_cast<long>(c.codes.categories.size()) + 1);
  return out;
}

std::vector<long> TabularEncoder::embedding_dims() const {
  std::vector<long> out;
  if (encoding_ != Encoding::Embedding) return out;
  for (const auto &c : columns_)
    if (!c.numeric) out.push_back(c.embedding_dim);
  return out;
}

std::vector<std::string> TabularEncoder::input_names() const {
  std::vector<std::string> names;
  for (const auto &c : columns_) {
    if (c.numeric) {
      names.push_back(c.name);
      if (c.scaler.indicator) names.push_back(c.name + ":missing");
    } else if (encoding_ == Encoding::OneHot) {
      for (const auto &cat : c.codes.categories) names.push_back(c.name + "=" + cat);
    } else if (encoding_ == Encoding::Label) {
      names.push_back(c.name + "#label");
    } else {
      std::string all = c.name + "#embedding(";
      for (const auto &cat : c.codes.categories) all += cat + ",";
      names.push_back(all + std::to_string(c.embedding_dim) + ")");
    }
  }
  return names;
}

EncodedRows TabularEncoder::encode(const std::vector<TabularColumn> &columns, const std::vector<long> &rows) const {
  if (columns.size() != columns_.size())
    throw Error(ErrorKind::Internal, "encoder expects " + std::to_string(columns_.size()) + " columns");
  EncodedRows out;
  out.rows = static_cast<long>(rows.size());
  out.dense_dim = dense_dim();
  out.code_dim = static_cast<long>(cardinalities().size());
  out.dense.assign(static_cast<std::size_t>(out.rows * out.dense_dim), 0.0f);
  out.codes.assign(static_cast<std::size_t>(out.rows * out.code_dim), 0);
  for (long i = 0; i < out.rows; ++i) {
    const long r = rows[i];
    float *dense = out.dense.data() + i * out.dense_dim;
    std::int64_t *codes = out.codes.data() + i * out.code_dim;
    for (std::size_t k = 0; k < columns_.size(); ++k) {
      const ColumnEncoder &c = columns_[k];
      const TabularColumn &col = columns[k];
      if (c.numeric) {
        double v = col.numeric ? col.numbers[r] : NAN;
        bool missing = !std::isfinite(v);
        *dense++ = missing ? 0.0f : static_cast<float>((v - c.scaler.mean) / c.scaler.std);
        if (c.scaler.indicator) *dense++ = missing ? 1.0f : 0.0f;
        continue;
      }
      int code = cell_code(c.codes, col.numeric ? std::optional<std::string>() : col.texts[r]);
      const long k_cats = static_cast<long>(c.codes.categories.size());
      if (encoding_ == Encoding::OneHot) {
        if (code >= 0) dense[code] = 1.0f;  // unknown: no bit set
        dense += k_cats;
      } else if (encoding_ == Encoding::Label) {
        *dense++ = code >= 0 ? static_cast<float>((code - c.codes.code_mean) / c.codes.code_std) : 0.0f;
      } else {
        *codes++ = code >= 0 ? code : k_cats;  // k_cats: the unknown row, kept at zero
      }
    }
  }
  return out;
}

EncodedRows TabularEncoder::encode_all(const std::vector<TabularColumn> &columns) const {
  std::vector<long> rows(columns.empty() ? 0 : columns[0].size());
  for (std::size_t i = 0; i < rows.size(); ++i) rows[i] = static_cast<long>(i);
  return encode(columns, rows);
}

json TabularEncoder::to_json() const {
  json cols = json::array();
  for (const auto &c : columns_) {
    json j = {{"name", c.name}, {"numeric", c.numeric}};
    if (c.numeric) {
      j["mean"] = c.scaler.mean;
      j["std"] = c.scaler.std;
      j["indicator"] = c.scaler.indicator;
    } else {
      j["categories"] = c.codes.categories;
      j["rare"] = c.codes.rare;
      j["code_mean"] = c.codes.code_mean;
      j["code_std"] = c.codes.code_std;
      j["embedding_dim"] = c.embedding_dim;
    }
    cols.push_back(std::move(j));
  }
  return {{"encoding", encoding_name(encoding_)}, {"columns", cols}};
}

TabularEncoder TabularEncoder::from_json(const json &j) {
  TabularEncoder e;
  try {
    e.encoding_ = encoding_from_name(j.at("encoding").get<std::string>());
    for (const auto &jc : j.at("columns")) {
      ColumnEncoder c;
      c.name = jc.at("name").get<std::string>();
      c.numeric = jc.at("numeric").get<bool>();
      if (c.numeric) {
        c.scaler.mean = jc.at("mean").get<double>();
        c.scaler.std = jc.at("std").get<double>();
        c.scaler.indicator = jc.at("indicator").get<bool>();
        if (!(c.scaler.std > 0)) throw corrupt_state("scaler of \"" + c.name + "\"");
      } else {
        c.codes.categories = jc.at("categories").get<std::vector<std::string>>();
        c.codes.rare = jc.at("rare").get<std::set<std::string>>();
        c.codes.code_mean = jc.at("code_mean").get<double>();
        c.codes.code_std = jc.at("code_std").get<double>();
        c.embedding_dim = jc.at("embedding_dim").get<int>();
        if (!std::is_sorted(c.codes.categories.begin(), c.codes.categories.end()) || !(c.codes.code_std > 0) ||
            c.embedding_dim < 1)
          throw corrupt_state("categories of \"" + c.name + "\"");
      }
      e.columns_.push_back(std::move(c));
    }
  } catch (const json::exception &ex) {
    throw corrupt_state(ex.what());
  } catch (const Error &ex) {
    throw corrupt_state(ex.what());
  }
  return e;
}

}  // namespace xb
