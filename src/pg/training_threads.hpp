// The server-wide cap on the threads trainings use at once
// (xb.max_training_threads): each thread is a token, a lock in PostgreSQL's
// lock manager on an advisory tag of no database, so every database and
// backend shares them. A training takes as many free tokens as it wants
// threads, at least one, waiting for one (cancellable, under lock_timeout)
// when none is free, first come first served, and then taking any others
// freed by then; so eight
// sessions training at once on a 2-core machine run two threads in all, not
// sixteen. pg_locks shows the tokens held as
// advisory locks of database 0 (classid 30818, 'xb'; objsubid 3).
#pragma once
#include <vector>

#include "core/common/train_hooks.hpp"

namespace xb::pg {

class TrainingThreads {
 public:
  // Takes up to `runtime.threads` tokens (xb.threads, 0: usable_cores()).
  explicit TrainingThreads(const RuntimeSettings &runtime);
  ~TrainingThreads();  // gives them back
  TrainingThreads(const TrainingThreads &) = delete;
  TrainingThreads &operator=(const TrainingThreads &) = delete;

  // The settings with the threads granted.
  const RuntimeSettings &runtime() const { return runtime_; }

 private:
  RuntimeSettings runtime_;
  std::vector<int> held_;
};

}  // namespace xb::pg
