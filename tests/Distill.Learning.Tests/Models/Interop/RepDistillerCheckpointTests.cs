using System.Text.Json;
using Distill.Learning.Models;
using Distill.Learning.Models.Interop;
using TorchSharp;
using static TorchSharp.torch;

namespace Distill.Learning.Tests.Models.Interop;

/// <summary>
/// The eight CIFAR-100 benchmark models, written by tools/pytorch-reference/repdistiller_models.py after RepDistiller's
/// own model code and saved as their checkpoints in both torch.save formats by Debian's python3-torch, imported into
/// Distill's networks of the same function: the same parameter counts as theirs, and the same logits on raw images
/// standardised with their constants (float64 on both sides, so only the names and the function are compared).
/// </summary>
[Trait("Category", "Slow")]
public sealed class RepDistillerCheckpointTests : IClassFixture<RepDistillerCheckpointTests.Checkpoints>
{
    private const double Tolerance = 1e-5;

    /// <summary>Their published parameter counts (RepDistiller's models), with the network Distill builds for each.</summary>
    public static readonly IReadOnlyDictionary<string, (long Parameters, Func<ClassifierNet> Build)> Models =
        new Dictionary<string, (long, Func<ClassifierNet>)>
        {
            ["resnet56"] = (861_620, () => new CifarResNet(56, 3, 100, projection: true)),
            ["resnet20"] = (278_324, () => new CifarResNet(20, 3, 100, projection: true)),
            ["resnet32x4"] = (7_433_860, () => new CifarResNet(32, 3, 100, width: 64, stemWidth: 32, projection: true)),
            ["resnet8x4"] = (1_233_540, () => new CifarResNet(8, 3, 100, width: 64, stemWidth: 32, projection: true)),
            ["wrn_40_2"] = (2_255_156, () => new WideResNet(40, 2, 3, 100)),
            ["wrn_16_2"] = (703_284, () => new WideResNet(16, 2, 3, 100)),
            ["vgg13"] = (9_462_180, () => new VggCifar(13, 3, 100)),
            ["vgg8"] = (3_965_028, () => new VggCifar(8, 3, 100)),
        };

    public static TheoryData<string, string> Files
    {
        get
        {
            var files = new TheoryData<string, string>();
            foreach (var model in Models.Keys)
            {
                files.Add(model, $"{model}.pth");
                files.Add(model, $"{model}-legacy.pth");
            }
            return files;
        }
    }

    private static readonly float[] Mean = [0.5071f, 0.4867f, 0.4408f], Std = [0.2675f, 0.2565f, 0.2761f];

    private readonly Checkpoints _files;
    private readonly Xunit.Abstractions.ITestOutputHelper _output;

    public RepDistillerCheckpointTests(Checkpoints files, Xunit.Abstractions.ITestOutputHelper output) => (_files, _output) = (files, output);

    [Theory]
    [MemberData(nameof(Files))]
    public void A_RepDistiller_checkpoint_imports_as_it_is_and_gives_their_logits(string model, string file)
    {
        using var scope = NewDisposeScope();
        using var net = Models[model].Build();
        ModelWeights.LoadExternal(net, Path.Combine(_files.Folder, file), WeightsFormat.PyTorch,
            file.Contains("legacy") ? WeightsLayout.RepDistiller : WeightsLayout.Auto);
        net.to(ScalarType.Float64).eval();
        using var images = tensor(_files.Images).reshape(4, 3, 32, 32);
        using var mean = tensor(Mean).reshape(1, 3, 1, 1);
        using var std = tensor(Std).reshape(1, 3, 1, 1);
        using var input = ((images - mean) / std).to(ScalarType.Float64);
        using var logits = no_grad_forward(net, input);
        var ours = logits.data<double>().ToArray();
        var theirs = _files.Logits[model];
        Assert.Equal(theirs.Length, ours.Length);
        double gap = ours.Zip(theirs, (a, b) => Math.Abs(a - b)).Max();
        _output.WriteLine($"{file}: largest |PyTorch - Distill| over 4 x 100 float64 logits {gap:E2} (logits up to {theirs.Max(Math.Abs):F2})");
        Assert.True(gap < Tolerance, $"{file}: largest logit difference {gap:g3} (logits up to {theirs.Max(Math.Abs):g3})");
    }

    [Fact]
    public void Their_resnet56_does_not_fit_the_zero_padded_resnet_and_the_error_says_what_differs()
    {
        using var zeroPadded = new CifarResNet(56, 3, 100);
        var error = Assert.Throws<InvalidDataException>(() =>
            ModelWeights.LoadExternal(zeroPadded, Path.Combine(_files.Folder, "resnet56.pth"), WeightsFormat.PyTorch));
        Assert.Contains("in the repdistiller layout", error.Message);
        Assert.Contains("extra 12: layer2.0.downsample.0.weight", error.Message);
        Assert.Contains("shortcut: projection", error.Message);
    }

    public static TheoryData<string> ModelNames => [.. Models.Keys];

    [Theory]
    [MemberData(nameof(ModelNames))]
    public void Distill_network_has_the_published_parameter_count(string model)
    {
        using var net = Models[model].Build();
        long count = net.parameters().Sum(p => p.numel());
        Assert.Equal(Models[model].Parameters, count);
        Assert.Equal(Models[model].Parameters, _files.Parameters[model]);
    }

    private static Tensor no_grad_forward(ClassifierNet net, Tensor input)
    {
        using var _ = no_grad();
        return net.forward(input);
    }

    /// <summary>The checkpoints and their logits, written once by one Python process.</summary>
    public sealed class Checkpoints : IDisposable
    {
        private readonly TempFolder _temp = new();

        public string Folder => _temp.Path;
        public float[] Images { get; }
        public Dictionary<string, double[]> Logits { get; } = [];
        public Dictionary<string, long> Parameters { get; } = [];

        public Checkpoints()
        {
            var script = Path.Combine(AppContext.BaseDirectory, "Models", "Interop", "repdistiller_models.py");
            var outcome = ChildProcess.Run("/usr/bin/python3", [script, "checkpoints", Folder]);
            if (outcome.ExitCode != 0)
                throw new InvalidOperationException($"repdistiller_models.py failed ({outcome.ExitCode}); it needs Debian's python3-torch (tools/setup.sh --tests installs it):\n{outcome.Errors}");
            using var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(Folder, "expected.json")));
            Images = [.. json.RootElement.GetProperty("images").EnumerateArray().Select(v => (float)v.GetDouble())];
            foreach (var model in json.RootElement.GetProperty("models").EnumerateObject())
            {
                Logits[model.Name] = [.. model.Value.GetProperty("logits").EnumerateArray().Select(v => v.GetDouble())];
                Parameters[model.Name] = model.Value.GetProperty("parameters").GetInt64();
            }
        }

        public void Dispose() => _temp.Dispose();
    }
}
