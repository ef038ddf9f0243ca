#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <stdexcept>
#include <thread>
#include <vector>

#include "core/common/data_parallel.hpp"
#include "core/common/torch_api.hpp"

using namespace xb;

namespace {

// A small network and its batch: y = mlp(x), squared error.
struct Problem {
  torch::nn::Sequential net{torch::nn::Linear(5, 8), torch::nn::Tanh(), torch::nn::Linear(8, 1)};
  torch::Tensor x = torch::randn({37, 5}), y = torch::randn({37, 1});
  torch::Tensor loss(torch::nn::Sequential &m, const torch::Tensor &idx) {
    return torch::mse_loss(m->forward(x.index_select(0, idx)), y.index_select(0, idx));
  }
};

std::vector<torch::Tensor> gradients(const torch::nn::Sequential &m) {
  std::vector<torch::Tensor> g;
  for (const auto &p : m->parameters()) g.push_back(p.grad().clone());
  return g;
}

}  // namespace

TEST(ShardedStep, ShardsGiveTheWholeBatchsLossAndGradient) {
  torch::manual_seed(1);
  Problem p;
  const auto idx = torch::randperm(37, torch::kLong);
  auto whole = p.loss(p.net, idx);
  whole.backward();
  const auto expected = gradients(p.net);
  for (std::size_t shards : {2, 3, 5}) {
    std::vector<torch::nn::Sequential> replicas;
    std::vector<std::vector<torch::Tensor>> replica_params;
    for (std::size_t k = 1; k < shards; ++k) {
      replicas.push_back(torch::nn::Sequential(torch::nn::Linear(5, 8), torch::nn::Tanh(), torch::nn::Linear(8, 1)));
      replica_params.push_back(replicas.back()->parameters());
    }
    for (auto &q : p.net->parameters()) q.mutable_grad().zero_();
    ShardedStep step(
        p.net->parameters(), replica_params,
        [&](std::size_t k, const torch::Tensor &rows, const torch::Tensor &) {
          return p.loss(k == 0 ? p.net : replicas[k - 1], rows);
        },
        1, torch::kCPU, false);
    EXPECT_EQ(step.shards(), shards);
    const auto loss = step.run(idx, idx);
    EXPECT_NEAR(loss.item<double>(), whole.item<double>(), 1e-6) << shards;
    const auto got = gradients(p.net);
    for (std::size_t i = 0; i < got.size(); ++i)
      EXPECT_TRUE(torch::allclose(got[i], expected[i], 1e-5, 1e-6)) << shards;
  }
}

TEST(ShardedStep, AWorkersErrorReachesTheCallerAndTheStepStaysUsable) {
  torch::manual_seed(2);
  Problem p;
  torch::nn::Sequential replica(torch::nn::Linear(5, 8), torch::nn::Tanh(), torch::nn::Linear(8, 1));
  bool fail = true;
  ShardedStep step(
      p.net->parameters(), {replica->parameters()},
      [&](std::size_t k, const torch::Tensor &rows, const torch::Tensor &) {
        if (k == 1 && fail) throw std::runtime_error("shard 1 failed");
        return p.loss(k == 0 ? p.net : replica, rows);
      },
      1, torch::kCPU, false);
  const auto idx = torch::arange(37, torch::kLong);
  EXPECT_THROW(step.run(idx, idx), std::runtime_error);
  fail = false;
  for (auto &q : p.net->parameters()) q.mutable_grad() = torch::Tensor();
  const double loss = step.run(idx, idx).item<double>();
  const auto got = gradients(p.net);
  for (auto &q : p.net->parameters()) q.mutable_grad() = torch::Tensor();
  auto whole = p.loss(p.net, idx);
  whole.backward();
  EXPECT_NEAR(loss, whole.item<double>(), 1e-6);
  const auto expected = gradients(p.net);
  for (std::size_t i = 0; i < got.size(); ++i) EXPECT_TRUE(torch::allclose(got[i], expected[i], 1e-5, 1e-6));
}

TEST(ShardedStep, TheCallersOwnShardsErrorWaitsForTheWorkers) {
  torch::manual_seed(3);
  Problem p;
  torch::nn::Sequential replica(torch::nn::Linear(5, 8), torch::nn::Tanh(), torch::nn::Linear(8, 1));
  std::atomic<bool> worker_done{false};
  ShardedStep step(
      p.net->parameters(), {replica->parameters()},
      [&](std::size_t k, const torch::Tensor &rows, const torch::Tensor &) {
        if (k == 0) throw std::runtime_error("shard 0 failed");
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
        worker_done = true;
        return p.loss(replica, rows);
      },
      1, torch::kCPU, false);
  const auto idx = torch::arange(37, torch::kLong);
  EXPECT_THROW(step.run(idx, idx), std::runtime_error);
  EXPECT_TRUE(worker_done.load());  // run() returned only after the worker's shard
}

