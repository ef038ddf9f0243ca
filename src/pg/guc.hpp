// The xb.* settings.
#pragma once
#include "core/common/train_hooks.hpp"

namespace xb::pg {

void define_settings();
RuntimeSettings runtime_settings();  // xb.device, xb.threads, xb.max_train_memory
int progress_every();                // xb.progress_every
long max_train_rows();               // xb.max_train_rows
int model_cache_size();              // xb.model_cache_size
int max_training_threads();          // xb.max_training_threads (0: no cap)

}  // namespace xb::pg
