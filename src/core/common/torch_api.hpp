// The parts of LibTorch the core uses, and the core's precompiled header.
// Only core-internal headers include this; the boundary never does.
#pragma once
#include <torch/cuda.h>
#include <torch/nn.h>
#include <torch/optim.h>
#include <torch/serialize.h>
#include <torch/utils.h>
#include <torch/version.h>
