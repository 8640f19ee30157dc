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
    /// <summary>Largest error allowed in float32, relative to the largest reference value.</summary>
    public const double Tolerance = 1e-4;

    /// <summary>
    /// Largest error allowed in bfloat16, relative to the largest reference value: 4u = 2^-6 (about 1.6e-2), with
    /// u = 2^-8 the unit roundoff of bfloat16's 8-bit significand. Each of the three results is a sum of K products of
    /// two rounded operands (forward: input and weight, K = C*k*k; input gradient: output gradient and weight, K = O*k*k;
    /// weight gradient: input and output gradient, K = N*H*W), summed in float32 (error about sqrt(K)*2^-24, nothing
    /// next to u) and rounded once more to bfloat16. Rounding an operand moves a product by at most u relative, so a
    /// sum's worst case is 2u * sum|a_k b_k| plus u for the final rounding; relative to the largest |result| that is
    /// 2u * sqrt(K) or more on random data (0.1-0.3 for K = 576), too loose to see anything. But rounding errors are
    /// independent and centred (at most u relative, spread about evenly, so a standard deviation of at most u/sqrt(3)), so they add up like a random
    /// walk: the error of a sum has a standard deviation of at most sqrt(2/3)*u times the root-mean-square size of the results, for
    /// any K, and the largest of many errors sits a few of those deviations out, as the largest result does. Expected
    /// here: about sqrt(2/3)u + u/2 = 1.3u. Measured (batch 2 and 8, AVX-512 with avx512_bf16): 0.5u-1.5u on every
    /// shape oneDNN computes right, ResNet-56's and AlexNet's included; the wrong bfloat16 kernels (odd output channel
    /// counts in the input gradient, a single input channel) were 11u-10^40u off, or NaN. So 4u leaves a factor of
    /// 2.7 over the largest right result and sits a factor of 2.7 under the smallest wrong one.
    /// </summary>
    public const double Bf16Tolerance = 1.0 / 64;

    /// <summary>The tolerance of a precision.</summary>
    public static double ToleranceFor(Precision precision) => precision == Precision.Bf16 ? Bf16Tolerance : Tolerance;

    /// <summary>This check's tolerance (its shape's precision's).</summary>
    public double Limit => ToleranceFor(Shape.Config.Precision);

    public bool Passed => Within(ForwardError) && Within(InputGradientError) && Within(WeightGradientError);

    /// <summary>The first part out of tolerance, as "input gradient (relative error 0.45)"; null when all pass.</summary>
    public string? Failure =>
        !Within(ForwardError) ? Describe("output", ForwardError)
        : !Within(InputGradientError) ? Describe("input gradient", InputGradientError)
        : !Within(WeightGradientError) ? Describe("weight gradient", WeightGradientError)
        : null;

    private bool Within(double error) => error <= Limit; // false for NaN

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
                    (ConvolutionKernel.Direct, "on Distill's own kernels"),
                    (ConvolutionKernel.OneDnnChannelsLast, "on oneDNN"),
                    (ConvolutionKernel.OneDnn, "on oneDNN with NCHW tensors"),
                    (ConvolutionKernel.PaddedOneDnn, "on oneDNN with zero-padded channels"),
                    (ConvolutionKernel.Native, "on LibTorch's native kernels"),
                }
                .SelectMany(k => Enum.GetValues<Precision>().Select(p => (Kernel: k.Item1, Precision: p,
                    Label: p == Precision.Fp32 || k.Item1 == ConvolutionKernel.Native ? k.Item2 : $"{k.Item2} in {p.Name()}")))
                .Select(k => (Count: Checks.Count(c => c.Kernel == k.Kernel && c.Shape.Config.Precision == k.Precision), k.Label))
                .Where(k => k.Count > 0)
                .Select(k => $"{k.Count} {k.Label}");
            var precisions = Checks.Select(c => c.Shape.Config.Precision).Distinct().Order().ToList();
            string tolerance = precisions.Count == 0 || precisions.SequenceEqual([Precision.Fp32])
                ? $"{ConvolutionCheck.Tolerance:0e0}"
                : string.Join(" and ", precisions.Select(p => $"{FormatTolerance(ConvolutionCheck.ToleranceFor(p))} in {p.Name()}"));
            return $"convolution self-check on {CpuIsa.Description}: {Checks.Count} shapes match float64 to {tolerance} " +
                   $"({string.Join(", ", kernels)}) in {Elapsed.TotalMilliseconds:0} ms";
        }
    }

    private static string FormatTolerance(double tolerance) =>
        tolerance == ConvolutionCheck.Bf16Tolerance ? "2^-6" : tolerance.ToString("0e0", CultureInfo.InvariantCulture);
}

