using System.Text.Json;
using Distill.Learning.Models;
using static TorchSharp.torch;

namespace Distill.Learning.Tests.Models.Interop;

/// <summary>
/// A network written here in Python (not one of Distill's architectures: 40-pixel resize, 24 and 40 channels, GELU),
/// traced and saved as TorchScript by Debian's python3-torch, run by <see cref="TorchScriptNet"/>: the same logits and
/// embedding as PyTorch, and the same contract as Distill's networks (feature points, embedding width, disposal).
/// </summary>
[Trait("Category", "Slow")]
public sealed class TorchScriptNetTests : IDisposable
{
    private const string Script = """
        import json, sys
        import torch
        import torch.nn.functional as F

        class Odd(torch.nn.Module):
            def __init__(self):
                super().__init__()
                self.conv1 = torch.nn.Conv2d(1, 24, 5, padding=2)
                self.conv2 = torch.nn.Conv2d(24, 40, 3, stride=2, padding=1)
                self.norm = torch.nn.BatchNorm2d(40)
                self.head = torch.nn.Linear(40, 7)
            def forward(self, x):
                x = F.interpolate(x, size=(40, 40), mode="bilinear", align_corners=False)
                x = F.max_pool2d(F.gelu(self.conv1(x)), 2)
                e = F.gelu(self.norm(self.conv2(x))).mean(dim=(2, 3))
                return self.head(e), e

        class LogitsOnly(torch.nn.Module):
            def __init__(self, inner):
                super().__init__()
                self.inner = inner
            def forward(self, x):
                return self.inner(x)[0]

        out = sys.argv[1]
        torch.manual_seed(0)
        net = Odd()
        with torch.no_grad():
            net.norm.running_mean.uniform_(-0.1, 0.1)
            net.norm.running_var.uniform_(0.5, 1.5)
        net.eval()
        x = torch.rand(3, 1, 28, 28)
        torch.jit.save(torch.jit.trace(net, x[:1]), f"{out}/pair.ts")
        torch.jit.save(torch.jit.trace(LogitsOnly(net), x[:1]), f"{out}/logits.ts")
        with torch.no_grad():
            logits, embedding = net(x)
        json.dump({"x": x.flatten().tolist(), "logits": logits.flatten().tolist(), "embedding": embedding.flatten().tolist()}, open(f"{out}/expected.json", "w"))
        """;

    private readonly TempFolder _temp = new();
    private readonly float[] _x, _logits, _embedding;

    public TorchScriptNetTests()
    {
        File.WriteAllText(_temp.Combine("odd.py"), Script);
        var outcome = ChildProcess.Run("/usr/bin/python3", [_temp.Combine("odd.py"), _temp.Path]);
        if (outcome.ExitCode != 0) throw new InvalidOperationException($"the TorchScript writer failed; it needs Debian's python3-torch:\n{outcome.Errors}");
        using var json = JsonDocument.Parse(File.ReadAllText(_temp.Combine("expected.json")));
        float[] Read(string name) => [.. json.RootElement.GetProperty(name).EnumerateArray().Select(v => (float)v.GetDouble())];
        (_x, _logits, _embedding) = (Read("x"), Read("logits"), Read("embedding"));
    }

    public void Dispose() => _temp.Dispose();

    private static double Gap(Tensor ours, float[] theirs) => ours.data<float>().ToArray().Zip(theirs, (a, b) => Math.Abs((double)a - b)).Max();

    [Fact]
    public void A_module_returning_logits_and_embedding_gives_PyTorchs_values_and_the_embedding_point()
    {
        using var scope = NewDisposeScope();
        using var net = new TorchScriptNet();
        net.Load(_temp.Combine("pair.ts"));
        net.eval();
        var x = tensor(_x).reshape(3, 1, 28, 28);
        using var noGrad = no_grad();
        var firstGap = Gap(net.forward(x), _logits);
        Assert.True(firstGap < 1e-5, $"logits {firstGap:g3} away from PyTorch's");
        Assert.Equal(40, net.EmbeddingWidth(1, 28, 28));
        Assert.Equal([FeaturePoints.Embedding, FeaturePoints.Logits], net.FeaturePointNames);
        using var outputs = net.Forward(x, [FeaturePoints.Embedding]);
        Assert.True(Gap(outputs.Logits, _logits) < 1e-5);
        Assert.True(Gap(outputs[FeaturePoints.Embedding], _embedding) < 1e-5);
        Assert.True(Gap(net.Features(x), _embedding) < 1e-5);
    }

    [Fact]
    public void A_module_returning_only_logits_has_no_embedding_and_says_how_to_give_one()
    {
        using var net = new TorchScriptNet();
        net.Load(_temp.Combine("logits.ts"));
        net.eval();
        using var x = tensor(_x).reshape(3, 1, 28, 28);
        using var noGrad = no_grad();
        using var logits = net.forward(x);
        Assert.True(Gap(logits, _logits) < 1e-5);
        var error = Assert.Throws<InvalidOperationException>(() => net.EmbeddingWidth(1, 28, 28));
        Assert.Contains("return (logits, embedding)", error.Message);
        Assert.Equal([FeaturePoints.Logits], net.FeaturePointNames);
    }

    [Fact]
    public void A_file_that_is_not_TorchScript_is_refused_with_how_to_make_one()
    {
        File.WriteAllText(_temp.Combine("not.ts"), "hello");
        using var net = new TorchScriptNet();
        var error = Assert.Throws<InvalidDataException>(() => net.Load(_temp.Combine("not.ts")));
        Assert.Contains("torch.jit.save", error.Message);
    }
}
