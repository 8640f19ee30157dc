using System.Diagnostics;
using System.Globalization;
using TorchSharp;
using static TorchSharp.torch;

namespace Distill.Learning.Platform;

/// <summary>How far the fused batch norm + ReLU kernels are from LibTorch's batch norm, add and ReLU in float64.</summary>
/// <param name="Errors">Each result's largest error relative to its largest reference value, by name ("output", "input gradient"...).</param>
/// <param name="Precision">The activations' type the kernels were checked on.</param>
public sealed record BatchNormReluCheck(IReadOnlyDictionary<string, double> Errors, TimeSpan Elapsed, Precision Precision = Precision.Fp32)
{
    /// <summary>The convolution self-check's float32 tolerance (<see cref="ConvolutionCheck.Tolerance"/>).</summary>
    public const double Fp32Tolerance = ConvolutionCheck.Tolerance;

    /// <summary>
    /// On bfloat16 activations: their output and input gradient are rounded to bfloat16 (8 bits), which is up to 2^-9
    /// of a value; 2^-7 leaves room for the float32 statistics and nothing for a wrong result.
    /// </summary>
    public const double Bf16Tolerance = 1.0 / 128;

    public double Tolerance => Precision == Precision.Bf16 ? Bf16Tolerance : Fp32Tolerance;

    public bool Passed => Failure is null;

    /// <summary>The first result out of tolerance, as "input gradient (relative error 0.45)"; null when all pass.</summary>
    public string? Failure => Errors.Where(e => !(e.Value <= Tolerance)).Select(e => $"{e.Key} (relative error {Format(e.Value)})").FirstOrDefault();

    public string Summary => Passed
        ? $"batch norm + ReLU self-check{Qualifier}: the fused kernels match float64 to {FormattedTolerance} (largest relative error " +
          $"{Format(Errors.Values.Max())}: outputs, gradients, running statistics; training and evaluation) in {Elapsed.TotalMilliseconds:0} ms"
        : $"batch norm + ReLU self-check{Qualifier}: the fused kernels compute a wrong {Failure} on this machine; batch norm and ReLU run on " +
          "LibTorch's kernels";

    private string Qualifier => Precision == Precision.Bf16 ? " on bfloat16 activations" : "";

    private string FormattedTolerance => Precision == Precision.Bf16 ? "2^-7" : Tolerance.ToString("0e0", CultureInfo.InvariantCulture);

    private static string Format(double value) => value.ToString("g2", CultureInfo.InvariantCulture);
}

/// <summary>
/// Checks the fused batch norm + ReLU kernels (<see cref="BatchNormRelu"/>) once per process, before their first use,
/// against LibTorch's batch norm, add and ReLU in float64: output, the gradients of input, weight, bias and residual,
/// the running statistics after the step, and the evaluation output from them. Two shapes cover the vector loops and
/// the scalar tail (16 and 12 channels), with and without the residual add, over more than one chunk of rows. Should
/// it fail, every layer runs on LibTorch's kernels instead. The bfloat16 kernels are checked on their own, before a
/// bf16 layer first uses them, on bfloat16 inputs whose float64 reference holds the same rounded values (16 and 32
/// channels). Uses its own random generator.
/// </summary>
public static class BatchNormReluSelfCheck
{
    private static readonly Lazy<BatchNormReluCheck> Outcome = new(() => Measure());
    private static readonly Lazy<BatchNormReluCheck> OutcomeBf16 = new(() => Measure(Precision.Bf16));

    /// <summary>Whether the fused kernels may run (checking them on first call).</summary>
    public static bool Passed => Outcome.Value.Passed;

    /// <summary>Whether the check has run in this process.</summary>
    public static bool HasRun => Outcome.IsValueCreated;

    /// <summary>The check's outcome (running it on first call).</summary>
    public static BatchNormReluCheck Report => Outcome.Value;

    /// <summary>Whether the bfloat16 kernels may run: this machine has them, and they passed their check (run on first call).</summary>
    public static bool PassedBf16 => BatchNormReluBf16Kernels.Supported && OutcomeBf16.Value.Passed;

    /// <summary>The bfloat16 kernels' check (running it on first call); null on machines without them.</summary>
    public static BatchNormReluCheck? ReportBf16 => BatchNormReluBf16Kernels.Supported ? OutcomeBf16.Value : null;

    /// <summary>Whether the bfloat16 kernels' check has run in this process.</summary>
    public static bool HasRunBf16 => OutcomeBf16.IsValueCreated;

