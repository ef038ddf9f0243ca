#include "core/common/weights.hpp"

#include <cmath>
#include <vector>

#include "core/common/byte_codec.hpp"
#include "core/common/error.hpp"

namespace xb {
namespace {

constexpr char kMagic[4] = {'X', 'B', 'W', '1'};

std::vector<std::pair<std::string, torch::Tensor>> tensors_of(const torch::nn::Module &module) {
  std::vector<std::pair<std::string, torch::Tensor>> out;
  for (const auto &p : module.named_parameters(true)) out.emplace_back(p.key(), p.value());
  for (const auto &b : module.named_buffers(true)) out.emplace_back(b.key(), b.value());
  return out;
}

Error weights_corrupt(const std::string &why) { return corrupt_model("weights do not load: " + why); }

}  // namespace

std::string save_weights(const torch::nn::Module &module) {
  ByteWriter out;
  out.put_bytes(std::string_view(kMagic, sizeof kMagic));
  const auto tensors = tensors_of(module);
  out.put<std::uint32_t>(static_cast<std::uint32_t>(tensors.size()));
  for (const auto &[name, t] : tensors) {
    out.put_section(name, false);
    out.put<std::uint32_t>(static_cast<std::uint32_t>(t.dim()));
    for (auto size : t.sizes()) out.put<std::int64_t>(size);
    auto values = t.detach().to(torch::kCPU, torch::kFloat32).contiguous();
    const float *v = values.data_ptr<float>();
    for (std::int64_t i = 0; i < values.numel(); ++i) out.put_float(v[i]);
  }
  return out.take();
}

void load_weights(torch::nn::Module &module, std::string_view bytes) {
  ByteReader in(bytes);
  if (bytes.size() < sizeof kMagic || in.take(sizeof kMagic) != std::string_view(kMagic, sizeof kMagic))
    throw weights_corrupt("unknown format");
  auto tensors = tensors_of(module);
  if (in.get<std::uint32_t>() != tensors.size()) throw weights_corrupt("wrong number of tensors");
  torch::NoGradGuard no_grad;
  std::vector<float> values;
  for (auto &[name, t] : tensors) {
    if (in.section(false, name.size()) != name) throw weights_corrupt("unexpected tensor name");
    if (in.get<std::uint32_t>() != static_cast<std::uint32_t>(t.dim())) throw weights_corrupt("wrong rank of " + name);
    for (auto size : t.sizes())
      if (in.get<std::int64_t>() != size) throw weights_corrupt("wrong shape of " + name);
    const std::size_t count = static_cast<std::size_t>(t.numel());
    if (count > in.remaining() / sizeof(float)) throw weights_corrupt("they end early");
    values.resize(count);
    for (float &v : values) {
      v = in.get_float();
      if (!std::isfinite(v)) throw weights_corrupt(name + " holds a non-finite value");
    }
    t.copy_(torch::from_blob(values.data(), t.sizes(), torch::kFloat32));
  }
  if (!in.at_end()) throw weights_corrupt("trailing bytes");
}

}  // namespace xb
