// Data parallelism on the CPU, for networks too small for intra-op threads.
//
// ShardedStep, training: each step's rows split into
// shards, shard 0 computed on the calling thread with the network itself,
// shard k on a worker thread of its own with a replica of it, and the
// replicas' gradients added to the network's in shard order, so a seed gives
// the same training for a given shard count. The gradient is the one of the
// whole mini-batch (each shard's mean loss weighted by its share of the
// rows): the recipe (batch size, epochs, optimizer) is unchanged.
//
// Why: a small recurrent network's operations are too small for intra-op
// threads. A GRU of hidden 64 over 28 steps, batch 64, on a 2-core
// machine: 9.6-11.2 ms a step on 2 intra-op threads, 7.1-7.7 ms on 1,
// 5.8-7.0 ms as two shards of 32 on one thread each (README, Performance).
// Core-internal (torch).
#pragma once
#include "core/common/torch_api.hpp"

#include <atomic>
#include <condition_variable>
#include <exception>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

namespace xb {

// The mean loss of shard `shard` over rows idx (on the device) and idx_cpu,
// with its graph: shard 0 runs the network itself, shard k its replica k.
using ShardLoss =
    std::function<torch::Tensor(std::size_t shard, const torch::Tensor &idx, const torch::Tensor &idx_cpu)>;

class ShardedStep {
 public:
  // replicas[k - 1]: shard k's parameters, in the order and shapes of
  // `trainable` (std::invalid_argument otherwise). Each worker runs with
  // intra_threads intra-op threads; the caller's own count is its business
  // (train_loop sets it for the loop). Throws std::system_error when a
  // worker thread cannot start (those started are ended first).
  ShardedStep(std::vector<torch::Tensor> trainable, std::vector<std::vector<torch::Tensor>> replicas, ShardLoss loss,
              int intra_threads, torch::Device device, bool bf16);
  ~ShardedStep();  // joins the workers
  ShardedStep(const ShardedStep &) = delete;
  ShardedStep &operator=(const ShardedStep &) = delete;

  std::size_t shards() const { return workers_.size() + 1; }
  int intra_threads() const { return intra_threads_; }
  // The mean loss over idx, detached; its gradient is added to the .grad of
  // `trainable` (which the optimizer zeroed before).
  torch::Tensor run(const torch::Tensor &idx, const torch::Tensor &idx_cpu);

 private:
  struct Worker {
    std::mutex mutex;
    std::condition_variable wake;
    std::function<void()> job;
    bool busy = false, quit = false;
    std::exception_ptr error;
    std::thread thread;
  };
  void serve(Worker &w);
  void stop_workers() noexcept;
  torch::Tensor shard_backward(std::size_t shard, const torch::Tensor &idx, const torch::Tensor &idx_cpu, double share);

  std::vector<torch::Tensor> trainable_;
  std::vector<std::vector<torch::Tensor>> replicas_;
  ShardLoss loss_;
  int intra_threads_;
  torch::Device device_;
  bool bf16_;
  std::vector<torch::Tensor> shard_losses_;
  std::vector<std::unique_ptr<Worker>> workers_;
};

// Prediction: run(i) for i in [0, count) over the calling thread's intra-op
// threads, each thread a contiguous range of i with one share of them (so
// `run` must be safe to call concurrently: a network in eval mode under no
// grad is); `between` runs on the calling thread between its own items (the
// interrupt check) and may throw, after which the others are waited for.
// One range, on the calling thread, on a GPU or with one thread; a single
// item on the calling thread with one intra-op thread.
void split_over_threads(long count, const torch::Device &device, const std::function<void(long)> &run,
                        const std::function<void()> &between);

// Independent jobs (an ensemble's members): job(i) for each i in
// [0, count), in order of i, on min(threads, count) threads of their own,
// each with intra_threads intra-op threads, while the calling thread only serves: every
// few milliseconds until every job is done, and once after, it runs `serve`
// (the progress the jobs queued, the interrupt check), which may throw.
// `stop` is set on any job's error and on serve's, and a job must end soon
// once it is set (no further job starts). Every started thread is joined
// before this returns or throws: serve's error, else the first job error to
// happen, else std::system_error when no thread could start.
void run_jobs_on_threads(std::size_t count, int threads, std::atomic<bool> &stop,
                         const std::function<void(std::size_t)> &job, const std::function<void()> &serve,
                         int intra_threads = 1);

// The calling thread's intra-op threads set to n while alive, then put back.
// Setting them also sets LibTorch's process-wide count, which only threads
// not yet started read; a failure to set leaves the count (only speed
// depends on it).
class IntraOpThreads {
 public:
  explicit IntraOpThreads(int n) noexcept;
  ~IntraOpThreads();
  IntraOpThreads(const IntraOpThreads &) = delete;
  IntraOpThreads &operator=(const IntraOpThreads &) = delete;

 private:
  int was_;
};

// How many shards a training of `batch_size` rows should split its steps
// into on `threads` CPU threads: one per thread, at least 16 rows each; 1
// (no sharding) on a GPU, with one thread, or for small batches.
std::size_t shards_for(int threads, int batch_size, const torch::Device &device);

}  // namespace xb
