#include "pg/interrupts.hpp"

#include <cstdio>
#include <string>
#include <unordered_set>

#include "pg/guard.hpp"
#include "pg_base/guc.hpp"

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

TrainHooks model_hooks(const char *model_name, long model_id) {
  TrainHooks hooks = backend_hooks(model_name);
  const auto notice = hooks.notice;
  hooks.notice = [notice, model_id](const std::string &message) {
    // Per backend; bounded, so a session that applies many models keeps
    // its memory (the notices then come once more).
    static std::unordered_set<std::string> given;
    if (given.size() >= 4096) given.clear();
    if (given.insert(std::to_string(model_id) + ":" + message).second) notice(message);
  };
  return hooks;
}

namespace {

constexpr const char *kActivityPrefix = "/* xb training */";

void report_activity(const char *text) {
  pg_call([&] { pgstat_report_activity(STATE_RUNNING, text); });
}

}  // namespace

// The text is built whole and handed to pgstat_report_activity, which cuts it
// to track_activity_query_size on a character boundary (a fixed buffer
// could cut a multibyte model name in the middle of a character).
TrainingActivity::TrainingActivity(const char *model_name, const char *phase)
    : threads_(runtime_settings()), model_name_(model_name), phase_(phase) {
  report_activity((std::string(kActivityPrefix) + " phase=" + phase_ + " model=" + model_name_).c_str());
}

// pgstat_report_activity only copies the text into this backend's slot; it
// does not raise an error.
TrainingActivity::~TrainingActivity() { pgstat_report_activity(STATE_RUNNING, debug_query_string); }

TrainHooks TrainingActivity::hooks() const {
  TrainHooks hooks = backend_hooks(model_name_);
  const auto progress = hooks.on_epoch;
  const char *model = model_name_, *phase = phase_;
  hooks.on_epoch = [progress, model, phase](const EpochRecord &r) {
    char numbers[256];
    snprintf(numbers, sizeof numbers, " member=%d epoch=%d train_loss=%.6e validation_loss=%.6e seconds=%.1f", r.member,
             r.epoch, r.train_loss, r.val_loss, r.seconds);
    report_activity((std::string(kActivityPrefix) + " phase=" + phase + numbers + " model=" + model).c_str());
    progress(r);
  };
  return hooks;
}

}  // namespace xb::pg
