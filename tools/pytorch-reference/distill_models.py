"""PyTorch definitions of Distill's networks, with the same parameter names as Distill's TorchSharp modules, so
that a state_dict moves between them unchanged (Distill imports it with `weights:`, and exports every trained model
as weights.pt and weights.safetensors). Keep in step with src/Distill.Learning/Models.

    import torch
    from distill_models import CifarResNet
    model = CifarResNet(depth=56, classes=10, channels=3)
    model.load_state_dict(torch.load("runs/store/<key>/outputs/weights.pt"))
    model.eval()
"""
from collections import OrderedDict

import torch.nn as nn
import torch.nn.functional as F


class BasicBlock(nn.Module):
    """Two 3x3 convolutions; the shortcut subsamples and zero-pads channels ("option A")."""

    def __init__(self, cin, cout, stride):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.stride, self.pad = stride, cout - cin

    def forward(self, x):
        y = F.relu(self.bn1(self.conv1(x)))
        y = self.bn2(self.conv2(y))
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
    """He et al.'s CIFAR ResNet, depth 6n+2, channels width, 2 x width, 4 x width (Distill's `resnet`)."""

    def __init__(self, depth=56, classes=10, channels=3, width=16):
        super().__init__()
        n = (depth - 2) // 6
        layers = [("stem", nn.Conv2d(channels, width, 3, 1, 1, bias=False)), ("stem_bn", nn.BatchNorm2d(width)), ("stem_relu", nn.ReLU())]
        cin = width
        for stage in range(3):
            cout = width << stage
            for b in range(n):
                layers.append((f"stage{stage + 1}_block{b + 1}", BasicBlock(cin, cout, 2 if stage > 0 and b == 0 else 1)))
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
