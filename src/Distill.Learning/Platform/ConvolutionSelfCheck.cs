using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using Distill.Learning.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace Distill.Learning.Platform;

/// <summary>How far one convolution's float32 results are from the same computation in float64.</summary>
public sealed record ConvolutionCheck(ConvolutionShape Shape, ConvolutionKernel Kernel, double ForwardError, double InputGradientError, double WeightGradientError)
{
    /// <summary>Largest error allowed, relative to the largest reference value.</summary>
    public const double Tolerance = 1e-4;

    public bool Passed => Within(ForwardError) && Within(InputGradientError) && Within(WeightGradientError);

    /// <summary>The first part out of tolerance, as "input gradient (relative error 0.45)"; null when all pass.</summary>
    public string? Failure =>
        !Within(ForwardError) ? Describe("output", ForwardError)
        : !Within(InputGradientError) ? Describe("input gradient", InputGradientError)
        : !Within(WeightGradientError) ? Describe("weight gradient", WeightGradientError)
        : null;

    private static bool Within(double error) => error <= Tolerance; // false for NaN

    private static string Describe(string part, double error) =>
        $"{part} (relative error {error.ToString("g2", CultureInfo.InvariantCulture)})";
}

/// <summary>The outcome of checking every convolution shape of a model.</summary>
/// <param name="NewlyChecked">How many of the checks ran now (the rest were verified earlier in this process).</param>
public sealed record ConvolutionSelfCheckReport(IReadOnlyList<ConvolutionCheck> Checks, int NewlyChecked, TimeSpan Elapsed)
{
    public string Summary
    {
        get
        {
            var kernels = new[]
                {
                    (ConvolutionKernel.OneDnnChannelsLast, "on oneDNN"),
                    (ConvolutionKernel.OneDnn, "on oneDNN with NCHW tensors"),
                    (ConvolutionKernel.PaddedOneDnn, "on oneDNN with zero-padded channels"),
                    (ConvolutionKernel.Native, "on LibTorch's native kernels"),
                }
                .Select(k => (Count: Checks.Count(c => c.Kernel == k.Item1), Label: k.Item2))
                .Where(k => k.Count > 0)
                .Select(k => $"{k.Count} {k.Label}");
            return $"convolution self-check on {CpuIsa.Description}: {Checks.Count} shapes match float64 to {ConvolutionCheck.Tolerance:0e0} " +
                   $"({string.Join(", ", kernels)}) in {Elapsed.TotalMilliseconds:0} ms";
        }
    }
}

/// <summary>A kernel of this platform computes a wrong convolution and no workaround covers it.</summary>
public sealed class PlatformDefectException(string message) : Exception(message);

/// <summary>
/// Checks, before training, every distinct convolution shape of a model on the kernel that will run it
/// (forward, input gradient, weight gradient) against float64, which LibTorch computes without oneDNN.
/// A shape that oneDNN gets wrong despite <see cref="ConvolutionRouting"/>'s rule moves to the native
/// kernels (with a warning); a shape that no kernel gets right stops training with a one-line error.
/// </summary>
public static class ConvolutionSelfCheck
{
    private const int Batch = 2;
    private static readonly ConcurrentDictionary<ConvolutionShape, ConvolutionCheck> Verified = new();

    public static ConvolutionSelfCheckReport VerifyModel(ClassifierNet model, long channels, long height, long width, Action<string>? warn = null)
    {
        var clock = Stopwatch.StartNew();
        var checks = ShapesOf(model, channels, height, width)
            .SelectMany(shape => shape.Config.InputGradient
                ? new[] { shape, shape with { Config = shape.Config with { InputGradient = false } } } // evaluation runs it too
                : [shape])
            .Distinct()
            .ToList();
        int fresh = checks.Count(shape => !Verified.ContainsKey(shape));
        return new ConvolutionSelfCheckReport(checks.Select(shape => Verify(shape, warn)).ToList(), fresh, clock.Elapsed);
    }

    /// <summary>The shapes a model's CPU forward pass convolves, with the gradients training needs.</summary>
    public static IReadOnlyCollection<ConvolutionShape> ShapesOf(ClassifierNet model, long channels, long height, long width)
    {
        if (model.parameters().FirstOrDefault() is { } parameter && parameter.device_type != DeviceType.CPU)
            return [];
        bool training = model.training;
        model.eval(); // batch norm statistics stay untouched
        try
        {
            using var scope = NewDisposeScope();
            using var grad = enable_grad();
            using var recording = ConvolutionShapeRecorder.Start(out var shapes);
            model.forward(zeros(Batch, channels, height, width));
            return shapes.ToList();
        }
        finally
        {
            if (training) model.train();
        }
    }

