// The one training loop of every network in xb: shuffled mini-batches with
// Adam, the validation loss after each epoch, early stopping with the best
// epoch's weights restored, an interrupt check between mini-batches and a
// progress hook per epoch. The jobs supply only their batch loss and their
// validation loss. Core-internal (torch).
#pragma once
#include "core/common/torch_api.hpp"

#include <functional>
#include <optional>
#include <vector>

#include "core/common/deadline.hpp"
#include "core/common/data_parallel.hpp"
#include "core/common/train_hooks.hpp"

namespace xb {

struct LoopSettings {
  int epochs = 1;
  int batch_size = 64;
  int patience = 10;
  double lr = 1e-3;
  double weight_decay = 0;
  // The learning rate is multiplied by this after each epoch whose
  // validation loss is not the best so far (1: constant).
  double lr_decay = 1;
  // Instead: the learning rate follows half a cosine from lr down to 0 over
  // every step of the epochs asked for, which all run (patience and lr_decay
  // are then not used; the best validation epoch's weights are still kept):
  // stopped early, the schedule would end at a high rate, unannealed.
  bool cosine = false;
  int member = 0;  // ensemble member, for the training log
  // No epoch starts after this (the first always runs): the option
  // time_budget, shared out among members and trials.
  Deadline deadline = kNoDeadline;
  // Where the network is: each epoch's shuffled order moves there once.
  torch::Device device = torch::kCPU;
  // Each step's forward pass under bf16 autocast (mixed precision): weights,
  // gradients, the optimizer and validation stay in fp32.
  bool bf16 = false;
  // Each epoch's order drawn from this generator (none: LibTorch's global
  // one), for members trained side by side on threads of their own.
  std::optional<at::Generator> shuffle;
};

struct FitResult {
  std::vector<EpochRecord> epochs;
  int best_epoch = 0;
  double best_val_loss = 0;
  bool out_of_time = false;  // stopped by the deadline before its epochs or patience ran out
};

// batch_loss(rows, rows_on_cpu): the mean loss over those rows (a long
// tensor of indexes on the device, and the same on the CPU, for data kept in
// host memory), with its graph. val_loss(): the validation loss in eval mode, or
// NaN when there is no validation part: then every epoch runs and the last
// weights stay. Only `trainable` is optimised (frozen layers are left out).
// With `sharded`, each step runs through it (core/common/data_parallel)
// instead of batch_loss, the calling thread on its intra-op threads.
FitResult train_loop(torch::nn::Module &net, const std::vector<torch::Tensor> &trainable, long rows,
                     const LoopSettings &settings,
                     const std::function<torch::Tensor(const torch::Tensor &, const torch::Tensor &)> &batch_loss,
                     const std::function<double()> &val_loss, const TrainHooks &hooks, ShardedStep *sharded = nullptr);

// Throws Error(Interrupted) when the caller asks to stop.
void stop_if_interrupted(const TrainHooks &hooks);

// Trainings side by side (an ensemble's members): job(i, member_hooks) for
// each i in [0, count) through run_jobs_on_threads on `threads` threads,
// each with intra_threads intra-op threads.
// A job's hooks only queue its epochs and say when to stop (another job
// failed, or the caller stops); the calling thread passes the queued epochs
// on to hooks.on_epoch and asks hooks.interrupted every few milliseconds.
void train_side_by_side(std::size_t count, int threads, const TrainHooks &hooks,
                        const std::function<void(std::size_t, const TrainHooks &)> &job, int intra_threads = 1);

}  // namespace xb
