// A module's parameters and buffers as bytes, and back:
//   "XBW1", u32 tensor count, then per tensor (in the module's own order):
//   u32 + bytes name, u32 rank, i64 x rank sizes, float32 x element count.
// Little-endian (core/common/byte_codec.hpp). Written here rather than with
// torch::save because a model blob can come from a user (xb_forecast(bytea)) and LibTorch's archive
// reader crashes on some damaged inputs; this reader checks every length,
// name, shape and value against the network it fills. Core-internal (torch).
#pragma once
#include "core/common/torch_api.hpp"

#include <cstdint>
#include <string>
#include <string_view>

namespace xb {

std::string save_weights(const torch::nn::Module &module);

// Throws Error(CorruptModel) unless the bytes hold exactly the module's
// tensors, with their names and shapes and finite values.
void load_weights(torch::nn::Module &module, std::string_view bytes);

}  // namespace xb
