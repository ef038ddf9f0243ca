// What a client may see of a library error: LibTorch's own exceptions, as
// thrown by a real tensor operation, cut before their backtrace.
#include <gtest/gtest.h>

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>

#include "core/common/error.hpp"
#include "core/common/runtime.hpp"
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

// LibTorch's out-of-memory errors become OutOfMemory (SQLSTATE 53200 at the
// boundary); its other errors stay internal.
TEST(LibraryError, OutOfMemoryOnTheDeviceOrTheHostIsOutOfMemory) {
  const c10::OutOfMemoryError gpu({"allocate", "alloc.cpp", 1}, "CUDA out of memory. Tried to allocate 2.00 GiB");
  std::optional<Error> meant = library_error(gpu);
  ASSERT_TRUE(meant);
  EXPECT_EQ(meant->kind(), ErrorKind::OutOfMemory);
  EXPECT_STREQ(meant->what(), "out of memory on the GPU: CUDA out of memory. Tried to allocate 2.00 GiB");
  // The client gets the first sentences only: PyTorch goes on about other
  // processes on the GPU and allocator settings a SQL user cannot change.
  const c10::OutOfMemoryError full({"allocate", "alloc.cpp", 1},
                                   "CUDA out of memory. Tried to allocate 20.00 MiB. GPU 0 has a total capacity of "
                                   "139.8 GiB of which 2 MiB is free. Process 4242 has 90 GiB memory in use.");
  meant = library_error(full);
  ASSERT_TRUE(meant);
  EXPECT_STREQ(meant->what(), "out of memory on the GPU: CUDA out of memory. Tried to allocate 20.00 MiB.");
  EXPECT_NE(meant->hint().find("xb.max_gpu_memory"), std::string::npos) << meant->hint();

  // A real host allocation far past any machine's memory (AddressSanitizer
  // aborts on such a request instead of failing it: there, LibTorch 1.13's
  // message as it raises it).
#ifndef __SANITIZE_ADDRESS__
  std::string host_what;
  try {
    torch::empty({std::int64_t{1} << 55}, torch::kByte);
  } catch (const c10::Error &e) {
    host_what = e.what();
    meant = library_error(e);
  }
  ASSERT_FALSE(host_what.empty()) << "LibTorch allocated 32 PiB";
#else
  const c10::Error host({"alloc_cpu", "alloc_cpu.cpp", 75},
                        "[enforce fail at alloc_cpu.cpp:75] err == 0. DefaultCPUAllocator: can't allocate memory: you "
                        "tried to allocate 36028797018963968 bytes. Error code 12 (Cannot allocate memory)");
  const std::string host_what = host.what();
  meant = library_error(host);
#endif
  ASSERT_TRUE(meant) << host_what;
  EXPECT_EQ(meant->kind(), ErrorKind::OutOfMemory);
  EXPECT_EQ(std::string(meant->what()).rfind("out of memory: ", 0), 0u) << meant->what();
}

TEST(LibraryError, OtherLibraryErrorsAreNotTranslated) {
  bool threw = false;
  try {
    torch::ones({2, 3}).matmul(torch::ones({2, 3}));
  } catch (const c10::Error &e) {
    threw = true;
    EXPECT_FALSE(library_error(e));
  }
  EXPECT_TRUE(threw);
  EXPECT_FALSE(library_error(std::runtime_error("plain")));
}

// xb.max_gpu_memory bounds a training only where it runs on a GPU.
TEST(TrainingMemoryLimit, TheGpuBoundAppliesOnlyOnAGpu) {
  RuntimeSettings s;
  s.max_memory_bytes = 4096.0 * 1048576;
  s.max_gpu_memory_bytes = 1024.0 * 1048576;
  s.device = "cpu";
  EXPECT_EQ(training_memory_limit(s), s.max_memory_bytes);
  s.device = "cuda:1";
  EXPECT_EQ(training_memory_limit(s), s.max_gpu_memory_bytes);
  s.max_gpu_memory_bytes = 8192.0 * 1048576;
  EXPECT_EQ(training_memory_limit(s), s.max_memory_bytes);  // the smaller of the two
  s.max_memory_bytes = 0;
  EXPECT_EQ(training_memory_limit(s), s.max_gpu_memory_bytes);
  s.max_gpu_memory_bytes = 0;
  EXPECT_EQ(training_memory_limit(s), 0);
  s.device = "auto";  // a CPU build: the CPU
  s.max_memory_bytes = 4096.0 * 1048576;
  s.max_gpu_memory_bytes = 1024.0 * 1048576;
  if (!torch::cuda::is_available()) {
    EXPECT_EQ(training_memory_limit(s), s.max_memory_bytes);
  }
}
