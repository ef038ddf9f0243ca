// Little-endian bytes: the one codec behind the model blob and its weights.
// Integers and floats are written byte by byte in little-endian order, so a
// blob reads the same on every host. Every read is bounds-checked first and a
// short or malformed input is Error(CorruptModel), never a read past the end.
#pragma once
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <type_traits>

#include "core/common/error.hpp"

namespace xb {

// The one error for bytes that are not a valid model.
inline Error corrupt_model(const std::string &why) {
  return Error(ErrorKind::CorruptModel, "model bytes are invalid: " + why,
               "Retrain the model, or restore an intact copy of its row.");
}

class ByteWriter {
 public:
  template <typename T>
  void put(T value) {
    static_assert(std::is_integral_v<T>, "integers only; floats go through put_float");
    auto u = static_cast<std::make_unsigned_t<T>>(value);
    for (std::size_t i = 0; i < sizeof(T); ++i) out_.push_back(static_cast<char>((u >> (8 * i)) & 0xff));
  }
  void put_float(float f) {
    std::uint32_t bits;
    std::memcpy(&bits, &f, sizeof bits);
    put(bits);
  }
  void put_bytes(std::string_view b) { out_.append(b.data(), b.size()); }
  // A length (u32, or u64 when wide) followed by the bytes.
  void put_section(std::string_view b, bool wide) {
    if (wide)
      put<std::uint64_t>(b.size());
    else
      put<std::uint32_t>(static_cast<std::uint32_t>(b.size()));
    put_bytes(b);
  }
  const std::string &bytes() const { return out_; }
  std::string take() { return std::move(out_); }

 private:
  std::string out_;
};

class ByteReader {
 public:
  explicit ByteReader(std::string_view bytes) : b_(bytes) {}
  template <typename T>
  T get() {
    static_assert(std::is_integral_v<T>, "integers only; floats go through get_float");
    const std::string_view raw = take(sizeof(T));
    std::make_unsigned_t<T> u = 0;
    for (std::size_t i = 0; i < sizeof(T); ++i)
      u |= static_cast<std::make_unsigned_t<T>>(static_cast<unsigned char>(raw[i])) << (8 * i);
    return static_cast<T>(u);
  }
  float get_float() {
    const auto bits = get<std::uint32_t>();
    float f;
    std::memcpy(&f, &bits, sizeof f);
    return f;
  }
  std::string_view take(std::size_t n) {
    if (n > remaining()) throw corrupt_model("truncated");
    std::string_view s = b_.substr(pos_, n);
    pos_ += n;
    return s;
  }
  // A section written by ByteWriter::put_section, at most `max` bytes long.
  std::string_view section(bool wide, std::uint64_t max) {
    const std::uint64_t len = wide ? get<std::uint64_t>() : get<std::uint32_t>();
    if (len > max || len > remaining()) throw corrupt_model("section length out of range");
    return take(static_cast<std::size_t>(len));
  }
  std::size_t pos() const { return pos_; }
  std::size_t remaining() const { return b_.size() - pos_; }
  bool at_end() const { return pos_ == b_.size(); }

 private:
  std::string_view b_;
  std::size_t pos_ = 0;
};

}  // namespace xb
