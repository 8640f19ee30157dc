using Distill.Learning.Models;
using static TorchSharp.torch;

namespace Distill.Learning.Training;

/// <summary>
/// FitNet (Romero et al., "FitNets: Hints for Thin Deep Nets", ICLR 2015), `loss: fitnet`: the mean squared error
/// between the teacher's hint (its feature map at the point) and the regressed output of the student's guided layer
/// (the same point), the regressor (<see cref="HintRegressor"/>) trained with the student.
/// </summary>
public sealed class HintTerm(string point) : IRepresentationTerm
{
    private HintRegressor? _regressor;

    public IReadOnlyList<string> Points { get; } = [point];

    public nn.Module? Connector => _regressor;

    public void Connect(ConnectorContext context)
    {
        _regressor?.Dispose();
        manual_seed(context.Seed);
        _regressor = new HintRegressor(context.Student[Points[0]], context.Teacher[Points[0]]);
    }

    public Tensor Loss(ModelOutputs student, ModelOutputs teacher, TrainingBatch batch)
    {
        var regressor = _regressor ?? throw new InvalidOperationException("the hint's regressor is built by Connect before the first step");
        using var scope = NewDisposeScope();
        return nn.functional.mse_loss(regressor.call(student[Points[0]]), teacher[Points[0]]).MoveToOuterDisposeScope();
    }
}
