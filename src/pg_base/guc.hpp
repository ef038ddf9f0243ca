// The xb.* settings, defined by xb_base.so (src/pg_base/module.cpp says why)
// and read by xb.so through these functions, which xb_base.so exports.
#pragma once
#include "core/common/train_hooks.hpp"

#define XB_BASE_API __attribute__((visibility("default")))

namespace xb::pg {

void define_settings();
XB_BASE_API RuntimeSettings runtime_settings();  // xb.device, xb.threads, xb.max_train_memory, xb.max_gpu_memory
XB_BASE_API int progress_every();                // xb.progress_every
XB_BASE_API long max_train_rows();               // xb.max_train_rows
XB_BASE_API int model_cache_size();              // xb.model_cache_size
XB_BASE_API int max_training_threads();          // xb.max_training_threads (0: no cap)

}  // namespace xb::pg
