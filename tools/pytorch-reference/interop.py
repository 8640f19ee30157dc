#!/usr/bin/env python3
"""The PyTorch side of Distill's interoperability tests (tests/Distill.EndToEnd.Tests/PyTorchInteropTests.cs), also a
worked example for users. Needs Debian's python3-torch and python3-numpy. Subcommands:

  train   --out teacher.pt [--arch resnet --depth 8 --width 8] [--steps 5] [--seed 1]
          trains a tiny network on Fashion-MNIST for a few SGD steps and saves its state_dict with torch.save;
          --arch oddnet: a network none of Distill's architectures is (OddNet below), saved as TorchScript; with
          --their-model resnet20 (any of repdistiller_models.py's), their network, saved as their checkpoint
          ({'epoch', 'model', 'accuracy', 'optimizer'}; --legacy: in torch.save's pre-1.6 format)
  score   --cache DIR --split test
          accuracy, NLL and ECE (15 bins) of a Distill logit cache with numpy alone, as JSON (docs/formats.md)
  logits  --weights W.pt --cache DIR --split test --rows 100 --out logits.npy [--arch resnet --depth 8 --width 8]
          recomputes a Distill logit cache's first rows in PyTorch: the images are found through the cache's
          indices-<split>.npy, and standardised with the mean and std of the training images the cache's
          indices-train.npy names, as Distill does (--mean M.. --std S..: with these constants instead);
          --their-model NAME reads a checkpoint of theirs; --arch oddnet reads a TorchScript file
  exported --model DIR --cache DIR --split test --rows 100 --out logits.npy
          the same from an exported outputs/ folder alone (distill_models.load reads its model.json): raw images
          scaled to [0, 1]; the cache only says which images its first rows are
  onnx    --model DIR --cache DIR --split test --rows 100 --out pixels.npy
          checks the folder's model.onnx with Debian's python3-onnx (onnx.checker, full check with shape inference)
          and writes the raw images of the cache's first rows, scaled to [0, 1], as N x (C*H*W) float32 for an ONNX
          Runtime to run
"""
import argparse
import gzip
import json
import os

import numpy as np
import torch
import torch.nn.functional as F

from distill_models import AlexNetCifar, CifarResNet, WideResNet, load
import repdistiller_models

FASHION_MNIST = "/usr/share/datasets/fashion-mnist"


def read_idx(name):
    with gzip.open(os.path.join(FASHION_MNIST, name)) as f:
        data = f.read()
    dims = data[3]
    shape = [int.from_bytes(data[4 + 4 * i:8 + 4 * i], "big") for i in range(dims)]
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * dims).reshape(shape)


def images(split):
    prefix = "t10k" if split == "test" else "train"
    return read_idx(f"{prefix}-images-idx3-ubyte.gz")[:, None, :, :]  # N x 1 x 28 x 28, uint8


def labels(split):
    prefix = "t10k" if split == "test" else "train"
    return read_idx(f"{prefix}-labels-idx1-ubyte.gz").astype(np.int64)


class OddNet(torch.nn.Module):
    """A teacher that is none of Distill's networks: the 28-pixel input resized to 36 pixels, 24 and 40 channels, 5x5
    kernels, GELU; forward returns (logits, embedding), the convention Distill reads from TorchScript."""

    def __init__(self, classes=10, channels=1):
        super().__init__()
        self.conv1 = torch.nn.Conv2d(channels, 24, 5, padding=2)
        self.conv2 = torch.nn.Conv2d(24, 40, 3, stride=2, padding=1)
        self.norm = torch.nn.BatchNorm2d(40)
        self.head = torch.nn.Linear(40, classes)

    def forward(self, x):
        x = F.interpolate(x, size=(36, 36), mode="bilinear", align_corners=False)
        x = F.max_pool2d(F.gelu(self.conv1(x)), 2)
        embedding = F.gelu(self.norm(self.conv2(x))).mean(dim=(2, 3))
        return self.head(embedding), embedding


def logits_of(output):
    return output[0] if isinstance(output, tuple) else output


def model(args):
    if args.arch == "oddnet":
        return OddNet()
    if args.their_model:
        return repdistiller_models.build(args.their_model, classes=10, channels=1)
    if args.arch == "alexnet":
        return AlexNetCifar(classes=10, channels=1, height=28, width=28)
    if args.arch == "wrn":
        return WideResNet(depth=args.depth, widen_factor=args.width, classes=10, channels=1)
    return CifarResNet(depth=args.depth, classes=10, channels=1, width=args.width)


def standardised(raw, train_raw, args=None):
    """Raw images scaled to [0, 1] and standardised: with args.mean and args.std where given, else as Distill does
    without a `standardisation:` key (the mean and std of the training images)."""
    x = torch.from_numpy(raw.astype(np.float32)).div_(255.0)
    if args is not None and args.mean:
        return (x - torch.tensor(args.mean).view(1, -1, 1, 1)) / torch.tensor(args.std).view(1, -1, 1, 1)
    t = torch.from_numpy(train_raw.astype(np.float32)).div_(255.0)
    mean = t.mean(dim=[0, 2, 3]).view(1, -1, 1, 1)
    std = t.std(dim=[0, 2, 3], unbiased=False).clamp_min(1e-6).view(1, -1, 1, 1)
    return (x - mean) / std


