using Distill.Learning.Models;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Distill.Learning.Training;

/// <summary>
/// Curriculum temperature for knowledge distillation (Li et al., AAAI 2023), `loss: ctkd`, with the authors' global
/// temperature: T = minimum + range * sigmoid(theta), theta a parameter trained with the student through a gradient
/// reversal, so the temperature climbs the KD loss the student descends. Loss = weight * T^2 KL(p_t(T) || p_s(T))
/// (batch mean) + ceWeight * CE. The reversal's strength follows <see cref="CurriculumTemperature"/> by epoch.
/// </summary>
public sealed class CurriculumTemperatureLoss(CurriculumTemperature curriculum, double weight, double crossEntropyWeight)
    : LogitDistillationLoss
{
    public override double TaskWeight => crossEntropyWeight;

    private LearnedTemperature? _temperature;

    public override nn.Module? Connector => _temperature;

    /// <summary>The temperature now (as the last step left it); null before <see cref="Connect"/>.</summary>
    public double? Temperature
    {
        get
        {
            if (_temperature is null) return null;
            using var noGrad = no_grad();
            using var temperature = _temperature.At(1, curriculum).to(ScalarType.Float64);
            return temperature.item<double>();
        }
    }

    public override void Connect(ConnectorContext context)
    {
        _temperature?.Dispose();
        _temperature = new LearnedTemperature();
    }

    public override Tensor Loss(ModelOutputs student, ModelOutputs teacher, TrainingBatch batch) =>
        Loss(student.Logits, teacher.Logits, batch.Labels, curriculum.Reversal(batch.Epoch));

    /// <summary>The loss with the first epoch's reversal (the value and the student's gradient do not depend on it).</summary>
    public override Tensor Loss(Tensor studentLogits, Tensor teacherLogits, Tensor labels) =>
        Loss(studentLogits, teacherLogits, labels, curriculum.Reversal(0));

    /// <summary>The loss, the temperature's gradient multiplied by <paramref name="reversal"/> (negative: reversed).</summary>
    public Tensor Loss(Tensor studentLogits, Tensor teacherLogits, Tensor labels, double reversal)
    {
        var module = _temperature ?? throw new InvalidOperationException("CTKD's temperature is built by Connect before the first step");
        using var scope = NewDisposeScope();
        var temperature = module.At(reversal, curriculum).to(studentLogits.dtype);
        var kd = Divergences.KullbackLeibler(
            nn.functional.log_softmax(TermLogits(teacherLogits).div(temperature), 1),
            nn.functional.log_softmax(TermLogits(studentLogits).div(temperature), 1)).mul(temperature.square());
        var loss = kd.mul(weight);
        if (crossEntropyWeight > 0) loss = loss.add(nn.functional.cross_entropy(studentLogits, labels).mul(crossEntropyWeight));
        return loss.MoveToOuterDisposeScope();
    }
}

/// <summary>
/// CTKD's curriculum: the range the temperature moves in, and the gradient reversal's strength by epoch, which grows
/// along a half cosine from 0 to <see cref="MaxReversal"/> over <see cref="Epochs"/> epochs (the authors' CosineDecay
/// from decay_max 0 to decay_min -1 over decay_loops 10, read at epochs counted from 1).
/// </summary>
public sealed record CurriculumTemperature(double Minimum = 1, double Range = 20, double MaxReversal = 1, int Epochs = 10)
{
    /// <summary>The factor the temperature's gradient is multiplied by in the 0-based <paramref name="epoch"/>.</summary>
    public double Reversal(int epoch)
    {
        int i = Math.Clamp(epoch + 1, 0, Epochs);
        return -MaxReversal * (1 - (Math.Cos(i * Math.PI / Epochs) + 1) * 0.5);
    }
}

/// <summary>CTKD's global temperature: one parameter theta, started at 1 as the authors' Global_T starts it.</summary>
public sealed class LearnedTemperature : nn.Module
{
    private readonly Parameter global_T;

    public LearnedTemperature() : base(nameof(LearnedTemperature))
    {
        global_T = new Parameter(ones(1));
        RegisterComponents();
    }

    /// <summary>
    /// minimum + range * sigmoid(theta) as a scalar, theta's gradient multiplied by <paramref name="reversal"/>:
    /// theta + reversal (theta - theta) with the second theta detached is theta exactly, its gradient reversal.
    /// </summary>
    public Tensor At(double reversal, CurriculumTemperature curriculum)
    {
        using var scope = NewDisposeScope();
        var fixedPart = global_T.detach();
        var reversed = fixedPart.add(global_T.sub(fixedPart).mul(reversal));
        return reversed.sigmoid().mul(curriculum.Range).add(curriculum.Minimum).reshape([]).MoveToOuterDisposeScope();
    }
}
