// The model blob: what xb.models.weights and xb_model_bytes() hold.
//
//   "XBMODEL\0"  magic, 8 bytes
//   u16          format version
//   u8           kind (1 forecaster, 2 classifier, 3 regressor)
//   u8           reserved, 0
//   u32 + bytes  architecture name
//   u32 + bytes  state: JSON with the preprocessing (scalers, encoders,
//                lookback, feature names, series tails) and hyperparameters
//   u64 + bytes  weights: xb's tensor format (core/common/weights.hpp)
//   u32          CRC-32 of everything before it
// Integers are little-endian (core/common/byte_codec.hpp). A blob that fails
// any check is refused whole.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>

namespace xb {

enum class ModelKind : std::uint8_t { Forecaster = 1, Classifier = 2, Regressor = 3 };

constexpr std::uint16_t kBlobFormatVersion = 1;

// Upper bounds of each section, checked before anything is copied.
constexpr std::uint64_t kMaxArchBytes = 64;
constexpr std::uint64_t kMaxStateBytes = std::uint64_t(1) << 30;  // the 1 GB of a bytea
constexpr std::uint64_t kMaxWeightBytes = std::uint64_t(1) << 30;

struct ModelBlob {
  ModelKind kind = ModelKind::Forecaster;
  std::string arch;
  std::string state_json;
  std::string weights;
};

std::string encode_blob(const ModelBlob &blob);
ModelBlob decode_blob(std::string_view bytes);  // throws Error(CorruptModel)
const char *model_kind_name(ModelKind kind);

}  // namespace xb
