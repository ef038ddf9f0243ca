#include "core/tabular_trainer.hpp"

#include <chrono>
#include <cmath>
#include <limits>

#include "core/error.hpp"

namespace xb {
namespace {

// Per-row losses, [N].
torch::Tensor row_losses(Head head, const std::string &loss, const torch::Tensor &out, const torch::Tensor &target) {
  namespace F = torch::nn::functional;
  const auto none = F::BinaryCrossEntropyWithLogitsFuncOptions().reduction(torch::kNone);
  switch (head) {
    case Head::Sigmoid:
      return F::binary_cross_entropy_with_logits(out.squeeze(1), target, none);
    case Head::Sigmoid2: {
      auto onehot = torch::one_hot(target.to(torch::kLong), 2).to(torch::kFloat);
      return F::binary_cross_entropy_with_logits(out, onehot, none).mean(1);
    }
    case Head::Softmax:
      return F::cross_entropy(out, target.to(torch::kLong), F::CrossEntropyFuncOptions().reduction(torch::kNone));
    case Head::Value:
      if (loss == "huber") return F::huber_loss(out.squeeze(1), target, F::HuberLossFuncOptions().reduction(torch::kNone));
      return (out.squeeze(1) - target).pow(2);
  }
  throw Error(ErrorKind::Internal, "unknown head");
}

torch::Tensor weighted_loss(Head head, const std::string &loss, const torch::Tensor &out, const torch::Tensor &target,
                            const torch::Tensor &weight) {
  return (row_losses(head, loss, out, target) * weight).sum() / weight.sum();
}

std::vector<torch::Tensor> snapshot(Mlp &net) {
  std::vector<torch::Tensor> copy;
  for (const auto &t : net->parameters()) copy.push_back(t.detach().clone());
  return copy;
}

void restore(Mlp &net, const std::vector<torch::Tensor> &copy) {
  torch::NoGradGuard no_grad;
  std::size_t i = 0;
  for (auto &t : net->parameters()) t.copy_(copy[i++]);
}

double validation_loss(Mlp &net, const TabularTensors &val, Head head, const std::string &loss) {
  torch::NoGradGuard no_grad;
  net->eval();
  auto out = net->forward(val.dense, val.codes);
  return weighted_loss(head, loss, out, val.target, val.weight).item<double>();
}

TabularTensors on_device(const TabularTensors &t, const torch::Device &device) {
  return {t.dense.to(device), t.codes.to(device), t.target.to(device), t.weight.to(device)};
}

}  // namespace

const char *head_name(Head h) {
  switch (h) {
    case Head::Sigmoid: return "sigmoid";
    case Head::Sigmoid2: return "sigmoid2";
    case Head::Softmax: return "softmax";
    case Head::Value: return "value";
  }
  return "value";
}

Head head_from_name(const std::string &name) {
  if (name == "sigmoid") return Head::Sigmoid;
  if (name == "sigmoid2") return Head::Sigmoid2;
  if (name == "softmax") return Head::Softmax;
  if (name == "value") return Head::Value;
  throw Error(ErrorKind::CorruptModel, "model state is invalid: unknown head \"" + name + "\"", "Retrain the model.");
}

void stop_if_interrupted_tabular(const TrainHooks &hooks) {
  if (hooks.interrupted && hooks.interrupted()) throw Error(ErrorKind::Interrupted, "training was interrupted");
}

TabularTensors to_tensors(const EncodedRows &x, const std::vector<double> &target, const std::vector<double> &weight) {
  TabularTensors t;
  t.dense = torch::from_blob(const_cast<float *>(x.dense.data()), {x.rows, x.dense_dim}, torch::kFloat).clone();
  t.codes = torch::from_blob(const_cast<std::int64_t *>(x.codes.data()), {x.rows, x.code_dim}, torch::kLong).clone();
  t.target = torch::tensor(target, torch::kDouble).to(torch::kFloat).reshape({x.rows});
  t.weight = torch::tensor(weight, torch::kDouble).to(torch::kFloat).reshape({x.rows});
  return t;
}

TabularFit fit_mlp(Mlp &net, const TabularTensors &train_cpu, const TabularTensors &val_cpu, const TabularOptions &o,
                   Head head, const torch::Device &device, const TrainHooks &hooks, int member) {
  std::vector<torch::Tensor> trainable;
  for (auto &p : net->parameters())
    if (p.requires_grad()) trainable.push_back(p);
  torch::optim::Adam adam(trainable, torch::optim::AdamOptions(o.lr).weight_decay(o.weight_decay));
  const TabularTensors train = on_device(train_cpu, device);
  const TabularTensors val = on_device(val_cpu, device);
  const bool early_stopping = val.rows() > 0;
  const long n = train.rows();
  const auto start = std::chrono::steady_clock::now();

  TabularFit result;
  double best_loss = std::numeric_limits<double>::infinity();
  std::vector<torch::Tensor> best = snapshot(net);
  int since_best = 0;
  for (int epoch = 1; epoch <= o.epochs; ++epoch) {
    net->train();
    auto order = torch::randperm(n, torch::kLong).to(device);
    double loss_sum = 0;
    for (long i = 0; i < n; i += o.batch_size) {
      stop_if_interrupted_tabular(hooks);
      auto idx = order.narrow(0, i, std::min<long>(o.batch_size, n - i));
      adam.zero_grad();
      auto out = net->forward(train.dense.index_select(0, idx), train.codes.index_select(0, idx));
      auto loss = weighted_loss(head, o.loss, out, train.target.index_select(0, idx), train.weight.index_select(0, idx));
      loss.backward();
      adam.step();
      loss_sum += loss.item<double>() * static_cast<double>(idx.size(0));
    }
    EpochRecord rec;
    rec.member = member;
    rec.epoch = epoch;
    rec.train_loss = loss_sum / static_cast<double>(n);
    rec.val_loss = early_stopping ? validation_loss(net, val, head, o.loss) : NAN;
    rec.lr = o.lr;
    rec.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    result.epochs.push_back(rec);
    if (hooks.on_epoch) hooks.on_epoch(rec);
    if (!early_stopping) {
      result.best_epoch = epoch;
      continue;
    }
    if (rec.val_loss < best_loss) {
      best_loss = rec.val_loss;
      result.best_epoch = epoch;
      best = snapshot(net);
      since_best = 0;
    } else if (++since_best > o.patience) {
      break;
    }
  }
  if (early_stopping) restore(net, best);
  net->eval();
  return result;
}

torch::Tensor predict_mlp(Mlp &net, const TabularTensors &x, Head head, const torch::Device &device) {
  torch::NoGradGuard no_grad;
  net->eval();
  auto out = net->forward(x.dense.to(device), x.codes.to(device)).to(torch::kCPU).to(torch::kDouble);
  switch (head) {
    case Head::Sigmoid: {
      auto p1 = torch::sigmoid(out.squeeze(1));
      return torch::stack({1 - p1, p1}, 1);
    }
    case Head::Sigmoid2: {
      auto s = torch::sigmoid(out);
      return s / s.sum(1, true).clamp_min(1e-12);
    }
    case Head::Softmax: return torch::softmax(out, 1);
    case Head::Value: return out;
  }
  return out;
}

}  // namespace xb

namespace xb {

torch::Tensor predict_members(std::vector<Mlp> &nets, const TabularTensors &x, Head head, const torch::Device &device) {
  torch::Tensor sum;
  for (auto &net : nets) {
    torch::Tensor p = predict_mlp(net, x, head, device);
    sum = sum.defined() ? sum + p : p;
  }
  return sum / static_cast<double>(nets.size());
}

}  // namespace xb
