// Where a training's time goes, for the lineage: preparing (checks, split,
// encoding, panel and windows) until the first fit's first epoch begins,
// then training (fitting, evaluation, the blob). The boundary adds the read.
#pragma once
#include <chrono>
#include <optional>

#include "core/common/train_hooks.hpp"

namespace xb {

class PhaseClock {
 public:
  using Clock = std::chrono::steady_clock;

  // hooks whose on_epoch also marks the end of preparation at the first
  // epoch's start (its record says how long its loop has run). The clock
  // must outlive them; epochs are reported on the training's own thread.
  TrainHooks watch(TrainHooks hooks) {
    hooks.on_epoch = [this, forward = std::move(hooks.on_epoch)](const EpochRecord &r) {
      if (!prepared_)
        prepared_ =
            Clock::now() - std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(r.seconds));
      if (forward) forward(r);
    };
    return hooks;
  }
  // Where no epoch runs (the statistical members): preparation ends now.
  void mark_prepared() {
    if (!prepared_) prepared_ = Clock::now();
  }
  // Until preparation ended (all of it, when nothing marked its end).
  double prepare_seconds() const { return seconds_between(start_, prepared_.value_or(Clock::now())); }
  double seconds() const { return seconds_between(start_, Clock::now()); }

 private:
  static double seconds_between(Clock::time_point a, Clock::time_point b) {
    return std::chrono::duration<double>(b - a).count();
  }
  Clock::time_point start_ = Clock::now();
  std::optional<Clock::time_point> prepared_;
};

}  // namespace xb