def train(args):
    torch.manual_seed(args.seed)
    net = model(args)
    raw, y = images("train")[:512], labels("train")[:512]
    x = standardised(raw, raw, args)
    optimizer = torch.optim.SGD(net.parameters(), lr=0.05, momentum=0.9)
    net.train()
    for step in range(args.steps):
        batch = slice(64 * step % 512, 64 * step % 512 + 64)
        optimizer.zero_grad()
        loss = F.cross_entropy(logits_of(net(x[batch])), torch.from_numpy(y[batch]))
        loss.backward()
        optimizer.step()
    if args.arch == "oddnet":
        net.eval()
        torch.jit.save(torch.jit.trace(net, x[:1]), args.out)
    elif args.their_model:
        state = repdistiller_models.checkpoint(net.state_dict(), optimizer, epoch=args.steps, accuracy=0.0)
        torch.save(state, args.out, _use_new_zipfile_serialization=not args.legacy)
    else:
        torch.save(net.state_dict(), args.out)
    print(f"saved {args.out} after {args.steps} steps, last loss {loss.item():.4f}")


def logits(args):
    if args.arch == "oddnet":
        net = torch.jit.load(args.weights)
    else:
        net = model(args)
        saved = torch.load(args.weights)
        net.load_state_dict(saved["model"] if args.their_model else saved)
    net.eval()
    rows = np.load(os.path.join(args.cache, f"indices-{args.split}.npy"))[:args.rows]
    source = "test" if args.split == "test" else "train"
    train_rows = np.load(os.path.join(args.cache, "indices-train.npy"))
    x = standardised(images(source)[rows], images("train")[train_rows], args)
    with torch.no_grad():
        out = logits_of(net(x)).numpy().astype(np.float32)
    np.save(args.out, out)
    print(f"wrote {out.shape[0]} x {out.shape[1]} logits to {args.out}")


def exported(args):
    net = load(args.model)
    rows = np.load(os.path.join(args.cache, f"indices-{args.split}.npy"))[:args.rows]
    raw = images("test" if args.split == "test" else "train")[rows]
    with torch.no_grad():
        out = net(torch.from_numpy(raw.astype(np.float32)).div_(255.0)).numpy().astype(np.float32)
    np.save(args.out, out)
    print(f"wrote {out.shape[0]} x {out.shape[1]} logits of {net.card['origin']['stage']} ({net.card['model']['architecture']}) to {args.out}")


def onnx_check(args):
    import onnx  # only this command needs python3-onnx

    model = onnx.load(os.path.join(args.model, "model.onnx"))
    onnx.checker.check_model(model, full_check=True)
    rows = np.load(os.path.join(args.cache, f"indices-{args.split}.npy"))[:args.rows]
    raw = images("test" if args.split == "test" else "train")[rows]
    pixels = (raw.astype(np.float32) / 255.0).reshape(len(rows), -1)
    np.save(args.out, pixels)
    opset = {o.domain: o.version for o in model.opset_import}[""]
    print(f"model.onnx passes onnx {onnx.__version__}'s checker (IR {model.ir_version}, opset {opset}); wrote {pixels.shape[0]} raw images to {args.out}")


def score(args):
    y = np.load(os.path.join(args.cache, f"labels-{args.split}.npy"))
    z = np.load(os.path.join(args.cache, f"logits-{args.split}.npy"))[: len(y)].astype(np.float64)
    p = np.exp(z - z.max(1, keepdims=True))
    p /= p.sum(1, keepdims=True)
    conf, pred = p.max(1), p.argmax(1)
    bins = np.clip(np.ceil(conf * 15).astype(int), 1, 15)
    ece = sum(abs((pred[b] == y[b]).mean() - conf[b].mean()) * b.mean() for b in (bins == k for k in range(1, 16)) if b.any())
    print(json.dumps({"accuracy": float((pred == y).mean()), "nll": float(-np.log(p[np.arange(len(y)), y]).mean()), "ece": float(ece)}))


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("command", choices=["train", "logits", "exported", "onnx", "score"])
    parser.add_argument("--arch", default="resnet", choices=["resnet", "alexnet", "wrn", "oddnet"])
    parser.add_argument("--depth", type=int, default=8)
    parser.add_argument("--width", type=int, default=8, help="resnet: width; wrn: widen factor")
    parser.add_argument("--steps", type=int, default=5)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--weights")
    parser.add_argument("--model", help="an exported outputs/ folder (model.json beside weights.pt)")
    parser.add_argument("--cache")
    parser.add_argument("--split", default="test")
    parser.add_argument("--rows", type=int, default=100)
    parser.add_argument("--out")
    parser.add_argument("--their-model", help="one of repdistiller_models.py's networks, in their layout and checkpoint")
    parser.add_argument("--legacy", action="store_true", help="train: save in torch.save's legacy (pre-1.6) format")
    parser.add_argument("--mean", type=float, nargs="+", help="fixed standardisation: per-channel means")
    parser.add_argument("--std", type=float, nargs="+", help="fixed standardisation: per-channel standard deviations")
    args = parser.parse_args()
    torch.set_num_threads(1)
    {"train": train, "logits": logits, "exported": exported, "onnx": onnx_check, "score": score}[args.command](args)


if __name__ == "__main__":
    main()
