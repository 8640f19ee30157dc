#!/usr/bin/env python3
"""PyTorch reference for Distill's training benchmark: the same networks (distill_models: the CIFAR ResNet-56 with
option-A shortcuts, 0.85 M parameters, or the paper's AlexNet, 1.76 M) and the same step (forward, label-smoothed
cross-entropy, backward, SGD with Nesterov momentum) at batch 128 on random 32x32x3 inputs; prints images/s as the
median of timed steps after warm-up. Debian's python3-torch (apt-get install python3-torch). --config picks how PyTorch
runs: `default` (NCHW, fp32, as shipped), `channels-last` (model and batch in torch.channels_last, fp32) or
`channels-last-bf16` (the same inside torch.autocast("cpu", dtype=torch.bfloat16)): what a practitioner tuning for
CPUs writes. Usage:
    /usr/bin/python3 tools/pytorch-reference/bench_resnet56.py [--model resnet56|alexnet] [--config default]
        [--threads 2] [--steps 10] [--warmup 3] [--json]
`dotnet run -c Release --project tools/Distill.Benchmarks -- versus-pytorch` runs this alternately with Distill's
side and reads the --json line.
"""
import argparse
import contextlib
import json
import statistics
import time

import torch
import torch.nn.functional as F

from distill_models import AlexNetCifar, CifarResNet  # the same networks, with Distill's parameter names

MODELS = {
    "resnet56": lambda: CifarResNet(depth=56, classes=10, channels=3),
    "alexnet": lambda: AlexNetCifar(classes=10, channels=3, height=32, width=32),
}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--model", choices=sorted(MODELS), default="resnet56")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--steps", type=int, default=10)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--config", choices=["default", "channels-last", "channels-last-bf16"], default="default")
    parser.add_argument("--json", action="store_true", help="print one JSON line (images/s, per-step and per-phase ms)")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    model = MODELS[args.model]()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9, weight_decay=5e-4, nesterov=True)
    x = torch.randn(args.batch_size, 3, 32, 32)
    y = torch.randint(0, 10, (args.batch_size,))
    if args.config != "default":
        model = model.to(memory_format=torch.channels_last)
        x = x.to(memory_format=torch.channels_last)
    autocast = (lambda: torch.autocast("cpu", dtype=torch.bfloat16)) if args.config.endswith("bf16") else contextlib.nullcontext
    model.train()
    times, phases = [], []
    for i in range(args.warmup + args.steps):
        start = time.perf_counter()
        optimizer.zero_grad()
        with autocast():
            logits = model(x)
            t_forward = time.perf_counter()
            loss = F.cross_entropy(logits, y, label_smoothing=0.1)
        t_loss = time.perf_counter()
        loss.backward()
        t_backward = time.perf_counter()
        optimizer.step()
        end = time.perf_counter()
        if i >= args.warmup:
            times.append(end - start)
            phases.append((t_forward - start, t_loss - t_forward, t_backward - t_loss, end - t_backward))
    median = statistics.median(times)
    part = [statistics.median(p[k] for p in phases) * 1000 for k in range(4)]
    params = sum(p.numel() for p in model.parameters())
    if args.json:
        print(json.dumps({"version": torch.__version__, "model": args.model, "config": args.config, "params": params, "threads": torch.get_num_threads(),
                          "images_per_second": args.batch_size / median, "step_ms": [t * 1000 for t in times],
                          "forward_ms": part[0], "loss_ms": part[1], "backward_ms": part[2], "optimizer_ms": part[3]}))
        return
    print(f"pytorch {torch.__version__} {args.model} ({args.config}) {params:,} params, batch {args.batch_size}, {torch.get_num_threads()} threads: "
          f"{args.batch_size / median:.0f} images/s ({median * 1000:.1f} ms/step, min {min(times) * 1000:.0f} max {max(times) * 1000:.0f})")
    print(f"median ms: forward {part[0]:.1f}, loss {part[1]:.1f}, backward {part[2]:.1f}, optimizer {part[3]:.1f}")


if __name__ == "__main__":
    main()
