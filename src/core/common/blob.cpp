#include "core/blob.hpp"

#include <boost/crc.hpp>
#include <cstring>

#include "core/error.hpp"

namespace xb {
namespace {

constexpr char kMagic[8] = {'X', 'B', 'M', 'O', 'D', 'E', 'L', '\0'};
constexpr std::size_t kMaxSection = std::size_t(1) << 40;

template <typename T>
void put(std::string &out, T value) {
  for (std::size_t i = 0; i < sizeof(T); ++i) out.push_back(static_cast<char>((value >> (8 * i)) & 0xff));
}

void put_section(std::string &out, const std::string &bytes, bool wide) {
  if (wide) put<std::uint64_t>(out, bytes.size());
  else put<std::uint32_t>(out, static_cast<std::uint32_t>(bytes.size()));
  out += bytes;
}

std::uint32_t crc32(const char *data, std::size_t len) {
  boost::crc_32_type crc;
  crc.process_bytes(data, len);
  return crc.checksum();
}

Error corrupt(const std::string &why) {
  return Error(ErrorKind::CorruptModel, "model bytes are invalid: " + why,
               "Retrain the model, or restore an intact copy of its row.");
}

class Reader {
 public:
  explicit Reader(std::string_view b) : b_(b) {}
  template <typename T>
  T get() {
    need(sizeof(T));
    T v = 0;
    for (std::size_t i = 0; i < sizeof(T); ++i) v |= T(static_cast<unsigned char>(b_[pos_ + i])) << (8 * i);
    pos_ += sizeof(T);
    return v;
  }
  std::string section(bool wide) {
    std::uint64_t len = wide ? get<std::uint64_t>() : get<std::uint32_t>();
    if (len > kMaxSection) throw corrupt("section length out of range");
    need(static_cast<std::size_t>(len));
    std::string s(b_.substr(pos_, static_cast<std::size_t>(len)));
    pos_ += static_cast<std::size_t>(len);
    return s;
  }
  std::size_t pos() const { return pos_; }

 private:
  void need(std::size_t n) {
    if (n > b_.size() - pos_) throw corrupt("truncated");
  }
  std::string_view b_;
  std::size_t pos_ = 0;
};

}  // namespace

const char *model_kind_name(ModelKind kind) {
  switch (kind) {
    case ModelKind::Forecaster: return "forecaster";
    case ModelKind::Classifier: return "classifier";
    case ModelKind::Regressor: return "regressor";
  }
  return "unknown";
}

std::string encode_blob(const ModelBlob &blob) {
  std::string out(kMagic, sizeof kMagic);
  put<std::uint16_t>(out, kBlobFormatVersion);
  out.push_back(static_cast<char>(blob.kind));
  out.push_back('\0');
  put_section(out, blob.arch, false);
  put_section(out, blob.state_json, false);
  put_section(out, blob.weights, true);
  put<std::uint32_t>(out, crc32(out.data(), out.size()));
  return out;
}

ModelBlob decode_blob(std::string_view bytes) {
  if (bytes.size() < sizeof kMagic + 4 || std::memcmp(bytes.data(), kMagic, sizeof kMagic) != 0)
    throw corrupt("not an xb model (bad magic)");
  std::size_t body = bytes.size() - 4;
  Reader tail(bytes.substr(body));
  if (tail.get<std::uint32_t>() != crc32(bytes.data(), body)) throw corrupt("checksum mismatch");

  Reader r(bytes.substr(0, body));
  for (std::size_t i = 0; i < sizeof kMagic; ++i) r.get<std::uint8_t>();
  auto version = r.get<std::uint16_t>();
  if (version != kBlobFormatVersion)
    throw Error(ErrorKind::CorruptModel,
                "model format version " + std::to_string(version) + " is not supported (this build reads version " +
                    std::to_string(kBlobFormatVersion) + ")",
                "Retrain the model with this version of xb.");
  ModelBlob blob;
  auto kind = r.get<std::uint8_t>();
  if (kind < 1 || kind > 3) throw corrupt("unknown model kind " + std::to_string(kind));
  blob.kind = static_cast<ModelKind>(kind);
  r.get<std::uint8_t>();
  blob.arch = r.section(false);
  blob.state_json = r.section(false);
  blob.weights = r.section(true);
  if (r.pos() != body) throw corrupt("trailing bytes");
  return blob;
}

}  // namespace xb
