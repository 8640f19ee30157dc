"""PyTorch definitions of Distill's networks, with the same parameter names as Distill's TorchSharp modules, so
that a state_dict moves between them unchanged (Distill imports it with `weights:`, and exports every trained model
as weights.pt and weights.safetensors, described by model.json). Keep in step with src/Distill.Learning/Models.

    from distill_models import load
    model = load("runs/store/<key>/outputs")      # built from model.json, weights.pt loaded, in eval mode
    logits = model(images_uint8.float() / 255)    # N x C x H x W in [0, 1]; standardisation is inside
    model.card["classes"]                          # the class names, in logit order
"""
import json
import os
from collections import OrderedDict

import torch
import torch.nn as nn
import torch.nn.functional as F

MODEL_CARD_FORMAT = 1


class BasicBlock(nn.Module):
    """Two 3x3 convolutions; the shortcut subsamples and zero-pads channels ("option A"), or with `projection` is a
    strided 1x1 convolution and batch norm where the shape changes ("option B", RepDistiller's resnet8x4/32x4)."""

    def __init__(self, cin, cout, stride, projection=False):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.stride, self.pad = stride, cout - cin
        self.shortcut = self.shortcut_bn = None
        if projection and (stride != 1 or cin != cout):
            self.shortcut = nn.Conv2d(cin, cout, 1, stride, 0, bias=False)
            self.shortcut_bn = nn.BatchNorm2d(cout)

    def forward(self, x):
        y = F.relu(self.bn1(self.conv1(x)))
        y = self.bn2(self.conv2(y))
        if self.shortcut is not None:
            return F.relu(y + self.shortcut_bn(self.shortcut(x)))
        s = x[:, :, ::self.stride, ::self.stride] if self.stride != 1 else x
        if self.pad > 0:
            s = F.pad(s, (0, 0, 0, 0, self.pad // 2, self.pad - self.pad // 2))
        return F.relu(y + s)


class _BodyAndClassifier(nn.Module):
    """A body (`_body`, ending at the penultimate layer) and a linear classifier (`_classifier`), Distill's names."""

    def features(self, x):
        return self._body(x)

    def forward(self, x):
        return self._classifier(self._body(x))


class CifarResNet(_BodyAndClassifier):
    """He et al.'s CIFAR ResNet, depth 6n+2, channels width, 2 x width, 4 x width (Distill's `resnet`); with
    stem_width=32, width=64, projection=True RepDistiller's resnet8x4 and resnet32x4 (Distill's `resnet-x4`)."""

    def __init__(self, depth=56, classes=10, channels=3, width=16, stem_width=None, projection=False):
        super().__init__()
        n = (depth - 2) // 6
        stem = stem_width or width
        layers = [("stem", nn.Conv2d(channels, stem, 3, 1, 1, bias=False)), ("stem_bn", nn.BatchNorm2d(stem)), ("stem_relu", nn.ReLU())]
        cin = stem
        for stage in range(3):
            cout = width << stage
            for b in range(n):
                layers.append((f"stage{stage + 1}_block{b + 1}", BasicBlock(cin, cout, 2 if stage > 0 and b == 0 else 1, projection)))
                cin = cout
        layers += [("pool", nn.AdaptiveAvgPool2d(1)), ("flatten", nn.Flatten())]
        self._body = nn.Sequential(OrderedDict(layers))
        self._classifier = nn.Linear(cin, classes)


class AlexNetCifar(nn.Module):
    """The paper's small "AlexNet" (the TensorFlow CIFAR tutorial network; Distill's `alexnet`)."""

    def __init__(self, classes=10, channels=3, height=32, width=32):
        super().__init__()
        pooled = lambda size: (size + 2 - 3) // 2 + 1
        lrn = lambda: nn.LocalResponseNorm(9, alpha=0.001, beta=0.75, k=1.0)
        self._convolutions = nn.Sequential(OrderedDict([
            ("conv1", nn.Conv2d(channels, 64, 5, padding=2)), ("relu1", nn.ReLU()),
            ("pool1", nn.MaxPool2d(3, stride=2, padding=1)), ("norm1", lrn()),
            ("conv2", nn.Conv2d(64, 64, 5, padding=2)), ("relu2", nn.ReLU()), ("norm2", lrn()),
            ("pool2", nn.MaxPool2d(3, stride=2, padding=1)), ("flatten", nn.Flatten())]))
        flat = 64 * pooled(pooled(height)) * pooled(pooled(width))
        self._fullyConnected = nn.Sequential(OrderedDict([
            ("fc1", nn.Linear(flat, 384)), ("relu3", nn.ReLU()), ("fc2", nn.Linear(384, 192)), ("relu4", nn.ReLU())]))
        self._classifier = nn.Linear(192, classes)

    def features(self, x):
        return self._fullyConnected(self._convolutions(x))

    def forward(self, x):
        return self._classifier(self.features(x))


class PreActivationBlock(nn.Module):
    """BN-ReLU-conv twice; a block that changes shape takes a 1x1 convolution of its pre-activated input as shortcut."""

    def __init__(self, cin, cout, stride):
        super().__init__()
        self.bn1 = nn.BatchNorm2d(cin)
        self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.shortcut = None if cin == cout and stride == 1 else nn.Conv2d(cin, cout, 1, stride, 0, bias=False)

    def forward(self, x):
        a = F.relu(self.bn1(x))
        y = self.conv2(F.relu(self.bn2(self.conv1(a))))
        return y + (x if self.shortcut is None else self.shortcut(a))


class WideResNet(_BodyAndClassifier):
    """Zagoruyko and Komodakis' WRN-depth-widen_factor, depth 6n+4, no dropout (Distill's `wrn`)."""

    def __init__(self, depth=16, widen_factor=2, classes=10, channels=3):
        super().__init__()
        n = (depth - 4) // 6
        layers = [("stem", nn.Conv2d(channels, 16, 3, 1, 1, bias=False))]
        cin = 16
        for stage in range(3):
            cout = (16 << stage) * widen_factor
            for b in range(n):
                layers.append((f"stage{stage + 1}_block{b + 1}", PreActivationBlock(cin, cout, 2 if stage > 0 and b == 0 else 1)))
                cin = cout
        layers += [("bn", nn.BatchNorm2d(cin)), ("relu", nn.ReLU()), ("pool", nn.AdaptiveAvgPool2d(1)), ("flatten", nn.Flatten())]
        self._body = nn.Sequential(OrderedDict(layers))
        self._classifier = nn.Linear(cin, classes)


VGG_PLANS = {8: [1, 1, 1, 1, 1], 11: [1, 1, 2, 2, 2], 13: [2, 2, 2, 2, 2]}


class VggCifar(_BodyAndClassifier):
    """RepDistiller's CIFAR VGG with batch norm (vgg8_bn, vgg11_bn, vgg13_bn; Distill's `vgg`): five stages of 3x3
    convolution, batch norm and ReLU at 64, 128, 256, 512, 512 channels, 2x2 max pooling opening stages 2 to 4."""

    def __init__(self, depth=13, classes=10, channels=3):
        super().__init__()
        layers, cin = [], channels
        for stage, (count, cout) in enumerate(zip(VGG_PLANS[depth], [64, 128, 256, 512, 512])):
            if 1 <= stage <= 3:
                layers.append((f"stage{stage + 1}_pool", nn.MaxPool2d(2, 2)))
            for c in range(count):
                layers += [(f"stage{stage + 1}_conv{c + 1}", nn.Conv2d(cin, cout, 3, 1, 1)),
                           (f"stage{stage + 1}_bn{c + 1}", nn.BatchNorm2d(cout)), (f"stage{stage + 1}_relu{c + 1}", nn.ReLU())]
                cin = cout
        layers += [("pool", nn.AdaptiveAvgPool2d(1)), ("flatten", nn.Flatten())]
        self._body = nn.Sequential(OrderedDict(layers))
        self._classifier = nn.Linear(cin, classes)


class Standardised(nn.Module):
    """A network behind the per-channel standardisation of its training split: takes images scaled to [0, 1]."""

    def __init__(self, net, mean, std):
        super().__init__()
        self.net = net
        self.register_buffer("mean", torch.tensor(mean, dtype=torch.float32).view(1, -1, 1, 1))
        self.register_buffer("std", torch.tensor(std, dtype=torch.float32).view(1, -1, 1, 1))

    def forward(self, x):
        return self.net((x - self.mean) / self.std)


def build(card):
    """The untrained network model.json describes (its `model`, `classes` and `input`; every key is written, defaults included)."""
    arch, keys = card["model"]["architecture"], card["model"]["parameters"]
    classes, shape = len(card["classes"]), card["input"]
    if arch == "resnet":
        return CifarResNet(depth=keys["depth"], classes=classes, channels=shape["channels"], width=keys["width"],
                           projection=keys.get("shortcut", "zero-pad") == "projection")
    if arch == "alexnet":
        return AlexNetCifar(classes=classes, channels=shape["channels"], height=shape["height"], width=shape["width"])
    if arch == "wrn":
        return WideResNet(depth=keys["depth"], widen_factor=keys["widen-factor"], classes=classes, channels=shape["channels"])
    if arch == "resnet-x4":
        return CifarResNet(depth=keys["depth"], classes=classes, channels=shape["channels"], width=64, stem_width=32, projection=True)
    if arch == "vgg":
        return VggCifar(depth=keys["depth"], classes=classes, channels=shape["channels"])
    raise ValueError(f"model.json names architecture '{arch}', which distill_models.py does not define")


def load(folder, standardise=True):
    """The model a Distill stage exported to `folder` (its outputs/), from model.json and weights.pt, in eval mode.
    With `standardise` (the default) it takes images scaled to [0, 1] and standardises them itself; without, it is the
    bare network, which expects standardised inputs. Either way `model.card` is the parsed model.json."""
    with open(os.path.join(folder, "model.json")) as f:
        card = json.load(f)
    if card.get("format") != MODEL_CARD_FORMAT:
        raise ValueError(f"{folder}/model.json has format {card.get('format')}; this distill_models.py reads {MODEL_CARD_FORMAT}")
    if "torchscript" in card["weights"]:  # an imported TorchScript teacher: the file it came from
        net = torch.jit.load(os.path.join(folder, card["weights"]["torchscript"]))
    else:
        net = build(card)
        net.load_state_dict(torch.load(os.path.join(folder, card["weights"]["pytorch"])))
    s = card["standardisation"]
    model = Standardised(net, s["mean"], s["std"]) if standardise else net
    model.card = card
    return model.eval()
