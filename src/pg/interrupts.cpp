#include "pg/interrupts.hpp"

#include <cstdio>

#include "pg/guard.hpp"
#include "pg/guc.hpp"

namespace xb::pg {

bool cancel_requested() { return InterruptPending && (QueryCancelPending || ProcDiePending); }

TrainHooks backend_hooks(const char *model_name) {
  TrainHooks hooks;
  hooks.interrupted = cancel_requested;
  hooks.notice = [](const std::string &message) {
    const char *text = message.c_str();
    pg_call([&] { ereport(NOTICE, (errmsg("%s", text))); });
  };
  hooks.on_epoch = [model_name](const EpochRecord &r) {
    int every = progress_every();
    if (every <= 0 || r.epoch % every != 0) return;
    char line[256];
    snprintf(line, sizeof line, "%s: member %d, epoch %d, train loss %.5f, validation loss %.5f, %.1f s", model_name,
             r.member, r.epoch, r.train_loss, r.val_loss, r.seconds);
    pg_call([&] { ereport(NOTICE, (errmsg("%s", line))); });
  };
  return hooks;
}

}  // namespace xb::pg
