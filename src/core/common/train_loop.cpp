#include "core/common/train_loop.hpp"

#include <atomic>
#include <chrono>
#include <cmath>
#include <limits>
#include <mutex>
#include <optional>

#include "core/common/error.hpp"

namespace xb {
namespace {

std::vector<torch::Tensor> snapshot(torch::nn::Module &net) {
  std::vector<torch::Tensor> copy;
  for (const auto &t : net.parameters()) copy.push_back(t.detach().clone());
  for (const auto &t : net.buffers()) copy.push_back(t.detach().clone());
  return copy;
}

void restore(torch::nn::Module &net, const std::vector<torch::Tensor> &copy) {
  torch::NoGradGuard no_grad;
  std::size_t i = 0;
  for (auto &t : net.parameters()) t.copy_(copy[i++]);
  for (auto &t : net.buffers()) t.copy_(copy[i++]);
}

}  // namespace

void stop_if_interrupted(const TrainHooks &hooks) {
  if (hooks.interrupted && hooks.interrupted()) throw Error(ErrorKind::Interrupted, "training was interrupted");
}

void train_side_by_side(std::size_t count, int threads, const TrainHooks &hooks,
                        const std::function<void(std::size_t, const TrainHooks &)> &job, int intra_threads) {
  std::atomic<bool> stop{false};
  std::mutex queue_mutex;
  std::vector<EpochRecord> queued;
  TrainHooks on_member;  // runs on a member's thread: only queues, or reads `stop`
  on_member.interrupted = [&stop] { return stop.load(); };
  on_member.on_epoch = [&](const EpochRecord &r) {
    std::lock_guard<std::mutex> lock(queue_mutex);
    queued.push_back(r);
  };
  run_jobs_on_threads(
      count, threads, stop, [&](std::size_t i) { job(i, on_member); },
      [&] {
        std::vector<EpochRecord> ready;
        {
          std::lock_guard<std::mutex> lock(queue_mutex);
          ready.swap(queued);
        }
        if (hooks.on_epoch)
          for (const EpochRecord &r : ready) hooks.on_epoch(r);
        stop_if_interrupted(hooks);
      },
      intra_threads);
}

FitResult train_loop(torch::nn::Module &net, const std::vector<torch::Tensor> &trainable, long rows,
                     const LoopSettings &s,
                     const std::function<torch::Tensor(const torch::Tensor &, const torch::Tensor &)> &batch_loss,
                     const std::function<double()> &val_loss, const TrainHooks &hooks, ShardedStep *sharded) {
  torch::optim::Adam adam(trainable, torch::optim::AdamOptions(s.lr).weight_decay(s.weight_decay));
  const auto start = std::chrono::steady_clock::now();
  FitResult result;
  result.best_val_loss = std::numeric_limits<double>::infinity();
  std::vector<torch::Tensor> best = snapshot(net);
  bool early_stopping = true;
  int since_best = 0;
  double lr = s.lr;
  const long steps_per_epoch = (rows + s.batch_size - 1) / s.batch_size;
  const double total_steps = static_cast<double>(steps_per_epoch) * s.epochs;
  long step = 0;
  auto set_lr = [&](double value) {
    for (auto &group : adam.param_groups()) static_cast<torch::optim::AdamOptions &>(group.options()).lr(value);
  };

  for (int epoch = 1; epoch <= s.epochs; ++epoch) {
    if (epoch > 1 && std::chrono::steady_clock::now() >= s.deadline) {
      result.out_of_time = true;
      break;
    }
    net.train();
    // Drawn on the CPU whatever the device, so a seed shuffles alike on both.
    const auto order_on_cpu =
        s.shuffle ? torch::randperm(rows, *s.shuffle, torch::kLong) : torch::randperm(rows, torch::kLong);
    const auto order = order_on_cpu.to(s.device);
    // Summed where the losses are: reading each one (.item) would wait for
    // the device at every step.
    auto loss_sum = torch::zeros({}, torch::TensorOptions(torch::kDouble).device(s.device));
    // Sharded, this thread computes one shard; the validation below has
    // every thread again.
    std::optional<IntraOpThreads> on_shard;
    if (sharded) on_shard.emplace(sharded->intra_threads());
    for (long i = 0; i < rows; i += s.batch_size) {
      stop_if_interrupted(hooks);
      const long n = std::min<long>(s.batch_size, rows - i);
      auto idx = order.narrow(0, i, n);
      if (s.cosine) set_lr(s.lr * 0.5 * (1 + std::cos(M_PI * static_cast<double>(step++) / total_steps)));
      // The log shows the rate the optimizer applies at the epoch's first step.
      if (i == 0) lr = static_cast<torch::optim::AdamOptions &>(adam.param_groups().front().options()).lr();
      adam.zero_grad();
      torch::Tensor loss;
      if (sharded) {
        loss = sharded->run(idx, order_on_cpu.narrow(0, i, n));
      } else {
        {
          const xb_torch::Bf16Autocast autocast(s.device, s.bf16);
          loss = batch_loss(idx, order_on_cpu.narrow(0, i, n)).to(torch::kFloat);
        }
        loss.backward();
      }
      adam.step();
      loss_sum += loss.detach().to(torch::kDouble) * static_cast<double>(idx.size(0));
    }
    on_shard.reset();
    EpochRecord rec;
    rec.member = s.member;
    rec.epoch = epoch;
    rec.train_loss = loss_sum.item<double>() / static_cast<double>(rows);
    rec.val_loss = val_loss();
    rec.lr = lr;
    rec.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    result.epochs.push_back(rec);
    if (hooks.on_epoch) hooks.on_epoch(rec);

    early_stopping = !std::isnan(rec.val_loss);
    if (!early_stopping) {
      result.best_epoch = epoch;
      continue;
    }
    if (rec.val_loss < result.best_val_loss) {
      result.best_val_loss = rec.val_loss;
      result.best_epoch = epoch;
      best = snapshot(net);
      since_best = 0;
    } else if (++since_best > s.patience && !s.cosine) {
      break;
    } else if (s.lr_decay < 1 && !s.cosine) {
      lr *= s.lr_decay;
      set_lr(lr);
    }
  }
  if (early_stopping) restore(net, best);
  net.eval();
  return result;
}

}  // namespace xb
