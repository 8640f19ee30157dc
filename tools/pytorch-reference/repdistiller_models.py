"""The CIFAR models of RepDistiller (models/resnet.py, wrn.py, vgg.py; mdistiller copies them), rebuilt here after their
code with their parameter names, for Distill's tests of `weights: { layout: repdistiller }` and as a worked example of the
files those projects write: checkpoints {'epoch', 'model', 'accuracy', 'optimizer'} (`checkpoint`). Two changes, neither
touching names or function on their 32-pixel CIFAR images: the input channels are a parameter (theirs are 3), and
ResNet and WRN pool globally (their AvgPool2d(8) is global pooling on 32-pixel images), so that the same classes run on
Fashion-MNIST's 1 x 28 x 28.

usage: repdistiller_models.py checkpoints OUT_FOLDER
    the eight CIFAR-100 benchmark models with random weights and batch-norm statistics, saved as their checkpoints in
    torch.save's zip format (NAME.pth) and its legacy pre-1.6 format (NAME-legacy.pth), with expected.json: the float64
    logits they give on 4 raw images standardised with their CIFAR-100 constants, and their parameter counts
"""
import json
import sys

import torch
import torch.nn as nn
import torch.nn.functional as F

MEAN, STD = (0.5071, 0.4867, 0.4408), (0.2675, 0.2565, 0.2761)


