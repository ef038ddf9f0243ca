#include "core/tabular/trainer.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

#include "core/common/error.hpp"

namespace xb {
namespace {

// Per-row losses, [N]; a classifier's targets moved `smoothing` of the way
// towards uniform over its classes.
torch::Tensor row_losses(Head head, const std::string &loss, const torch::Tensor &out, const torch::Tensor &target,
                         double smoothing = 0) {
  namespace F = torch::nn::functional;
  const auto none = F::BinaryCrossEntropyWithLogitsFuncOptions().reduction(torch::kNone);
  switch (head) {
    case Head::Sigmoid:
      return F::binary_cross_entropy_with_logits(out.squeeze(1), target * (1 - smoothing) + smoothing / 2, none);
    case Head::Sigmoid2: {
      auto onehot = torch::one_hot(target.to(torch::kLong), 2).to(torch::kFloat);
      return F::binary_cross_entropy_with_logits(out, onehot * (1 - smoothing) + smoothing / 2, none).mean(1);
    }
    case Head::Softmax:
      return F::cross_entropy(out, target.to(torch::kLong),
                              F::CrossEntropyFuncOptions().reduction(torch::kNone).label_smoothing(smoothing));
    case Head::Value:
      if (loss == "huber")
        return F::huber_loss(out.squeeze(1), target, F::HuberLossFuncOptions().reduction(torch::kNone));
      return (out.squeeze(1) - target).pow(2);
  }
  throw Error(ErrorKind::Internal, "unknown head");
}

torch::Tensor weighted_loss(Head head, const std::string &loss, const torch::Tensor &out, const torch::Tensor &target,
                            const torch::Tensor &weight, double smoothing = 0) {
  return (row_losses(head, loss, out, target, smoothing) * weight).sum() / weight.sum();
}

// The network's outputs for every row, in eval mode and without gradient,
// in chunks when images are involved (a convolution's activations for ten
// thousand images would take gigabytes at once).
torch::Tensor forward_all(Mlp &net, const TabularTensors &x, const torch::Device &device) {
  torch::NoGradGuard no_grad;
  net->eval();
  const long n = x.rows();
  auto images = [&](long start, long len) {
    return x.images.defined() ? x.images.narrow(0, start, len).to(device) : torch::Tensor();
  };
  if (!x.images.defined() || n == 0) return net->forward(x.dense.to(device), x.codes.to(device), images(0, n));
  constexpr long kChunk = 512;
  std::vector<torch::Tensor> parts;
  for (long start = 0; start < n; start += kChunk) {
    const long len = std::min(kChunk, n - start);
    parts.push_back(net->forward(x.dense.narrow(0, start, len).to(device), x.codes.narrow(0, start, len).to(device),
                                 images(start, len)));
  }
  return torch::cat(parts, 0);
}

double validation_loss(Mlp &net, const TabularTensors &val, Head head, const std::string &loss,
                       const torch::Device &device) {
  auto out = forward_all(net, val, device);
  return weighted_loss(head, loss, out, val.target.to(device), val.weight.to(device)).item<double>();
}

// Images stay on the CPU and travel a batch at a time; the rest moves once.
TabularTensors on_device(const TabularTensors &t, const torch::Device &device) {
  return {t.dense.to(device), t.codes.to(device), t.target.to(device), t.weight.to(device), t.images};
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

TabularTensors to_tensors(const EncodedRows &x, const std::vector<double> &target, const std::vector<double> &weight) {
  TabularTensors t;
  t.dense = torch::from_blob(const_cast<float *>(x.dense.data()), {x.rows, x.dense_dim}, torch::kFloat).clone();
  t.codes = torch::from_blob(const_cast<std::int64_t *>(x.codes.data()), {x.rows, x.code_dim}, torch::kLong).clone();
  t.target = torch::tensor(target, torch::kDouble).to(torch::kFloat).reshape({x.rows});
  t.weight = torch::tensor(weight, torch::kDouble).to(torch::kFloat).reshape({x.rows});
  return t;
}

FitResult fit_mlp(Mlp &net, const TabularTensors &train_cpu, const TabularTensors &val_cpu, const TabularOptions &o,
                  Head head, const torch::Device &device, const TrainHooks &hooks, int member,
                  const std::optional<OwnGenerators> &own) {
  std::vector<torch::Tensor> trainable;
  for (auto &p : net->parameters())
    if (p.requires_grad()) trainable.push_back(p);
  const TabularTensors train = on_device(train_cpu, device);
  const TabularTensors val = on_device(val_cpu, device);
  LoopSettings s;
  s.epochs = o.epochs;
  s.batch_size = o.batch_size;
  s.patience = o.patience;
  s.lr = o.lr;
  s.weight_decay = o.weight_decay;
  s.lr_decay = o.lr_decay;
  s.cosine = o.lr_schedule == "cosine";
  s.member = member;
  s.device = device;
  std::optional<at::Generator> noise;
  if (own) {
    s.shuffle = own->order;
    noise = own->noise;
  }
  // The network draws its dropout as before once trained, however this ends.
  struct DropoutBack {
    Mlp &net;
    ~DropoutBack() { net->set_dropout_generator(std::nullopt); }
  } dropout_back{net};
  net->set_dropout_generator(noise);
  const ImageSpec *image = net->shape().image ? &*net->shape().image : nullptr;
  // Steps counted here, one batch_loss per step.
  long step = 0;
  const long steps_per_epoch = (train.rows() + o.batch_size - 1) / std::max(1, o.batch_size);
  const long erase_after = image ? erase_start_step(*image, steps_per_epoch * o.epochs) : 0;
  auto batch_loss = [&](const torch::Tensor &idx, const torch::Tensor &idx_on_cpu) {
    torch::Tensor images;
    // Pictures stay in host memory (they may be large) and move a batch at a time.
    if (image) {
      images = augment_images(train.images.index_select(0, idx_on_cpu).to(device), *image, noise);
      if (image->erase_unattended > 0 && step++ >= erase_after)
        images = erase_unattended_cells(*net->image_encoder(), images, noise);
    }
    auto out = net->forward(train.dense.index_select(0, idx), train.codes.index_select(0, idx), images);
    return weighted_loss(head, o.loss, out, train.target.index_select(0, idx), train.weight.index_select(0, idx),
                         o.classifier ? o.label_smoothing : 0);
  };
  auto val_loss = [&] { return val.rows() > 0 ? validation_loss(net, val, head, o.loss, device) : NAN; };
  return train_loop(*net, trainable, train.rows(), s, batch_loss, val_loss, hooks);
}

namespace {

torch::Tensor head_outputs(const torch::Tensor &out, Head head) {
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

// The network's outputs for every row, as doubles on the CPU (probabilities
// and log-odds are computed there).
torch::Tensor outputs_in_double(Mlp &net, const TabularTensors &x, const torch::Device &device) {
  return forward_all(net, x, device).to(torch::kCPU).to(torch::kDouble);
}

}  // namespace

torch::Tensor predict_mlp(Mlp &net, const TabularTensors &x, Head head, const torch::Device &device) {
  torch::NoGradGuard no_grad;
  torch::Tensor result = head_outputs(outputs_in_double(net, x, device), head);
  // A network trained on mirrored pictures too sees each picture both ways
  // and averages (test-time augmentation).
  const auto &image = net->shape().image;
  if (x.images.defined() && image && image->flip) {
    TabularTensors mirrored = x;
    mirrored.images = x.images.flip({3});
    result = (result + head_outputs(outputs_in_double(net, mirrored, device), head)) / 2;
  }
  return result;
}

torch::Tensor true_class_log_odds(Mlp &net, const TabularTensors &x, Head head, const torch::Device &device,
                                  const std::vector<long> &truth) {
  torch::NoGradGuard no_grad;
  const auto out = outputs_in_double(net, x, device);
  const auto c = torch::tensor(truth, torch::kLong).unsqueeze(1);
  const auto others = [&](const torch::Tensor &per_class) {  // log of the sum over the other classes
    return torch::logsumexp(per_class.scatter(1, c, -std::numeric_limits<double>::infinity()), 1);
  };
  switch (head) {
    case Head::Sigmoid: {  // one logit: the log-odds of class 1
      const auto z = out.squeeze(1);
      return torch::where(c.squeeze(1) == 1, z, -z);
    }
    case Head::Sigmoid2: {
      const auto s = torch::log_sigmoid(out);
      return s.gather(1, c).squeeze(1) - others(s);
    }
    case Head::Softmax: return out.gather(1, c).squeeze(1) - others(out);
    case Head::Value: break;
  }
  throw Error(ErrorKind::InvalidParameter, "a regressor has no class probabilities");
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