/// <summary>A kernel of this platform computes a wrong convolution and no workaround covers it.</summary>
public class PlatformDefectException(string message) : Exception(message);

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

    /// <summary>True when the shape passed on the kernel that now runs it, earlier in this process.</summary>
    public static bool IsVerified(ConvolutionShape shape) =>
        Verified.TryGetValue(shape, out var known) && known.Kernel == ConvolutionRouting.KernelFor(shape);

    public static ConvolutionCheck Verify(ConvolutionShape shape, Action<string>? warn = null)
    {
        var kernel = ConvolutionRouting.KernelFor(shape);
        if (Verified.TryGetValue(shape, out var known) && known.Kernel == kernel)
            return known;
        var check = Measure(shape, kernel);
        if (!check.Passed && kernel != ConvolutionKernel.Native && ConvolutionRouting.Policy is ConvolutionPolicy.Auto or ConvolutionPolicy.OneDnnRouted
            && ConvolutionRouting.NativeAvailable)
        {
            warn?.Invoke($"{shape}: {KernelName(kernel, shape.Config)} computes a wrong {check.Failure} on {CpuIsa.Description}; this shape now runs on LibTorch's native kernels");
            ConvolutionRouting.FallBackToNative(shape.Config);
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
            SelfCheckError.Relative(candidate.Output, reference.Output),
            c.InputGradient ? SelfCheckError.Relative(candidate.InputGradient!, reference.InputGradient!) : 0,
            SelfCheckError.Relative(candidate.WeightGradient, reference.WeightGradient));
    }

    private sealed record Outcome(Tensor Output, Tensor? InputGradient, Tensor WeightGradient, Tensor GradOutput);

    private static Outcome Run(Tensor input, Tensor weight, ConvolutionShape shape, Func<Tensor, Tensor, Tensor> convolve, Tensor? gradOutput, Generator generator)
    {
        var x = input.detach().requires_grad_(shape.Config.InputGradient);
        var w = weight.detach().requires_grad_();
        var output = convolve(x, w);
        gradOutput ??= randn(output.shape, output.dtype, generator: generator);
        // A bf16 layer's output, and so the gradient it receives, is bfloat16, as in a model.
        var gradients = autograd.grad([output], shape.Config.InputGradient ? [x, w] : [w], [gradOutput.to(output.dtype)]);
        return shape.Config.InputGradient
            ? new Outcome(output.detach(), gradients[0], gradients[1], gradOutput)
            : new Outcome(output.detach(), null, gradients[0], gradOutput);
    }

    private static string KernelName(ConvolutionKernel kernel, ConvolutionConfig config) => kernel switch
    {
        ConvolutionKernel.Direct => "Distill's own 3x3 kernels",
        ConvolutionKernel.OneDnnChannelsLast => $"oneDNN{InPrecision(config)} (channels-last)",
        ConvolutionKernel.OneDnn => $"oneDNN{InPrecision(config)} (NCHW)",
        ConvolutionKernel.PaddedOneDnn => $"oneDNN{InPrecision(config)} padded to {ConvolutionRouting.PaddedChannels(config).In}->{ConvolutionRouting.PaddedChannels(config).Out} channels",
        _ => config.Precision == Precision.Fp32 ? "LibTorch's native kernels" : "LibTorch's native kernels (in float32)",
    };

    private static string InPrecision(ConvolutionConfig config) => config.Precision == Precision.Fp32 ? "" : $" in {config.Precision.Name()}";
}
