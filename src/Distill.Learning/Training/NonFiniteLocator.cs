using Distill.Learning.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace Distill.Learning.Training;

/// <summary>
/// Finds where a step first produced a value that is not finite. Forward: the first leaf module, in
/// the order they run, whose output is not finite. Backward: the first leaf module, in the order the
/// gradient reaches them, whose input gradient is not finite while its output gradient is (the module
/// whose backward pass made it). Used once, after a step diverged, to re-run that step's batch with
/// hooks on every leaf module.
/// </summary>
public static class NonFiniteLocator
{
    private sealed record Visit(string Name, Tensor? Input, Tensor Output);

    /// <returns>A phrase such as "the input gradient of stage1_block1.conv2 (RoutedConv2d)", or null when every value is finite.</returns>
    public static string? Locate(ClassifierNet model, Func<Tensor, Tensor> loss, Tensor inputs)
    {
        var visits = new List<Visit>();
        var kept = new List<Tensor>();
        string? firstBadOutput = null;
        var removers = new List<Action>();
        foreach (var (name, module) in model.named_modules())
        {
            if (module.children().Any() || module is not nn.Module<Tensor, Tensor> leaf) continue;
            string label = $"{name} ({module.GetType().Name})";
            var remover = leaf.register_forward_hook((_, input, output) =>
            {
                if (firstBadOutput is null && !IsFinite(output)) firstBadOutput = $"the output of {label}";
                if (output.requires_grad)
                    visits.Add(new Visit(label, Keep(input, kept), Keep(output, kept)!));
                return output;
            });
            removers.Add(remover.remove);
        }
        try
        {
            using var scope = NewDisposeScope();
            using var grad = enable_grad();
            var value = loss(model.forward(inputs));
            if (firstBadOutput is not null) return firstBadOutput;
            if (!IsFinite(value)) return "the loss (every module's output is finite)";
            value.backward();
            for (int i = visits.Count - 1; i >= 0; i--)
            {
                var visit = visits[i];
                if (visit.Output.grad is { } outputGrad && !IsFinite(outputGrad))
                    return i == visits.Count - 1 ? "the gradient of the loss" : $"the gradient reaching the output of {visit.Name}";
                if (visit.Input?.grad is { } inputGrad && !IsFinite(inputGrad))
                    return $"the input gradient of {visit.Name}";
            }
            foreach (var (name, parameter) in model.named_parameters())
                if (parameter.grad is { } g && !IsFinite(g))
                    return $"the gradient of parameter {name}";
            return null;
        }
        finally
        {
            foreach (var remove in removers) remove();
            foreach (var tensor in kept) tensor.Dispose();
            foreach (var p in model.parameters()) p.grad?.zero_();
        }
    }

    public static bool IsFinite(Tensor tensor)
    {
        using var finite = tensor.detach().isfinite().all();
        return finite.item<bool>();
    }

    /// <summary>Keeps a tensor that needs a gradient past its module's dispose scope, with its gradient retained.</summary>
    private static Tensor? Keep(Tensor tensor, List<Tensor> kept)
    {
        if (!tensor.requires_grad) return null;
        if (!kept.Any(k => ReferenceEquals(k, tensor)))
        {
            tensor.DetachFromDisposeScope();
            tensor.retain_grad();
            kept.Add(tensor);
        }
        return tensor;
    }
}
