using TorchSharp;
using Distill.Learning.Platform;
using static TorchSharp.torch;

namespace Distill.Learning.Training;

/// <summary>
/// TorchSharp's SGD with the same update, operation for operation (so the same bits), and the same state-dict format,
/// but with every scalar operand held alive for the whole step, and float32 CPU parameters updated in one parallel
/// loop of Distill's (<see cref="SgdKernels"/>) that computes LibTorch's bits (checked at start-up by
/// <see cref="SgdSelfCheck"/>).
/// </summary>
/// <remarks>
/// TorchSharp 0.107's SGD passes its hyperparameters through implicit double-to-Scalar conversions. The temporary
/// Scalar is unreachable once its handle has been read, so a garbage collection during the native call can finalize it
/// while LibTorch still reads it: the stage then dies in <c>Scalar::toFloat</c> ("Expected false to be true",
/// c10/core/Scalar.h), rarely and only under allocation pressure from another thread. Here each Scalar is created once
/// per step and disposed after the last parameter, which keeps it reachable for as long as native code can use it.
/// The class is called SGD because TorchSharp writes the optimizer's type name into the state dict and checks it on
/// load: checkpoints written before this class existed resume, and so do those written after.
/// </remarks>
public sealed class SGD : TorchSharp.Modules.SGD
{
    public SGD(IEnumerable<TorchSharp.Modules.Parameter> parameters, double learningRate, double momentum, double weightDecay, bool nesterov)
        : base(parameters, learningRate, momentum, dampening: 0, weight_decay: weightDecay, nesterov: nesterov)
    {
    }

    public override Tensor step(Func<Tensor>? closure = null) => _step<ParamGroup>(group =>
    {
        var options = group.Options;
        double momentumValue = options.momentum!.Value;
        double weightDecayValue = options.weight_decay!.Value;
        bool nesterov = options.nesterov!.Value;
        double keptValue = 1 - options.dampening!.Value;
        double descentValue = options.maximize!.Value ? options.LearningRate!.Value : -options.LearningRate!.Value;
        using Scalar weightDecay = weightDecayValue.ToScalar();
        using Scalar momentum = momentumValue.ToScalar();
        using Scalar kept = keptValue.ToScalar();
        using Scalar descent = descentValue.ToScalar();
        // Float32 CPU parameters with a momentum buffer (or none needed) take one fused loop, where it gives LibTorch's
        // bits (SgdSelfCheck); the rest, and every parameter's first step (which creates its buffer), LibTorch's operations.
        var fused = new SgdUpdate(SgdKernels.Coefficients.Of(weightDecayValue, momentumValue, keptValue, descentValue, nesterov));

        foreach (var parameter in group.Parameters)
        {
            var state = (State)_state[parameter.Handle];
            var grad = parameter.grad;
            if (grad is null) continue;

            var buffer = state.momentum_buffer;
            if ((momentumValue == 0 || buffer is not null) && SgdUpdate.Fits(parameter, grad, momentumValue == 0 ? null : buffer)
                && SgdSelfCheck.Passed)
            {
                fused.Add(parameter, grad, momentumValue == 0 ? null : buffer);
                continue;
            }

            if (weightDecayValue != 0)
                grad = grad.add(parameter, alpha: weightDecay);

            if (momentumValue != 0)
            {
                if (buffer is null)
                    buffer = grad.clone().detach().DetachFromDisposeScope();
                else
                    buffer.mul_(momentum).add_(grad, alpha: kept);
                grad = nesterov ? grad.add(buffer, alpha: momentum) : buffer;
                state.momentum_buffer = buffer;
            }

            parameter.add_(grad, alpha: descent);
        }
        fused.Run();
    }, closure);
}
