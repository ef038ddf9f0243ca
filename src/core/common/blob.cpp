#include "core/common/blob.hpp"

#include <algorithm>
#include <boost/crc.hpp>
#include <cstring>

#include "core/common/byte_codec.hpp"
#include "core/common/error.hpp"

namespace xb {
namespace {

constexpr char kMagic[8] = {'X', 'B', 'M', 'O', 'D', 'E', 'L', '\0'};

std::uint32_t crc32(const char *data, std::size_t len) {
  boost::crc_32_type crc;
  crc.process_bytes(data, len);
  return crc.checksum();
}

// How deep arrays and objects nest in JSON text (strings skipped). The
// state's readers copy and print it recursively, so a crafted state nested
// 100,000 deep would overflow the backend's stack, although nlohmann parses
// it without recursion. Real states nest five deep.
constexpr int kMaxStateDepth = 64;
int json_depth(std::string_view text) {
  int depth = 0, deepest = 0;
  bool in_string = false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (in_string) {
      if (c == '\\')
        ++i;  // the escaped character cannot end the string
      else if (c == '"')
        in_string = false;
    } else if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      deepest = std::max(deepest, ++depth);
    } else if (c == ']' || c == '}') {
      --depth;
    }
  }
  return deepest;
}

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
  ByteWriter out;
  out.put_bytes(std::string_view(kMagic, sizeof kMagic));
  out.put<std::uint16_t>(kBlobFormatVersion);
  out.put<std::uint8_t>(static_cast<std::uint8_t>(blob.kind));
  out.put<std::uint8_t>(0);
  out.put_section(blob.arch, false);
  out.put_section(blob.state_json, false);
  out.put_section(blob.weights, true);
  out.put<std::uint32_t>(crc32(out.bytes().data(), out.bytes().size()));
  return out.take();
}

ModelBlob decode_blob(std::string_view bytes) {
  if (bytes.size() < sizeof kMagic + 4 || std::memcmp(bytes.data(), kMagic, sizeof kMagic) != 0)
    throw corrupt_model("not an xb model (bad magic)");
  const std::size_t body = bytes.size() - 4;
  if (ByteReader(bytes.substr(body)).get<std::uint32_t>() != crc32(bytes.data(), body))
    throw corrupt_model("checksum mismatch");

  ByteReader r(bytes.substr(0, body));
  r.take(sizeof kMagic);
  const auto version = r.get<std::uint16_t>();
  if (version != kBlobFormatVersion)
    throw Error(ErrorKind::CorruptModel,
                "model format version " + std::to_string(version) + " is not supported (this build reads version " +
                    std::to_string(kBlobFormatVersion) + ")",
                "Retrain the model with this version of xb.");
  ModelBlob blob;
  const auto kind = r.get<std::uint8_t>();
  if (kind < 1 || kind > 3) throw corrupt_model("unknown model kind " + std::to_string(kind));
  blob.kind = static_cast<ModelKind>(kind);
  r.get<std::uint8_t>();
  blob.arch = std::string(r.section(false, kMaxArchBytes));
  blob.state_json = std::string(r.section(false, kMaxStateBytes));
  if (json_depth(blob.state_json) > kMaxStateDepth) throw corrupt_model("state nested too deeply");
  blob.weights = std::string(r.section(true, kMaxWeightBytes));
  if (!r.at_end()) throw corrupt_model("trailing bytes");
  return blob;
}

}  // namespace xb
