using Distill.Learning.Platform;
using Distill.Learning.Tests.Models;
using static TorchSharp.torch;

namespace Distill.Learning.Tests.Platform.HeapCanary;

/// <summary>
/// No convolution Distill routes writes past a buffer LibTorch allocated (issue 37). A value check cannot see such a
/// write: oneDNN's strided 1x1 weight gradient computed right values while it damaged the heap. So the workload below
/// runs again in a child test process with heap-canary.c preloaded, which reports every write past the end of a
/// LibTorch allocation (tensors and oneDNN scratchpads) to a log, and this test reads the log.
/// </summary>
public sealed class HeapCanaryTests
{
    [SkippableFact]
    [Trait("Category", "Slow")]
    public void Routed_convolutions_and_the_models_write_nothing_past_their_buffers()
    {
        var log = RunUnderCanary(nameof(HeapCanaryWorkload.Routed_convolutions_and_models));

        Assert.Contains("watching", log); // the canary was loaded into the test host
        var overruns = log.Split('\n').Where(line => line.StartsWith("OVERRUN", StringComparison.Ordinal)).ToList();
        Assert.True(overruns.Count == 0, string.Join('\n', overruns));
    }

    // The canary must see the defect it guards against, or the test above could pass by watching nothing.
    [SkippableFact]
    [Trait("Category", "Slow")]
    public void The_canary_sees_oneDNNs_own_strided_pointwise_gradient_overrun_its_scratchpad()
    {
        DefectCanary.SkipUnlessMeasuredHere();
        Skip.If(CpuIsa.Description != "avx512_core", $"the overrun was measured with oneDNN's AVX-512 kernel; this run uses {CpuIsa.Description}");

        var log = RunUnderCanary(nameof(HeapCanaryWorkload.OneDnns_own_strided_pointwise_convolution));

        Assert.Contains("watching", log);
        Assert.Contains("OVERRUN", log);
    }

    /// <summary>Runs one workload test of this assembly in a child `dotnet test` with the canary preloaded; returns its log.</summary>
    private static string RunUnderCanary(string workload)
    {
        string? compiler = new[] { "/usr/bin/cc", "/usr/bin/gcc" }.FirstOrDefault(File.Exists);
        Skip.If(compiler is null, "no C compiler (tools/setup.sh installs one)");
        using var folder = new TempFolder();
        string library = Path.Combine(folder.Path, "libheapcanary.so");
        string source = Path.Combine(AppContext.BaseDirectory, "Platform", "HeapCanary", "heap-canary.c");
        Run(compiler!, ["-O1", "-shared", "-fPIC", "-o", library, source, "-ldl"], new Dictionary<string, string>());

        string log = Path.Combine(folder.Path, "canary.log");
        string assembly = typeof(HeapCanaryTests).Assembly.Location;
        var output = Run("dotnet", ["test", assembly, "--filter", $"FullyQualifiedName~{nameof(HeapCanaryWorkload)}.{workload}"],
            new Dictionary<string, string> { ["LD_PRELOAD"] = library, ["HEAP_CANARY_LOG"] = log });
        Assert.Matches(@"Passed:\s+1\b", output); // the workload ran, not filtered away nor skipped
        return File.Exists(log) ? File.ReadAllText(log) : "";
    }

    private static string Run(string program, string[] arguments, Dictionary<string, string> environment)
    {
        var outcome = ChildProcess.Run(program, arguments, environment);
        string output = outcome.Output + outcome.Errors;
        Assert.True(outcome.ExitCode == 0, $"{program} {string.Join(' ', arguments)} exited with {outcome.ExitCode}:\n{output}");
        return output;
    }
}

/// <summary>What <see cref="HeapCanaryTests"/> runs under the canary; skipped anywhere else.</summary>
public sealed class HeapCanaryWorkload
{
    private static void SkipUnlessWatched() =>
        Skip.If(Environment.GetEnvironmentVariable("HEAP_CANARY_LOG") is null, "runs only under the heap canary (HeapCanaryTests)");

    [SkippableFact]
    public void Routed_convolutions_and_models()
    {
        SkipUnlessWatched();
        bool bf16 = PrecisionSupport.Unavailable(Precision.Bf16) is null;
        foreach (var precision in bf16 ? [Precision.Fp32, Precision.Bf16] : new[] { Precision.Fp32 })
        {
            // Every channel count up to two AVX-512 blocks, the shapes where oneDNN's partial blocks go wrong.
            foreach (int kernel in new[] { 1, 3 })
                foreach (int stride in new[] { 1, 2 })
                    for (int channels = 1; channels <= 33; channels++)
                    {
                        var config = new ConvolutionConfig(channels, 16, kernel, stride, kernel / 2, InputGradient: true, precision);
                        // As a model's self-check does: a shape wrong on its oneDNN kernel moves to the native kernels.
                        ConvolutionSelfCheck.Verify(new ConvolutionShape(config, 16, 16));
                    }
            foreach (string architecture in FeaturePointTests.ArchitectureNames)
            {
                using var model = FeaturePointTests.Create(architecture);
                model.Precision = precision;
                using var scope = NewDisposeScope();
                model.forward(randn(2, 3, 16, 16)).square().sum().backward();
            }
        }
    }

    [SkippableFact]
    public void OneDnns_own_strided_pointwise_convolution()
    {
        SkipUnlessWatched();
        using var scope = NewDisposeScope();
        // 8 -> 16 channels at stride 2 on two 16x16 images, channels-last: resnet-x4's first projection shortcut.
        var input = randn(2, 16, 16, 8).permute(0, 3, 1, 2).requires_grad_();
        var weight = randn(16, 8, 1, 1).requires_grad_();
        nn.functional.conv2d(input, weight, null, [2, 2], [0, 0]).square().sum().backward();
        Assert.NotNull(weight.grad);
    }
}
