#include <gtest/gtest.h>

#include <boost/crc.hpp>

#include "core/common/blob.hpp"
#include "core/common/error.hpp"

using namespace xb;

namespace {

ModelBlob sample() {
  return {ModelKind::Forecaster, "gru", R"({"lookback":8})", std::string("\x00\x01weights\xff", 10)};
}

ErrorKind kind_of(const std::string &bytes) {
  try {
    decode_blob(bytes);
  } catch (const Error &e) {
    return e.kind();
  }
  return ErrorKind::Internal;
}

void reseal(std::string &bytes) {
  boost::crc_32_type crc;
  crc.process_bytes(bytes.data(), bytes.size() - 4);
  std::uint32_t c = crc.checksum();
  for (int i = 0; i < 4; ++i) bytes[bytes.size() - 4 + i] = static_cast<char>((c >> (8 * i)) & 0xff);
}

}  // namespace

TEST(Blob, RoundTrip) {
  std::string bytes = encode_blob(sample());
  ModelBlob back = decode_blob(bytes);
  EXPECT_EQ(back.kind, ModelKind::Forecaster);
  EXPECT_EQ(back.arch, "gru");
  EXPECT_EQ(back.state_json, sample().state_json);
  EXPECT_EQ(back.weights, sample().weights);
}

TEST(Blob, EveryFlippedByteIsRefused) {
  std::string good = encode_blob(sample());
  for (std::size_t i = 0; i < good.size(); ++i) {
    std::string bad = good;
    bad[i] = static_cast<char>(bad[i] ^ 0x20);
    EXPECT_EQ(kind_of(bad), ErrorKind::CorruptModel) << "byte " << i;
  }
}

TEST(Blob, EveryTruncationIsRefused) {
  std::string good = encode_blob(sample());
  for (std::size_t n = 0; n < good.size(); ++n)
    EXPECT_EQ(kind_of(good.substr(0, n)), ErrorKind::CorruptModel) << "length " << n;
}

TEST(Blob, OtherFormatVersionIsRefusedByName) {
  std::string bytes = encode_blob(sample());
  bytes[8] = 2;  // version, low byte
  reseal(bytes);
  try {
    decode_blob(bytes);
    FAIL() << "version 2 accepted";
  } catch (const Error &e) {
    EXPECT_EQ(e.kind(), ErrorKind::CorruptModel);
    EXPECT_NE(std::string(e.what()).find("format version 2"), std::string::npos) << e.what();
  }
}

TEST(Blob, ForeignBytesAreRefused) {
  EXPECT_EQ(kind_of("PK\x03\x04 a zip file, not a model"), ErrorKind::CorruptModel);
  EXPECT_EQ(kind_of(""), ErrorKind::CorruptModel);
}

TEST(Blob, UnknownKindIsRefused) {
  std::string bytes = encode_blob(sample());
  bytes[10] = 9;
  reseal(bytes);
  EXPECT_EQ(kind_of(bytes), ErrorKind::CorruptModel);
}

// A state nested deeper than any xb writes is refused before a reader
// copies or prints it recursively (100,000 levels overflowed the stack);
// brackets inside strings do not count.
TEST(Blob, DeeplyNestedStateIsRefused) {
  ModelBlob deep = sample();
  deep.state_json = R"({"fallback": )" + std::string(100000, '[') + std::string(100000, ']') + "}";
  EXPECT_EQ(kind_of(encode_blob(deep)), ErrorKind::CorruptModel);
  deep.state_json = std::string(64, '[') + std::string(64, ']');
  EXPECT_NO_THROW(decode_blob(encode_blob(deep)));
  deep.state_json = R"({"key": ")" + std::string(1000, '[') + R"(\" [[", "x": [[1]]})";
  EXPECT_NO_THROW(decode_blob(encode_blob(deep)));
}