    /// <summary>Runs the comparison now, whatever an earlier one found.</summary>
    public static BatchNormReluCheck Measure(Precision precision = Precision.Fp32)
    {
        if (precision == Precision.Bf16 && !BatchNormReluBf16Kernels.Supported)
            throw new InvalidOperationException("the bfloat16 batch norm + ReLU kernels need AVX-512, which this machine or .NET setting lacks");
        var clock = Stopwatch.StartNew();
        var errors = new Dictionary<string, double>();
        using var scope = NewDisposeScope();
        var generator = new Generator(0x5eed);
        // bfloat16 loops take whole vectors of 16 channels; float32 ones a vector tail and a scalar tail too.
        var shapes = precision == Precision.Bf16 ? new[] { (16L, false), (32L, true) } : [(16L, false), (12L, true)];
        var type = precision.ActivationType();
        foreach (var (channels, residual) in shapes)
        foreach (var (name, error) in Compare(channels, residual, type, generator))
            errors[name] = Math.Max(errors.GetValueOrDefault(name), double.IsNaN(error) ? double.PositiveInfinity : error);
        return new BatchNormReluCheck(errors, clock.Elapsed, precision);
    }

    /// <summary>One shape: batch 8 of 10 x 10 (800 rows, two chunks at these widths) of activations of the given type.</summary>
    private static List<(string, double)> Compare(long channels, bool withResidual, ScalarType type, Generator generator)
    {
        long[] shape = [8, channels, 10, 10];
        // Values the activations' type holds exactly, so that the float64 reference sees what the kernels see.
        Tensor Representable(Tensor t) => t.to(type).to(ScalarType.Float64);
        var x = Representable(randn(shape, ScalarType.Float64, generator: generator).mul_(2).add_(0.5));
        var residual = withResidual ? Representable(randn(shape, ScalarType.Float64, generator: generator)) : null;
        var weight = rand([channels], ScalarType.Float64, generator: generator).add_(0.5);
        var bias = randn([channels], ScalarType.Float64, generator: generator).mul_(0.3);
        var gradOutput = Representable(randn(shape, ScalarType.Float64, generator: generator));

        var errors = new List<(string, double)>();
        using var reference = Layer(channels, ScalarType.Float64, weight, bias);
        using var candidate = Layer(channels, ScalarType.Float32, weight, bias);
        var (x64, r64) = (x.detach().requires_grad_(), residual?.detach().requires_grad_());
        var (x32, r32) = (ChannelsLast(x, type), residual is null ? null : ChannelsLast(residual, type));

        using (enable_grad())
        {
            var z = reference.call(x64);
            if (r64 is not null) z = z.add(r64);
            // Where the float64 pre-activation is within rounding of zero, float32's ReLU may decide the other way:
            // no gradient flows there in either, so the comparison sees only real errors.
            gradOutput.masked_fill_(z.detach().abs().lt(z.detach().abs().max().mul(1e-4)), 0);
            var y64 = z.relu();
            var y32 = BatchNormRelu.Fused(candidate, x32, r32);
            var wrt64 = new List<Tensor> { x64, reference.weight, reference.bias! };
            var wrt32 = new List<Tensor> { x32, candidate.weight, candidate.bias! };
            if (r64 is not null)
            {
                wrt64.Add(r64);
                wrt32.Add(r32!);
            }
            // The residual's gradient arrives in NCHW, the other's channels-last, as models can give either.
            var g32 = withResidual ? gradOutput.to(type) : ChannelsLast(gradOutput, type).detach();
            var grads64 = autograd.grad([y64], wrt64, [gradOutput]);
            var grads32 = autograd.grad([y32], wrt32, [g32]);
            errors.Add(("output", SelfCheckError.Relative(y32, y64)));
            string[] names = ["input gradient", "weight gradient", "bias gradient", "residual gradient"];
            for (int i = 0; i < grads64.Count; i++) errors.Add((names[i], SelfCheckError.Relative(grads32[i], grads64[i])));
        }
        errors.Add(("running mean", SelfCheckError.Relative(candidate.running_mean!, reference.running_mean!)));
        errors.Add(("running variance", SelfCheckError.Relative(candidate.running_var!, reference.running_var!)));

        reference.eval();
        candidate.eval();
        using (no_grad())
        {
            var z = reference.call(x);
            if (residual is not null) z = z.add(residual);
            errors.Add(("evaluation output", SelfCheckError.Relative(BatchNormRelu.Fused(candidate, x32.detach(), r32?.detach()), z.relu())));
        }
        return errors;
    }

    private static TorchSharp.Modules.BatchNorm2d Layer(long channels, ScalarType type, Tensor weight, Tensor bias)
    {
        var layer = nn.BatchNorm2d(channels, dtype: type);
        using (no_grad())
        {
            layer.weight.copy_(weight);
            layer.bias!.copy_(bias);
        }
        return layer;
    }

    /// <summary>A leaf of the given type with channels-last strides holding <paramref name="t"/>'s values.</summary>
    private static Tensor ChannelsLast(Tensor t, ScalarType type) =>
        t.permute(0, 2, 3, 1).to(type).contiguous().permute(0, 3, 1, 2).requires_grad_();
}
