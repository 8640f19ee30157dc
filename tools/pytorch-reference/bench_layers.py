"""PyTorch's side of `Distill.Benchmarks layers`: the layers of a ResNet-56 step alone, forward and backward.

Each of 3x3 convolution, batch norm, ReLU and residual add at each stage's activation shape (batch 128 by
default; 16 channels at 32x32, 32 at 16x16, 64 at 8x8), NCHW and float32 as PyTorch runs a model by default.
Prints one JSON line: {"layer/channels/size": median milliseconds}.
"""
import argparse
import json
import time

import torch
import torch.nn.functional as F

STAGES = [(16, 32), (32, 16), (64, 8)]


def timed(forward, gradient, warmup, repeats):
    samples = []
    for i in range(warmup + repeats):
        start = time.perf_counter()
        forward().backward(gradient)
        if i >= warmup:
            samples.append((time.perf_counter() - start) * 1000)
    samples.sort()
    n = len(samples)
    return samples[n // 2] if n % 2 else (samples[n // 2 - 1] + samples[n // 2]) / 2


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=10)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--batch-size", type=int, default=128)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    times = {}
    for channels, size in STAGES:
        shape = (args.batch_size, channels, size, size)
        x = torch.randn(shape, requires_grad=True)
        other = torch.randn(shape, requires_grad=True)
        gradient = torch.randn(shape)
        weight = (torch.randn(channels, channels, 3, 3) / (channels * 9) ** 0.5).requires_grad_()
        gamma, beta = torch.ones(channels, requires_grad=True), torch.zeros(channels, requires_grad=True)
        mean, variance = torch.zeros(channels), torch.ones(channels)
        key = lambda layer: f"{layer}/{channels}/{size}"
        times[key("conv3x3")] = timed(lambda: F.conv2d(x, weight, None, 1, 1), gradient, args.warmup, args.repeats)
        times[key("batchnorm")] = timed(lambda: F.batch_norm(x, mean, variance, gamma, beta, training=True), gradient, args.warmup, args.repeats)
        times[key("relu")] = timed(lambda: F.relu(x), gradient, args.warmup, args.repeats)
        times[key("add")] = timed(lambda: x + other, gradient, args.warmup, args.repeats)
    print(json.dumps(times))


if __name__ == "__main__":
    main()
