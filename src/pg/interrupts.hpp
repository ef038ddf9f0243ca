// The hooks a training or forecasting run gets from the backend: cancel and
// timeout checks, progress and notices as NOTICEs.
#pragma once
#include "core/common/train_hooks.hpp"
#include "pg/heap_reuse.hpp"
#include "pg/training_threads.hpp"

namespace xb::pg {

// Reads only the backend's interrupt flags: safe between mini-batches.
bool cancel_requested();

TrainHooks backend_hooks(const char *model_name);

// backend_hooks for applying a model (model_id) whose notices come once per
// model and backend: the same NOTICE (covariates carried forward, say) is not
// repeated on every call of a dashboard's query.
TrainHooks model_hooks(const char *model_name, long model_id);

// What xb.trainings shows: while it lives, the backend's pg_stat_activity
// query reads "/* xb training */ phase=... model=name", updated after every
// epoch of the hooks it hands out (member, epoch, losses, seconds); the
// statement's own text comes back when it ends. pg_stat_activity shows it
// only to the same role and to pg_read_all_stats, as any query text.
class TrainingActivity {
 public:
  TrainingActivity(const char *model_name, const char *phase);
  ~TrainingActivity();
  TrainingActivity(const TrainingActivity &) = delete;
  TrainingActivity &operator=(const TrainingActivity &) = delete;
  // backend_hooks whose on_epoch also reports the epoch here.
  TrainHooks hooks() const;
  // The xb.* settings with the threads this training was granted
  // (pg/training_threads: held while it lives).
  const RuntimeSettings &runtime() const { return threads_.runtime(); }

 private:
  // Declared first, so ended last: the threads go back before the heap is trimmed.
  HeapReuse heap_{HeapReuse::AtEnd::GiveBack};
  TrainingThreads threads_;
  const char *model_name_;
  const char *phase_;
};

}  // namespace xb::pg
