using Distill.Learning.Models;
using Distill.Learning.Platform;
using static TorchSharp.torch;

namespace Distill.Learning.Tests.Platform;

/// <summary>
/// The bfloat16 convolutions match float64 to the bfloat16 tolerance on the kernels the routing and the self-check give
/// them, and the tolerance tells bfloat16 rounding from a wrong kernel. Skipped where this CPU (or ONEDNN_MAX_CPU_ISA)
/// has no bfloat16: there <see cref="Bf16SupportTests"/> checks the refusal instead.
/// </summary>
public sealed class Bf16ConvolutionTests
{
    private static void SkipWithoutBf16() => Skip.If(PrecisionSupport.Unavailable(Precision.Bf16) is not null, PrecisionSupport.Unavailable(Precision.Bf16));

    public static TheoryData<int, int> ChannelCounts()
    {
        var data = new TheoryData<int, int>();
        foreach (int stride in new[] { 1, 2 })
            for (int channels = 1; channels <= 40; channels++)
                data.Add(channels, stride);
        return data;
    }

    [SkippableTheory]
    [MemberData(nameof(ChannelCounts))]
    public void A_bf16_layer_with_any_channel_count_passes_the_self_check_on_its_kernel(int channels, int stride)
    {
        SkipWithoutBf16();
        var shape = new ConvolutionShape(new ConvolutionConfig(channels, channels, 3, stride, 1, InputGradient: true, Precision.Bf16), 16, 16);

        var check = ConvolutionSelfCheck.Verify(shape); // moves a shape oneDNN gets wrong in bf16 to the fp32 native kernels

        Assert.True(check.Passed, $"{check.Shape} on {check.Kernel} ({CpuIsa.Description}): {check.Failure}");
        var again = ConvolutionSelfCheck.Measure(shape, ConvolutionRouting.KernelFor(shape), batch: 8);
        Assert.True(again.Passed, $"{again.Shape} on {again.Kernel}, batch 8: {again.Failure}");
    }

    [SkippableTheory]
    [InlineData(16, 16, 3, 1, 32)]
    [InlineData(32, 64, 3, 2, 16)]
    [InlineData(64, 64, 5, 1, 16)]
    public void Bf16_really_rounds_and_stays_within_its_tolerance(int inChannels, int outChannels, int kernel, int stride, int size)
    {
        SkipWithoutBf16();
        var config = new ConvolutionConfig(inChannels, outChannels, kernel, stride, kernel / 2, true, Precision.Bf16);
        var shape = new ConvolutionShape(config, size, size);
        var check = ConvolutionSelfCheck.Measure(shape, ConvolutionRouting.KernelFor(shape));

        Assert.Equal(ConvolutionKernel.OneDnnChannelsLast, check.Kernel);
        Assert.True(check.Passed, check.Failure);
        // Far above float32's rounding (about 1e-7): the products really ran in bfloat16.
        foreach (double error in new[] { check.ForwardError, check.InputGradientError, check.WeightGradientError })
            Assert.InRange(error, 1e-4, ConvolutionCheck.Bf16Tolerance);
    }

    [SkippableFact]
    public void The_bf16_tolerance_still_sees_oneDNNs_wrong_bf16_kernels()
    {
        // A canary like the float32 one: oneDNN 3.7.1's bf16 input gradient is wrong for odd channel counts (measured
        // 50-300 times bfloat16's unit roundoff, or NaN); the routing pads them, but unpadded they must fail.
        SkipWithoutBf16();
        DefectCanary.SkipUnlessMeasuredHere();
        var shape = new ConvolutionShape(new ConvolutionConfig(3, 3, 3, 1, 1, InputGradient: true, Precision.Bf16), 16, 16);
        var check = ConvolutionSelfCheck.Measure(shape, ConvolutionKernel.OneDnnChannelsLast, batch: 8);

        Assert.False(check.Passed);
        Assert.StartsWith("input gradient", check.Failure);
        Assert.True(ConvolutionSelfCheck.Measure(shape, ConvolutionRouting.KernelFor(shape), batch: 8).Passed);
    }

    [SkippableFact]
    public void The_self_check_of_a_bf16_model_covers_its_bf16_kernels_and_says_so()
    {
        SkipWithoutBf16();
        manual_seed(3);
        using var model = new CifarResNet(8, 3, 10, width: 16);
        model.Precision = Precision.Bf16;

        var report = ConvolutionSelfCheck.VerifyModel(model, 3, 16, 16);

        Assert.NotEmpty(report.Checks);
        Assert.All(report.Checks, c => Assert.Equal(Precision.Bf16, c.Shape.Config.Precision));
        Assert.All(report.Checks, c => Assert.True(c.Passed, $"{c.Shape}: {c.Failure}"));
        Assert.Contains("match float64 to 2^-6 in bf16", report.Summary);
        Assert.Contains("on oneDNN in bf16", report.Summary);

        model.Precision = Precision.Fp32;
        var fp32 = ConvolutionSelfCheck.VerifyModel(model, 3, 16, 16);
        Assert.All(fp32.Checks, c => Assert.Equal(Precision.Fp32, c.Shape.Config.Precision));
        Assert.Contains("match float64 to 1e-4 (", fp32.Summary);
    }
}
