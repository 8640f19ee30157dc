namespace Distill.Learning.Platform;

/// <summary>
/// The code beneath every network that is not an architecture's: Distill's own kernels, each with its revision, and
/// the TorchSharp build (which fixes the LibTorch beneath it). The stage kinds that run networks put all of them in
/// their stages' keys, so new kernels or a new LibTorch never reuse results computed by the old ones.
/// </summary>
public static class KernelRevisions
{
    public static IReadOnlyDictionary<string, object> All { get; } = new SortedDictionary<string, object>(StringComparer.Ordinal)
    {
        ["kernel/convolution"] = ConvolutionRouting.Revision,
        ["kernel/batchnorm-relu"] = BatchNormReluKernels.Revision,
        ["kernel/local-response-norm"] = LocalResponseNormKernels.Revision,
        ["kernel/sgd"] = SgdKernels.Revision,
        // Read from the reference, not from a TorchSharp type, so that validation never loads LibTorch.
        ["torchsharp"] = typeof(KernelRevisions).Assembly.GetReferencedAssemblies()
            .Single(a => a.Name == "TorchSharp").Version!.ToString(3),
    };
}
