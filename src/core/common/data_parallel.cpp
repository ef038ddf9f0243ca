#include "core/common/data_parallel.hpp"

#include <pthread.h>
#include <signal.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <optional>
#include <stdexcept>
#include <utility>

namespace xb {
namespace {

// Threads started while one lives block every signal from their first
// instruction (a new thread inherits its creator's mask): a server's
// signals stay its main thread's, whose handlers expect it.
class SignalsBlockedForNewThreads {
 public:
  SignalsBlockedForNewThreads() {
    sigset_t all;
    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, &was_);
  }
  ~SignalsBlockedForNewThreads() { pthread_sigmask(SIG_SETMASK, &was_, nullptr); }
  SignalsBlockedForNewThreads(const SignalsBlockedForNewThreads &) = delete;
  SignalsBlockedForNewThreads &operator=(const SignalsBlockedForNewThreads &) = delete;

 private:
  sigset_t was_;
};

// This thread's intra-op threads. LibTorch sets a thread's count from the
// process-wide one at its first parallel use; asking first runs that, so
// it cannot undo what is set here. Setting it also sets that process-wide
// count, which only threads not yet started read: the callers put their
// own count back when their helpers are done. A failure leaves LibTorch's
// count (only speed depends on it).
void use_threads(int n) noexcept {
  try {
    if (at::get_num_threads() != n) at::set_num_threads(n);
  } catch (...) {
  }
}

// LibTorch's count, or n where reading it fails (it may start the pool).
int threads_now_or(int n) noexcept {
  try {
    return at::get_num_threads();
  } catch (...) {
    return n;
  }
}

}  // namespace

IntraOpThreads::IntraOpThreads(int n) noexcept : was_(threads_now_or(n)) { use_threads(n); }
IntraOpThreads::~IntraOpThreads() { use_threads(was_); }

std::size_t shards_for(int threads, int batch_size, const torch::Device &device) {
  constexpr int kMinShardRows = 16;
  if (!device.is_cpu() || threads < 2) return 1;
  return static_cast<std::size_t>(std::max(1, std::min(threads, batch_size / kMinShardRows)));
}

void split_over_threads(long count, const torch::Device &device, const std::function<void(long)> &run,
                        const std::function<void()> &between) {
  const int threads = at::get_num_threads();
  const long T = device.is_cpu() ? std::min<long>(threads, count) : 1;
  if (T < 2) {
    // A single item (a small model's validation, once an epoch) on one
    // intra-op thread: an OpenMP team it started would spin for
    // milliseconds after it, on the cores a data-parallel training's shards
    // need next (Walmart's GRU on 2 threads trained in 1.60-1.81 s, now 1.20-1.23 s).
    std::optional<IntraOpThreads> one;
    if (device.is_cpu() && count == 1 && threads >= 2) one.emplace(1);
    for (long i = 0; i < count; ++i) {
      between();
      run(i);
    }
    return;
  }
  const int each = std::max(1, threads / static_cast<int>(T));
  const bool grad = torch::GradMode::is_enabled();
  std::vector<std::exception_ptr> errors(static_cast<std::size_t>(T));
  std::atomic<bool> stop{false};  // any range's error ends the others early
  std::vector<std::thread> others;
  const IntraOpThreads own(each);  // before the helpers start: they inherit it, then set it themselves
  try {
    others.reserve(static_cast<std::size_t>(T - 1));
    {
      const SignalsBlockedForNewThreads blocked;
      for (long t = 1; t < T; ++t)
        others.emplace_back([&, t] {
          use_threads(each);
          try {
            torch::AutoGradMode same(grad);  // thread-local: the caller's
            for (long i = count * t / T; i < count * (t + 1) / T && !stop; ++i) run(i);
          } catch (...) {
            errors[static_cast<std::size_t>(t)] = std::current_exception();
            stop = true;
          }
        });
    }
    for (long i = 0; i < count / T && !stop; ++i) {
      between();
      run(i);
    }
  } catch (...) {  // a range's error, or a thread that could not start
    errors[0] = std::current_exception();
    stop = true;
  }
  for (std::thread &t : others) t.join();
  for (const std::exception_ptr &e : errors)
    if (e) std::rethrow_exception(e);
}

