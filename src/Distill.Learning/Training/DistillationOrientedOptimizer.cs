using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Distill.Learning.Training;

/// <summary>
/// DOT (Zhao et al., "DOT: A Distillation-Oriented Trainer", ICCV 2023), as mdistiller's DistillationOrientedTrainer:
/// SGD with two momentum buffers per parameter, one for the task loss's gradient (momentum - delta) and one for the
/// distillation loss's (momentum + delta), both applied at the learning rate, the task's first. Weight decay joins the
/// task gradient, or the distillation gradient of a parameter the task loss does not reach. A parameter reached by one
/// loss only accumulates that gradient at the mean of the two momenta. A buffer starts as its first gradient; there is
/// no dampening and no Nesterov term, as published.
/// </summary>
public sealed class DistillationOrientedOptimizer(
    IEnumerable<Parameter> parameters, double taskMomentum, double distillationMomentum, double weightDecay) : IDisposable
{
    private const string Magic = "distill-dot-v1";

    private readonly Parameter[] _parameters = [.. parameters];
    private Tensor?[] _taskBuffers = [];
    private Tensor?[] _distillationBuffers = [];

    /// <summary>Drops every parameter's gradient (none rather than zero, so a loss that does not reach a parameter leaves it none).</summary>
    public void ClearGradients()
    {
        foreach (var parameter in _parameters) parameter.grad = null;
    }

    /// <summary>After the distillation part's backward pass: its gradients, taken from the parameters (which are left with none).</summary>
    public Tensor?[] TakeGradients()
    {
        var gradients = new Tensor?[_parameters.Length];
        for (int i = 0; i < _parameters.Length; i++)
        {
            gradients[i] = _parameters[i].grad?.detach().DetachFromDisposeScope();
            _parameters[i].grad = null;
        }
        return gradients;
    }

    /// <summary>After the task part's backward pass: moves each parameter by its task buffer, then by its distillation buffer.</summary>
    public void Step(Tensor?[] distillationGradients, double learningRate)
    {
        if (_taskBuffers.Length == 0)
            (_taskBuffers, _distillationBuffers) = (new Tensor?[_parameters.Length], new Tensor?[_parameters.Length]);
        // Scalars held for the whole step: a temporary one can be finalized while LibTorch reads it (see SGD).
        using Scalar decay = weightDecay.ToScalar(), task = taskMomentum.ToScalar(), distillation = distillationMomentum.ToScalar();
        using Scalar mean = ((taskMomentum + distillationMomentum) / 2).ToScalar(), descent = (-learningRate).ToScalar();
        using var noGrad = no_grad();
        for (int i = 0; i < _parameters.Length; i++)
        {
            using var gradient = _parameters[i].grad;
            if (gradient is null) continue;
            var decayed = weightDecay != 0 ? gradient.add(_parameters[i], alpha: decay) : gradient;
            Accumulate(ref _taskBuffers[i], decayed, distillationGradients[i] is null ? mean : task);
            _parameters[i].add_(_taskBuffers[i]!, alpha: descent);
        }
        for (int i = 0; i < _parameters.Length; i++)
        {
            if (distillationGradients[i] is not { } gradient) continue;
            using var taskGradient = _parameters[i].grad;
            bool alsoTask = taskGradient is not null;
            // As published: no decay on a buffer's first value, nor for a parameter the task part reached (its task gradient had it).
            bool decays = !alsoTask && weightDecay != 0 && _distillationBuffers[i] is not null;
            var decayed = decays ? gradient.add(_parameters[i], alpha: decay) : gradient;
            Accumulate(ref _distillationBuffers[i], decayed, alsoTask ? distillation : mean);
            _parameters[i].add_(_distillationBuffers[i]!, alpha: descent);
        }
        foreach (var gradient in distillationGradients) gradient?.Dispose();
    }

    /// <summary>buffer = momentum * buffer + gradient, or a copy of the gradient when there is no buffer yet.</summary>
    private static void Accumulate(ref Tensor? buffer, Tensor gradient, Scalar momentum)
    {
        if (buffer is null) buffer = gradient.clone().detach().DetachFromDisposeScope();
        else buffer.mul_(momentum).add_(gradient);
    }

    /// <summary>Both buffers of every parameter (whether it has each, then its values), for checkpoints.</summary>
    public void Save(BinaryWriter writer)
    {
        writer.Write(Magic);
        writer.Write(_taskBuffers.Length);
        foreach (var buffer in _taskBuffers.Concat(_distillationBuffers))
        {
            writer.Write(buffer is not null);
            buffer?.Save(writer);
        }
    }

    public void Load(BinaryReader reader)
    {
        if (reader.ReadString() != Magic) throw new InvalidDataException("the checkpoint holds no DOT momentum buffers (it was written by a run without `dot`)");
        int count = reader.ReadInt32();
        if (count != 0 && count != _parameters.Length)
            throw new InvalidDataException($"the checkpoint's DOT buffers are for {count} parameters, this run trains {_parameters.Length}");
        Dispose();
        (_taskBuffers, _distillationBuffers) = (new Tensor?[count], new Tensor?[count]);
        for (int i = 0; i < 2 * count; i++)
        {
            if (!reader.ReadBoolean()) continue;
            var buffer = zeros_like(_parameters[i % count]).DetachFromDisposeScope();
            buffer.Load(reader);
            if (i < count) _taskBuffers[i] = buffer;
            else _distillationBuffers[i - count] = buffer;
        }
    }

    public void Dispose()
    {
        foreach (var buffer in _taskBuffers.Concat(_distillationBuffers)) buffer?.Dispose();
        (_taskBuffers, _distillationBuffers) = ([], []);
    }
}