# RepDistiller models/resnet.py: option B shortcuts (`downsample`: 1x1 convolution + batch norm).
class BasicBlock(nn.Module):
    def __init__(self, inplanes, planes, stride=1, downsample=None):
        super().__init__()
        self.conv1 = nn.Conv2d(inplanes, planes, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(planes)
        self.relu = nn.ReLU(inplace=True)
        self.conv2 = nn.Conv2d(planes, planes, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        self.downsample = downsample

    def forward(self, x):
        residual = x
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        if self.downsample is not None:
            residual = self.downsample(x)
        return F.relu(out + residual)


class ResNet(nn.Module):
    def __init__(self, depth, num_filters, num_classes=100, channels=3):
        super().__init__()
        n = (depth - 2) // 6
        self.inplanes = num_filters[0]
        self.conv1 = nn.Conv2d(channels, num_filters[0], 3, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(num_filters[0])
        self.relu = nn.ReLU(inplace=True)
        self.layer1 = self._make_layer(num_filters[1], n)
        self.layer2 = self._make_layer(num_filters[2], n, stride=2)
        self.layer3 = self._make_layer(num_filters[3], n, stride=2)
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(num_filters[3], num_classes)

    def _make_layer(self, planes, blocks, stride=1):
        downsample = None
        if stride != 1 or self.inplanes != planes:
            downsample = nn.Sequential(nn.Conv2d(self.inplanes, planes, 1, stride=stride, bias=False), nn.BatchNorm2d(planes))
        layers = [BasicBlock(self.inplanes, planes, stride, downsample)]
        self.inplanes = planes
        layers += [BasicBlock(self.inplanes, planes) for _ in range(1, blocks)]
        return nn.Sequential(*layers)

    def forward(self, x):
        x = self.relu(self.bn1(self.conv1(x)))
        x = self.layer3(self.layer2(self.layer1(x)))
        return self.fc(self.avgpool(x).view(x.size(0), -1))


# RepDistiller models/wrn.py (no dropout).
class WrnBlock(nn.Module):
    def __init__(self, in_planes, out_planes, stride):
        super().__init__()
        self.bn1 = nn.BatchNorm2d(in_planes)
        self.relu1 = nn.ReLU(inplace=True)
        self.conv1 = nn.Conv2d(in_planes, out_planes, 3, stride, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(out_planes)
        self.relu2 = nn.ReLU(inplace=True)
        self.conv2 = nn.Conv2d(out_planes, out_planes, 3, 1, 1, bias=False)
        self.equalInOut = in_planes == out_planes
        self.convShortcut = None if self.equalInOut else nn.Conv2d(in_planes, out_planes, 1, stride, 0, bias=False)

    def forward(self, x):
        if not self.equalInOut:
            x = self.relu1(self.bn1(x))
            out = x
        else:
            out = self.relu1(self.bn1(x))
        out = self.conv2(self.relu2(self.bn2(self.conv1(out))))
        return torch.add(x if self.equalInOut else self.convShortcut(x), out)


class NetworkBlock(nn.Module):
    def __init__(self, nb_layers, in_planes, out_planes, stride):
        super().__init__()
        self.layer = nn.Sequential(*[WrnBlock(in_planes if i == 0 else out_planes, out_planes, stride if i == 0 else 1)
                                     for i in range(nb_layers)])

    def forward(self, x):
        return self.layer(x)


class WideResNet(nn.Module):
    def __init__(self, depth, num_classes, widen_factor, channels=3):
        super().__init__()
        c = [16, 16 * widen_factor, 32 * widen_factor, 64 * widen_factor]
        n = (depth - 4) // 6
        self.conv1 = nn.Conv2d(channels, c[0], 3, 1, 1, bias=False)
        self.block1 = NetworkBlock(n, c[0], c[1], 1)
        self.block2 = NetworkBlock(n, c[1], c[2], 2)
        self.block3 = NetworkBlock(n, c[2], c[3], 2)
        self.bn1 = nn.BatchNorm2d(c[3])
        self.relu = nn.ReLU(inplace=True)
        self.fc = nn.Linear(c[3], num_classes)

    def forward(self, x):
        out = self.block3(self.block2(self.block1(self.conv1(x))))
        out = F.adaptive_avg_pool2d(self.relu(self.bn1(out)), 1)
        return self.fc(out.view(out.size(0), -1))


# RepDistiller models/vgg.py with batch norm: block0..block4, the last ReLU of each block applied in forward.
class VGG(nn.Module):
    def __init__(self, cfg, num_classes=100, channels=3):
        super().__init__()
        self.block0 = self._make_layers(cfg[0], channels)
        self.block1 = self._make_layers(cfg[1], cfg[0][-1])
        self.block2 = self._make_layers(cfg[2], cfg[1][-1])
        self.block3 = self._make_layers(cfg[3], cfg[2][-1])
        self.block4 = self._make_layers(cfg[4], cfg[3][-1])
        self.pool0 = nn.MaxPool2d(2, 2)
        self.pool1 = nn.MaxPool2d(2, 2)
        self.pool2 = nn.MaxPool2d(2, 2)
        self.pool4 = nn.AdaptiveAvgPool2d((1, 1))
        self.classifier = nn.Linear(512, num_classes)

    def forward(self, x):
        x = self.pool0(F.relu(self.block0(x)))
        x = self.pool1(F.relu(self.block1(x)))
        x = self.pool2(F.relu(self.block2(x)))
        x = F.relu(self.block3(x))  # pool3 only for 64-pixel images
        x = self.pool4(F.relu(self.block4(x)))
        return self.classifier(x.view(x.size(0), -1))

    @staticmethod
    def _make_layers(cfg, in_channels):
        layers = []
        for v in cfg:
            layers += [nn.Conv2d(in_channels, v, 3, padding=1), nn.BatchNorm2d(v), nn.ReLU(inplace=True)]
            in_channels = v
        return nn.Sequential(*layers[:-1])


MODELS = {
    "resnet56": lambda classes, channels: ResNet(56, [16, 16, 32, 64], classes, channels),
    "resnet20": lambda classes, channels: ResNet(20, [16, 16, 32, 64], classes, channels),
    "resnet32x4": lambda classes, channels: ResNet(32, [32, 64, 128, 256], classes, channels),
    "resnet8x4": lambda classes, channels: ResNet(8, [32, 64, 128, 256], classes, channels),
    "wrn_40_2": lambda classes, channels: WideResNet(40, classes, 2, channels),
    "wrn_16_2": lambda classes, channels: WideResNet(16, classes, 2, channels),
    "vgg13": lambda classes, channels: VGG([[64, 64], [128, 128], [256, 256], [512, 512], [512, 512]], classes, channels),
    "vgg8": lambda classes, channels: VGG([[64], [128], [256], [512], [512]], classes, channels),
}


def build(name, classes=100, channels=3):
    """Their model `name` (resnet20, resnet8x4, wrn_16_2, vgg8, ...), untrained."""
    return MODELS[name](classes, channels)


def randomise(model, seed):
    torch.manual_seed(seed)
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, nn.BatchNorm2d):
                m.weight.uniform_(0.5, 1.5)
                m.bias.uniform_(-0.2, 0.2)
                m.running_mean.uniform_(-0.2, 0.2)
                m.running_var.uniform_(0.5, 1.5)
                m.num_batches_tracked.fill_(12345)


def checkpoint(state_dict, optimizer, epoch=240, accuracy=72.34):
    """What RepDistiller's train_teacher.py saves (mdistiller's trainer saves the same `model` entry)."""
    return {"epoch": epoch, "model": state_dict, "accuracy": torch.tensor(accuracy), "optimizer": optimizer.state_dict()}


def stepped_optimizer(model, channels=3):
    """An SGD optimizer that has taken one step, so that it holds momentum buffers as a real checkpoint's does."""
    optimizer = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9, weight_decay=5e-4)
    model.train()
    model(torch.rand(2, channels, 32, 32)).sum().backward()
    optimizer.step()
    return optimizer


def write_checkpoints(out):
    torch.manual_seed(0)
    images = torch.rand(4, 3, 32, 32)
    standardised = (images - torch.tensor(MEAN).view(1, 3, 1, 1)) / torch.tensor(STD).view(1, 3, 1, 1)
    expected = {"images": images.flatten().tolist(), "models": {}}
    for index, name in enumerate(MODELS):
        model = build(name)
        randomise(model, index + 1)
        model.eval()
        state = {k: v.clone() for k, v in model.state_dict().items()}
        with torch.no_grad():
            logits = model.double()(standardised.double())
        expected["models"][name] = {
            "logits": logits.flatten().tolist(),
            "parameters": sum(p.numel() for p in model.parameters()),
        }
        model.float()
        optimizer = stepped_optimizer(model)
        torch.save(checkpoint(state, optimizer), f"{out}/{name}.pth")
        # The legacy file as older scripts leave it: a DataParallel model's names, and no num_batches_tracked for
        # every other model (PyTorch before 0.4.1 had none).
        legacy = {"module." + k: v for k, v in state.items() if index % 2 == 1 or not k.endswith("num_batches_tracked")}
        torch.save(checkpoint(legacy, optimizer), f"{out}/{name}-legacy.pth", _use_new_zipfile_serialization=False)
    with open(f"{out}/expected.json", "w") as f:
        json.dump(expected, f)


if __name__ == "__main__":
    if len(sys.argv) != 3 or sys.argv[1] != "checkpoints":
        sys.exit(__doc__)
    write_checkpoints(sys.argv[2])
