#include "core/forecast/trainer.hpp"

namespace xb {
namespace {

torch::Tensor loss_of(const std::string &loss, const torch::Tensor &pred, const torch::Tensor &target) {
  if (loss == "mae") return torch::l1_loss(pred, target);
  if (loss == "huber") return torch::huber_loss(pred, target);
  return torch::mse_loss(pred, target);
}

}  // namespace

FitResult fit(ForecastNet &net, const WindowBatch &train, const WindowBatch &val, const ForecastOptions &o,
              const torch::Device &device, const TrainHooks &hooks, int member, Deadline deadline) {
  LoopSettings s;
  s.deadline = deadline;
  s.epochs = o.epochs;
  s.batch_size = o.batch_size;
  s.patience = o.patience;
  s.lr = o.lr;
  s.weight_decay = o.weight_decay;
  s.member = member;
  auto batch_loss = [&](const torch::Tensor &idx) {
    return loss_of(
        o.loss,
        net->forward(train.past.index_select(0, idx).to(device), train.future.index_select(0, idx).to(device),
                     train.series.index_select(0, idx).to(device)),
        train.target.index_select(0, idx).to(device));
  };
  auto val_loss = [&] { return loss_of(o.loss, predict(net, val, device, hooks), val.target).item<double>(); };
  return train_loop(*net, net->parameters(), train.past.size(0), s, batch_loss, val_loss, hooks);
}

}  // namespace xb
