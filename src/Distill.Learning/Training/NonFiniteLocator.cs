using Distill.Learning.Models;
using Distill.Learning.Platform;
using TorchSharp;
using static TorchSharp.torch;

namespace Distill.Learning.Training;

/// <summary>
/// Finds where a step first produced a value that is not finite. Forward: the first leaf module, in
/// the order they run, whose output is not finite. Backward: the first gradient, in the order the
/// backward pass computes them, that is not finite, at the input or output of a leaf module; at a
/// module's input it names the module whose backward pass made it. Used once, after a step diverged,
/// to re-run that step's batch with probes around every leaf module.
/// </summary>
public static class NonFiniteLocator
{
    /// <returns>A phrase such as "the input gradient of stage1_block1.conv2 (RoutedConv2d)", or null when every value is finite.</returns>
    public static string? Locate(ClassifierNet model, Func<Tensor> forwardAndLoss)
    {
        var findings = new GradientFindings();
        string? firstBadOutput = null;
        var removers = new List<Action>();
        foreach (var (name, module) in model.named_modules())
        {
            if (module.children().Any() || module is not nn.Module<Tensor, Tensor> leaf) continue;
            string label = $"{name} ({module.GetType().Name})";
            var before = leaf.register_forward_pre_hook((_, input) =>
                input.requires_grad ? GradientProbe.apply(input, $"the input gradient of {label}", findings) : input);
            var after = leaf.register_forward_hook((_, _, output) =>
            {
                if (firstBadOutput is null && !IsFinite(output)) firstBadOutput = $"the output of {label}";
                return output.requires_grad ? GradientProbe.apply(output, $"the gradient reaching the output of {label}", findings) : output;
            });
            removers.Add(before.remove);
            removers.Add(after.remove);
        }
        // Fused batch norm + ReLU would run neither module: the replay runs LibTorch's, so every leaf is probed.
        bool fused = BatchNormRelu.Enabled;
        BatchNormRelu.Enabled = false;
        try
        {
            using var scope = NewDisposeScope();
            using var grad = enable_grad();
            var value = forwardAndLoss();
            if (firstBadOutput is not null) return firstBadOutput;
            if (!IsFinite(value)) return "the loss (every module's output is finite)";
            value.backward();
            if (findings.First is not null) return findings.First;
            foreach (var (name, parameter) in model.named_parameters())
                if (parameter.grad is { } g && !IsFinite(g))
                    return $"the gradient of parameter {name} (made by its module's backward pass from finite values)";
            return null;
        }
        finally
        {
            BatchNormRelu.Enabled = fused;
            foreach (var remove in removers) remove();
            foreach (var p in model.parameters()) p.grad?.zero_();
        }
    }

    public static bool IsFinite(Tensor tensor)
    {
        using var finite = tensor.detach().isfinite().all();
        return finite.item<bool>();
    }

    private sealed class GradientFindings
    {
        public string? First { get; set; }
    }

    /// <summary>An identity whose backward pass notes the first non-finite gradient it sees.</summary>
    private sealed class GradientProbe : autograd.SingleTensorFunction<GradientProbe>
    {
        public override string Name => nameof(GradientProbe);

        public override Tensor forward(autograd.AutogradContext ctx, params object[] vars)
        {
            ctx.save_data("label", vars[1]);
            ctx.save_data("findings", vars[2]);
            return ((Tensor)vars[0]).clone(); // a copy: modules may change their output in place
        }

        public override List<Tensor> backward(autograd.AutogradContext ctx, Tensor gradOutput)
        {
            var findings = (GradientFindings)ctx.get_data("findings");
            if (findings.First is null && !IsFinite(gradOutput)) findings.First = (string)ctx.get_data("label");
            return [gradOutput, null!, null!];
        }
    }
}
