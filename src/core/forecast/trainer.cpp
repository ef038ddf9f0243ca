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
  s.device = device;
  s.bf16 = o.precision == "bf16";
  // The validation targets stay on the CPU, where its loss is computed.
  const WindowBatch on = on_device(train, device), val_on = on_device({val.past, val.future, {}, val.series}, device);
  auto batch_loss = [&](const torch::Tensor &idx, const torch::Tensor &) {  // idx is on the device
    return loss_of(
        o.loss,
        net->forward(on.past.index_select(0, idx), on.future.index_select(0, idx), on.series.index_select(0, idx)),
        on.target.index_select(0, idx));
  };
  auto val_loss = [&] { return loss_of(o.loss, predict(net, val_on, device, hooks), val.target).item<double>(); };
  return train_loop(*net, net->parameters(), train.past.size(0), s, batch_loss, val_loss, hooks);
}

}  // namespace xb