void run_jobs_on_threads(std::size_t count, int threads, std::atomic<bool> &stop,
                         const std::function<void(std::size_t)> &job, const std::function<void()> &serve,
                         int intra_threads) {
  const std::size_t T = std::min<std::size_t>(count, static_cast<std::size_t>(std::max(1, threads)));
  const bool grad = torch::GradMode::is_enabled();
  const IntraOpThreads own(threads_now_or(1));  // the helpers set LibTorch's process-wide count: put back after
  std::mutex mutex;
  std::condition_variable finished_one;
  std::size_t finished = 0;
  std::atomic<std::size_t> next{0};
  std::exception_ptr job_error, serve_error;
  const auto record = [&](std::exception_ptr e) {
    std::lock_guard<std::mutex> lock(mutex);
    if (!job_error) job_error = std::move(e);
    stop = true;
  };
  std::vector<std::thread> workers;
  try {
    workers.reserve(T);
    const SignalsBlockedForNewThreads blocked;
    for (std::size_t t = 0; t < T; ++t)
      workers.emplace_back([&] {
        use_threads(std::max(1, intra_threads));
        try {
          torch::AutoGradMode same(grad);  // thread-local: the caller's
          for (std::size_t i = next++; i < count && !stop; i = next++) job(i);
        } catch (...) {
          record(std::current_exception());
        }
        {
          std::lock_guard<std::mutex> lock(mutex);
          ++finished;
        }
        finished_one.notify_all();
      });
  } catch (...) {  // a thread that could not start: those started end early
    record(std::current_exception());
  }
  for (bool all = false; !all;) {
    {
      std::unique_lock<std::mutex> lock(mutex);
      all = finished_one.wait_for(lock, std::chrono::milliseconds(20), [&] { return finished == workers.size(); });
    }
    if (serve_error) continue;
    try {
      serve();
    } catch (...) {
      serve_error = std::current_exception();
      stop = true;
    }
  }
  for (std::thread &w : workers) w.join();
  if (serve_error) std::rethrow_exception(serve_error);
  if (job_error) std::rethrow_exception(job_error);
}

ShardedStep::ShardedStep(std::vector<torch::Tensor> trainable, std::vector<std::vector<torch::Tensor>> replicas,
                         ShardLoss loss, int intra_threads, torch::Device device, bool bf16)
    : trainable_(std::move(trainable)),
      replicas_(std::move(replicas)),
      loss_(std::move(loss)),
      intra_threads_(std::max(1, intra_threads)),
      device_(device),
      bf16_(bf16),
      shard_losses_(replicas_.size() + 1) {
  for (const auto &r : replicas_) {
    bool same = r.size() == trainable_.size();
    for (std::size_t i = 0; same && i < r.size(); ++i) same = r[i].sizes() == trainable_[i].sizes();
    if (!same) throw std::invalid_argument("a replica's parameters differ from the network's");
  }
  try {
    const SignalsBlockedForNewThreads blocked;
    for (std::size_t k = 0; k < replicas_.size(); ++k) {
      workers_.push_back(std::make_unique<Worker>());
      Worker &w = *workers_.back();
      w.thread = std::thread([this, &w] { serve(w); });
    }
  } catch (...) {  // a thread that could not start: the others end
    stop_workers();
    throw;
  }
}

ShardedStep::~ShardedStep() { stop_workers(); }

void ShardedStep::stop_workers() noexcept {
  for (auto &w : workers_) {
    {
      std::lock_guard<std::mutex> lock(w->mutex);
      w->quit = true;
    }
    w->wake.notify_all();
  }
  for (auto &w : workers_)
    if (w->thread.joinable()) w->thread.join();
}

