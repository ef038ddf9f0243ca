#include "core/weights.hpp"

#include <cmath>
#include <cstring>
#include <vector>

#include "core/error.hpp"

namespace xb {
namespace {

constexpr char kMagic[4] = {'X', 'B', 'W', '1'};

std::vector<std::pair<std::string, torch::Tensor>> tensors_of(const torch::nn::Module &module) {
  std::vector<std::pair<std::string, torch::Tensor>> out;
  for (const auto &p : module.named_parameters(true)) out.emplace_back(p.key(), p.value());
  for (const auto &b : module.named_buffers(true)) out.emplace_back(b.key(), b.value());
  return out;
}

template <typename T>
void put(std::string &out, T value) {
  out.append(reinterpret_cast<const char *>(&value), sizeof value);
}

class Reader {
 public:
  explicit Reader(std::string_view bytes) : bytes_(bytes) {}
  template <typename T>
  T get() {
    T value;
    std::memcpy(&value, take(sizeof value), sizeof value);
    return value;
  }
  const char *take(std::size_t n) {
    if (n > bytes_.size() - pos_) throw corrupt("they end early");
    const char *p = bytes_.data() + pos_;
    pos_ += n;
    return p;
  }
  bool at_end() const { return pos_ == bytes_.size(); }
  static Error corrupt(const std::string &why) {
    return Error(ErrorKind::CorruptModel, "model weights do not load: " + why, "The blob does not match its header.");
  }

 private:
  std::string_view bytes_;
  std::size_t pos_ = 0;
};

}  // namespace

std::string save_weights(const torch::nn::Module &module) {
  std::string out(kMagic, sizeof kMagic);
  const auto tensors = tensors_of(module);
  put<std::uint32_t>(out, static_cast<std::uint32_t>(tensors.size()));
  for (const auto &[name, t] : tensors) {
    put<std::uint32_t>(out, static_cast<std::uint32_t>(name.size()));
    out += name;
    put<std::uint32_t>(out, static_cast<std::uint32_t>(t.dim()));
    for (auto size : t.sizes()) put<std::int64_t>(out, size);
    auto values = t.detach().to(torch::kCPU, torch::kFloat32).contiguous();
    out.append(reinterpret_cast<const char *>(values.data_ptr<float>()), values.numel() * sizeof(float));
  }
  return out;
}

void load_weights(torch::nn::Module &module, std::string_view bytes) {
  Reader in(bytes);
  if (std::memcmp(in.take(sizeof kMagic), kMagic, sizeof kMagic) != 0) throw Reader::corrupt("unknown format");
  auto tensors = tensors_of(module);
  if (in.get<std::uint32_t>() != tensors.size()) throw Reader::corrupt("wrong number of tensors");
  torch::NoGradGuard no_grad;
  for (auto &[name, t] : tensors) {
    const auto name_size = in.get<std::uint32_t>();
    if (std::string_view(in.take(name_size), name_size) != name) throw Reader::corrupt("unexpected tensor name");
    if (in.get<std::uint32_t>() != static_cast<std::uint32_t>(t.dim())) throw Reader::corrupt("wrong rank of " + name);
    for (auto size : t.sizes())
      if (in.get<std::int64_t>() != size) throw Reader::corrupt("wrong shape of " + name);
    const std::size_t count = static_cast<std::size_t>(t.numel());
    std::vector<float> values(count);
    std::memcpy(values.data(), in.take(count * sizeof(float)), count * sizeof(float));
    for (float v : values)
      if (!std::isfinite(v)) throw Reader::corrupt(name + " holds a non-finite value");
    t.copy_(torch::from_blob(values.data(), t.sizes(), torch::kFloat32));
  }
  if (!in.at_end()) throw Reader::corrupt("trailing bytes");
}

}  // namespace xb
