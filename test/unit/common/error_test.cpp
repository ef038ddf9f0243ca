// What a client may see of a library error: LibTorch's own exceptions, as
// thrown by a real tensor operation, cut before their backtrace.
#include <gtest/gtest.h>

#include <string>

#include "core/common/error.hpp"
#include "core/common/torch_api.hpp"

using namespace xb;

namespace {

std::string client_part(const std::string &what) {
  const std::size_t cut = backtrace_start(what);
  return cut == std::string::npos ? what : what.substr(0, cut);
}

}  // namespace

TEST(BacktraceStart, ARealLibTorchErrorLosesItsAddresses) {
  std::string what;
  try {
    torch::ones({2, 3}).matmul(torch::ones({2, 3}));
  } catch (const c10::Error &e) {
    what = e.what();
  }
  ASSERT_FALSE(what.empty()) << "LibTorch accepted a (2x3)(2x3) product";
  const std::string client = client_part(what);
  EXPECT_NE(client.find("cannot be multiplied"), std::string::npos) << client;
  EXPECT_EQ(client.find("frame #"), std::string::npos) << client;
  EXPECT_EQ(client.find("0x"), std::string::npos) << client;
  EXPECT_EQ(client.find(".so"), std::string::npos) << client;
}

TEST(BacktraceStart, EachMarkerCutsAndPlainMessagesStayWhole) {
  EXPECT_EQ(client_part("shape mismatch\nException raised from foo at bar.cpp:1 (most recent call first):\nframe #0: "
                        "c10::Error (0x7f360cdc4062 in libc10.so)"),
            "shape mismatch\n");
  EXPECT_EQ(client_part("bad alloc frame #0: x (0x1 in libc10.so)"), "bad alloc ");
  EXPECT_EQ(client_part("first\nframe #3: y"), "first");
  EXPECT_EQ(backtrace_start("option \"hidden\" must be positive"), std::string::npos);
}