void ShardedStep::serve(Worker &w) {
  use_threads(intra_threads_);
  for (;;) {
    std::function<void()> job;
    {
      std::unique_lock<std::mutex> lock(w.mutex);
      w.wake.wait(lock, [&w] { return w.busy || w.quit; });
      if (w.quit) return;
      job = std::move(w.job);
    }
    try {
      job();
    } catch (...) {
      w.error = std::current_exception();
    }
    {
      std::lock_guard<std::mutex> lock(w.mutex);
      w.busy = false;
    }
    w.wake.notify_all();
  }
}

torch::Tensor ShardedStep::shard_backward(std::size_t shard, const torch::Tensor &idx, const torch::Tensor &idx_cpu,
                                          double share) {
  torch::Tensor loss;
  {
    const xb_torch::Bf16Autocast autocast(device_, bf16_);  // thread-local: each shard sets its own
    loss = loss_(shard, idx, idx_cpu).to(torch::kFloat);
  }
  (loss * share).backward();
  return loss.detach() * share;
}

torch::Tensor ShardedStep::run(const torch::Tensor &idx, const torch::Tensor &idx_cpu) {
  const long n = idx.size(0);
  const std::size_t S = std::min<std::size_t>(shards(), static_cast<std::size_t>(std::max<long>(n, 1)));
  {  // the replicas start the step from the network's weights, without gradients
    torch::NoGradGuard no_grad;
    for (std::size_t k = 1; k < S; ++k)
      for (std::size_t i = 0; i < trainable_.size(); ++i) {
        replicas_[k - 1][i].copy_(trainable_[i]);
        replicas_[k - 1][i].mutable_grad() = torch::Tensor();
      }
  }
  const auto begin = [&](std::size_t k) { return n * static_cast<long>(k) / static_cast<long>(S); };
  // Every shard handed to a worker is waited for however this thread's part
  // ends, since the jobs use this object and the caller's network.
  std::size_t dispatched = 1;
  std::exception_ptr error;
  try {
    for (std::size_t k = 1; k < S; ++k) {
      const long lo = begin(k), len = begin(k + 1) - lo;
      const double share = static_cast<double>(len) / static_cast<double>(n);
      Worker &w = *workers_[k - 1];
      {
        std::lock_guard<std::mutex> lock(w.mutex);
        w.job = [this, k, share, part = idx.narrow(0, lo, len), part_cpu = idx_cpu.narrow(0, lo, len)] {
          shard_losses_[k] = shard_backward(k, part, part_cpu, share);
        };
        w.error = nullptr;
        w.busy = true;
      }
      ++dispatched;
      w.wake.notify_all();
    }
    const long len = begin(1);
    shard_losses_[0] = shard_backward(0, idx.narrow(0, 0, len), idx_cpu.narrow(0, 0, len),
                                      static_cast<double>(len) / static_cast<double>(n));
  } catch (...) {
    error = std::current_exception();
  }
  for (std::size_t k = 1; k < dispatched; ++k) {  // every started worker is waited for, even after an error
    Worker &w = *workers_[k - 1];
    std::unique_lock<std::mutex> lock(w.mutex);
    w.wake.wait(lock, [&w] { return !w.busy; });
    if (!error && w.error) error = w.error;
  }
  if (error) std::rethrow_exception(error);

  torch::NoGradGuard no_grad;
  torch::Tensor loss = shard_losses_[0];
  for (std::size_t k = 1; k < S; ++k) {
    loss = loss + shard_losses_[k];
    for (std::size_t i = 0; i < trainable_.size(); ++i) {
      const torch::Tensor &g = replicas_[k - 1][i].grad();
      if (!g.defined() || !trainable_[i].requires_grad()) continue;  // frozen: no gradient
      torch::Tensor &into = trainable_[i].mutable_grad();
      if (into.defined())
        into.add_(g);
      else
        into = g.clone();
    }
  }
  return loss;
}

}  // namespace xb
