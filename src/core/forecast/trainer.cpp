#include "core/trainer.hpp"

#include <chrono>
#include <limits>

#include "core/error.hpp"

namespace xb {
namespace {

torch::Tensor loss_of(const std::string &loss, const torch::Tensor &pred, const torch::Tensor &target) {
  if (loss == "mae") return torch::l1_loss(pred, target);
  if (loss == "huber") return torch::huber_loss(pred, target);
  return torch::mse_loss(pred, target);
}

double mean_loss(ForecastNet &net, const WindowBatch &b, const ForecastOptions &o, const torch::Device &device,
                 const TrainHooks &hooks) {
  return loss_of(o.loss, predict(net, b, device, hooks), b.target).item<double>();
}

std::vector<torch::Tensor> snapshot(ForecastNet &net) {
  std::vector<torch::Tensor> copy;
  for (const auto &t : net->parameters()) copy.push_back(t.detach().clone());
  for (const auto &t : net->buffers()) copy.push_back(t.detach().clone());
  return copy;
}

void restore(ForecastNet &net, const std::vector<torch::Tensor> &copy) {
  torch::NoGradGuard no_grad;
  std::size_t i = 0;
  for (auto &t : net->parameters()) t.copy_(copy[i++]);
  for (auto &t : net->buffers()) t.copy_(copy[i++]);
}

}  // namespace

void stop_if_interrupted(const TrainHooks &hooks) {
  if (hooks.interrupted && hooks.interrupted()) throw Error(ErrorKind::Interrupted, "training was interrupted");
}

FitResult fit(ForecastNet &net, const WindowBatch &train, const WindowBatch &val, const ForecastOptions &o,
              const torch::Device &device, const TrainHooks &hooks, int member) {
  torch::optim::Adam adam(net->parameters(), torch::optim::AdamOptions(o.lr).weight_decay(o.weight_decay));
  const auto start = std::chrono::steady_clock::now();
  const long n = train.past.size(0);
  FitResult result;
  result.best_val_loss = std::numeric_limits<double>::infinity();
  std::vector<torch::Tensor> best = snapshot(net);
  int since_best = 0;

  for (int epoch = 1; epoch <= o.epochs; ++epoch) {
    net->train();
    auto order = torch::randperm(n, torch::kLong);
    double loss_sum = 0;
    for (long i = 0; i < n; i += o.batch_size) {
      stop_if_interrupted(hooks);
      auto idx = order.narrow(0, i, std::min<long>(o.batch_size, n - i));
      auto past = train.past.index_select(0, idx).to(device);
      auto future = train.future.index_select(0, idx).to(device);
      auto target = train.target.index_select(0, idx).to(device);
      auto series = train.series.index_select(0, idx).to(device);
      adam.zero_grad();
      auto loss = loss_of(o.loss, net->forward(past, future, series), target);
      loss.backward();
      adam.step();
      loss_sum += loss.item<double>() * static_cast<double>(idx.size(0));
    }
    EpochRecord rec;
    rec.member = member;
    rec.epoch = epoch;
    rec.train_loss = loss_sum / static_cast<double>(n);
    rec.val_loss = mean_loss(net, val, o, device, hooks);
    rec.lr = o.lr;
    rec.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    result.epochs.push_back(rec);
    if (hooks.on_epoch) hooks.on_epoch(rec);

    if (rec.val_loss < result.best_val_loss) {
      result.best_val_loss = rec.val_loss;
      result.best_epoch = epoch;
      best = snapshot(net);
      since_best = 0;
    } else if (++since_best > o.patience) {
      break;
    }
  }
  restore(net, best);
  net->eval();
  return result;
}

}  // namespace xb