    public static ConvolutionCheck Verify(ConvolutionShape shape, Action<string>? warn = null)
    {
        var kernel = ConvolutionRouting.KernelFor(shape.Config);
        if (Verified.TryGetValue(shape, out var known) && known.Kernel == kernel)
            return known;
        var check = Measure(shape, kernel);
        if (!check.Passed && kernel != ConvolutionKernel.Native && ConvolutionRouting.Policy == ConvolutionPolicy.Auto && ConvolutionRouting.NativeAvailable)
        {
            warn?.Invoke($"{shape}: {KernelName(kernel, shape.Config)} computes a wrong {check.Failure} on {CpuIsa.Description}; this shape now runs on LibTorch's native kernels");
            ConvolutionRouting.AvoidOneDnn(shape.Config);
            check = Measure(shape, ConvolutionKernel.Native);
        }
        if (!check.Passed)
            throw new PlatformDefectException(
                $"{shape} computes a wrong {check.Failure} on {CpuIsa.Description} with {KernelName(check.Kernel, shape.Config)} " +
                $"(workaround in force: {ConvolutionRouting.Workaround}); see docs/platform-defects.md");
        Verified[shape] = check;
        return check;
    }

    /// <summary>Runs one convolution forward and backward on a kernel and compares it with float64.</summary>
    public static ConvolutionCheck Measure(ConvolutionShape shape, ConvolutionKernel kernel, int batch = Batch)
    {
        var c = shape.Config;
        using var scope = NewDisposeScope();
        using var grad = enable_grad();
        var generator = new Generator(0x5eed);
        var input = randn([batch, c.InChannels, shape.Height, shape.Width], ScalarType.Float64, generator: generator);
        var weight = randn([c.OutChannels, c.InChannels, c.Kernel, c.Kernel], ScalarType.Float64, generator: generator)
            .div_(Math.Sqrt(c.InChannels * c.Kernel * c.Kernel));

        // float64 never reaches oneDNN: LibTorch's plain convolution is the reference.
        long[] stride = [c.Stride, c.Stride], padding = [c.Padding, c.Padding];
        var reference = Run(input, weight, shape, (x, w) => nn.functional.conv2d(x, w, null, stride, padding), gradOutput: null, generator);
        var candidate = Run(input.to(ScalarType.Float32), weight.to(ScalarType.Float32), shape,
            (x, w) => RoutedConvolution.Apply(x, w, null, c, kernel), reference.GradOutput.to(ScalarType.Float32), generator);
        return new ConvolutionCheck(shape, kernel,
            RelativeError(candidate.Output, reference.Output),
            c.InputGradient ? RelativeError(candidate.InputGradient!, reference.InputGradient!) : 0,
            RelativeError(candidate.WeightGradient, reference.WeightGradient));
    }

    private sealed record Outcome(Tensor Output, Tensor? InputGradient, Tensor WeightGradient, Tensor GradOutput);

    private static Outcome Run(Tensor input, Tensor weight, ConvolutionShape shape, Func<Tensor, Tensor, Tensor> convolve, Tensor? gradOutput, Generator generator)
    {
        var x = input.detach().requires_grad_(shape.Config.InputGradient);
        var w = weight.detach().requires_grad_();
        var output = convolve(x, w);
        gradOutput ??= randn(output.shape, output.dtype, generator: generator);
        var gradients = autograd.grad([output], shape.Config.InputGradient ? [x, w] : [w], [gradOutput]);
        return shape.Config.InputGradient
            ? new Outcome(output.detach(), gradients[0], gradients[1], gradOutput)
            : new Outcome(output.detach(), null, gradients[0], gradOutput);
    }

    private static double RelativeError(Tensor actual, Tensor reference)
    {
        double scale = reference.abs().max().item<double>();
        double error = actual.to(ScalarType.Float64).sub(reference).abs().max().item<double>();
        return scale > 0 ? error / scale : error;
    }

    private static string KernelName(ConvolutionKernel kernel, ConvolutionConfig config) => kernel switch
    {
        ConvolutionKernel.OneDnnChannelsLast => "oneDNN (channels-last)",
        ConvolutionKernel.OneDnn => "oneDNN (NCHW)",
        ConvolutionKernel.PaddedOneDnn => $"oneDNN padded to {ConvolutionRouting.PaddedChannels(config).In}->{ConvolutionRouting.PaddedChannels(config).Out} channels",
        _ => "LibTorch's native kernels",
    };
}
