// The hooks a training or forecasting run gets from the backend: cancel and
// timeout checks, progress and notices as NOTICEs.
#pragma once
#include "core/common/train_hooks.hpp"

namespace xb::pg {

// Reads only the backend's interrupt flags: safe between mini-batches.
bool cancel_requested();

TrainHooks backend_hooks(const char *model_name);

}  // namespace xb::pg
