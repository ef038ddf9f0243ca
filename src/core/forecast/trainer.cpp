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
              const torch::Device &device, const TrainHooks &hooks, int member, Deadline deadline,
              std::optional<at::Generator> shuffle) {
  LoopSettings s;
  s.shuffle = std::move(shuffle);
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
  const auto loss_on = [&](ForecastNet &with, const torch::Tensor &idx) {  // idx is on the device
    return loss_of(
        o.loss,
        with->forward(on.past.index_select(0, idx), on.future.index_select(0, idx), on.series.index_select(0, idx)),
        on.target.index_select(0, idx));
  };
  auto batch_loss = [&](const torch::Tensor &idx, const torch::Tensor &) { return loss_on(net, idx); };
  auto val_loss = [&] { return loss_of(o.loss, predict(net, val_on, device, hooks), val.target).item<double>(); };

  const int threads = at::get_num_threads();
  const std::size_t shards = net->draws_only_from_own_generator() ? shards_for(threads, o.batch_size, device) : 1;
  if (shards < 2) return train_loop(*net, net->parameters(), train.past.size(0), s, batch_loss, val_loss, hooks);

  // Data-parallel steps: a replica per further shard, the global
  // generator's state put back after building them (their initial weights
  // are overwritten anyway; the shuffles stay those of the seed), and a
  // dropout generator per shard, seeded from the seed, member and shard.
  // The shard count follows the threads this training was given, which
  // the model's lineage records (runtime): a seed gives one model per count.
  std::vector<ForecastNet> replicas;
  {
    struct KeepState {
      at::Generator global = at::detail::getDefaultCPUGenerator();
      at::Tensor state = global.get_state();
      ~KeepState() { global.set_state(state); }
    } keep;
    for (std::size_t k = 1; k < shards; ++k) {
      replicas.emplace_back(net->shape());
      replicas.back()->train();
    }
  }
  std::vector<ForecastNet *> shard_nets{&net};
  std::vector<std::vector<torch::Tensor>> replica_params;
  for (ForecastNet &r : replicas) {
    shard_nets.push_back(&r);
    replica_params.push_back(r->parameters());
  }
  struct DropoutBack {  // the kept network draws as before, whatever happens
    ForecastNet &net;
    ~DropoutBack() { net->set_dropout_generator(std::nullopt); }
  } back{net};
  for (std::size_t k = 0; k < shards; ++k)
    (*shard_nets[k])
        ->set_dropout_generator(at::make_generator<at::CPUGeneratorImpl>(
            static_cast<std::uint64_t>(o.seed) * 1000003u + static_cast<std::uint64_t>(member) * 1009u + k));
  const ShardLoss shard_loss = [&](std::size_t k, const torch::Tensor &idx, const torch::Tensor &) {
    return loss_on(*shard_nets[k], idx);
  };
  ShardedStep step(net->parameters(), std::move(replica_params), shard_loss,
                   std::max(1, threads / static_cast<int>(shards)), device, s.bf16);
  return train_loop(*net, net->parameters(), train.past.size(0), s, batch_loss, val_loss, hooks, &step);
}

}  // namespace xb