TEST(ShardedStep, ReplicasThatDoNotMatchTheNetworkAreRefused) {
  Problem p;
  torch::nn::Sequential other(torch::nn::Linear(5, 4), torch::nn::Tanh(), torch::nn::Linear(4, 1));
  const ShardLoss loss = [](std::size_t, const torch::Tensor &, const torch::Tensor &) { return torch::zeros({}); };
  EXPECT_THROW(ShardedStep(p.net->parameters(), {other->parameters()}, loss, 1, torch::kCPU, false),
               std::invalid_argument);
}

TEST(ShardedStep, ShardsOnlyOnTheCpuWithThreadsAndRowsToSpare) {
  EXPECT_EQ(shards_for(1, 64, torch::kCPU), 1u);
  EXPECT_EQ(shards_for(2, 64, torch::kCPU), 2u);
  EXPECT_EQ(shards_for(16, 64, torch::kCPU), 4u);  // at least 16 rows each
  EXPECT_EQ(shards_for(2, 16, torch::kCPU), 1u);
  EXPECT_EQ(shards_for(2, 64, torch::Device(torch::kCUDA, 0)), 1u);
}

TEST(SplitOverThreads, EveryItemRunsOnceAndTheCallersErrorStopsTheOthers) {
  const int was = at::get_num_threads();
  at::set_num_threads(2);
  std::vector<int> ran(101, 0);
  std::vector<std::thread::id> by(101);
  int between = 0;
  split_over_threads(
      101, torch::kCPU,
      [&](long i) {
        ++ran[static_cast<std::size_t>(i)];
        by[static_cast<std::size_t>(i)] = std::this_thread::get_id();
      },
      [&] { ++between; });
  for (int r : ran) EXPECT_EQ(r, 1);
  EXPECT_EQ(between, 50);  // the caller's own range: the first half
  EXPECT_EQ(by[0], std::this_thread::get_id());
  EXPECT_NE(by[100], std::this_thread::get_id());
  EXPECT_EQ(at::get_num_threads(), 2);  // the caller's threads as they were

  std::atomic<long> after_error{0};
  EXPECT_THROW(split_over_threads(
                   1000, torch::kCPU,
                   [&](long i) {
                     if (i >= 500) {
                       std::this_thread::sleep_for(std::chrono::milliseconds(1));
                       ++after_error;
                     }
                   },
                   [] { throw std::runtime_error("interrupted"); }),
               std::runtime_error);
  EXPECT_LT(after_error.load(), 500);

  // One item runs on the caller with one intra-op thread (no OpenMP team
  // left spinning beside a training's shards), and the count comes back.
  int threads_in_run = 0;
  split_over_threads(
      1, torch::kCPU, [&](long) { threads_in_run = at::get_num_threads(); }, [] {});
  EXPECT_EQ(threads_in_run, 1);
  EXPECT_EQ(at::get_num_threads(), 2);
  at::set_num_threads(was);
}

// Independent jobs on threads of their own (an ensemble's members): each
// runs once, off the calling thread, on one intra-op thread; the caller only
// serves, and its count is put back. A job's error reaches the caller; so
// does serve's, which stops the jobs not yet started.
TEST(RunJobsOnThreads, EachJobRunsOnceOffTheCallerWhichServes) {
  const int was = at::get_num_threads();
  at::set_num_threads(2);
  std::vector<int> ran(7, 0), intra(7, 0);
  std::vector<std::thread::id> by(7);
  std::atomic<bool> stop{false};
  std::atomic<int> served{0};
  const auto caller = std::this_thread::get_id();
  std::thread::id served_by;
  run_jobs_on_threads(
      7, 2, stop,
      [&](std::size_t i) {
        ++ran[i];
        by[i] = std::this_thread::get_id();
        intra[i] = at::get_num_threads();
        std::this_thread::sleep_for(std::chrono::milliseconds(15));
      },
      [&] {
        ++served;
        served_by = std::this_thread::get_id();
      });
  for (std::size_t i = 0; i < 7; ++i) {
    EXPECT_EQ(ran[i], 1) << i;
    EXPECT_NE(by[i], caller) << i;
    EXPECT_EQ(intra[i], 1) << i;
  }
  EXPECT_GE(served.load(), 1);
  EXPECT_EQ(served_by, caller);
  EXPECT_FALSE(stop.load());
  EXPECT_EQ(at::get_num_threads(), 2);

  std::atomic<int> started{0};
  EXPECT_THROW(run_jobs_on_threads(
                   100, 2, stop,
                   [&](std::size_t i) {
                     ++started;
                     if (i == 3) throw std::invalid_argument("job 3");
                     std::this_thread::sleep_for(std::chrono::milliseconds(2));
                   },
                   [] {}),
               std::invalid_argument);
  EXPECT_TRUE(stop.load());
  EXPECT_LT(started.load(), 100);

  stop = false;
  started = 0;
  EXPECT_THROW(run_jobs_on_threads(
                   1000, 2, stop,
                   [&](std::size_t) {
                     ++started;
                     std::this_thread::sleep_for(std::chrono::milliseconds(1));
                   },
                   [] { throw std::runtime_error("interrupted"); }),
               std::runtime_error);
  EXPECT_LT(started.load(), 1000);
  EXPECT_EQ(at::get_num_threads(), 2);
  at::set_num_threads(was);
}
