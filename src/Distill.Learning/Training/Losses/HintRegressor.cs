using Distill.Learning.Models;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Distill.Learning.Training;

/// <summary>
/// FitNet's regressor from the student's guided layer to the teacher's hint, as RepDistiller's ConvReg builds it: a
/// convolution to the teacher's channels (1x1 when the maps are of one size; 3x3 with stride 2 when the student's is
/// twice the teacher's; otherwise a kernel of 1 + the size difference), batch norm and ReLU (AB's connector leaves
/// the ReLU out: its use_relu=False).
/// </summary>
public sealed class HintRegressor : Module<Tensor, Tensor>
{
    private readonly RoutedConv2d conv;
    private readonly BatchNorm2d bn;
    private readonly bool _relu;

    public HintRegressor(long[] student, long[] teacher, bool relu = true) : base(nameof(HintRegressor))
    {
        _relu = relu;
        if (Problem(student, teacher) is { } problem) throw new ArgumentException(problem);
        var (sC, sH, tC, tH) = (student[0], student[1], teacher[0], teacher[1]);
        conv = sH == 2 * tH ? new RoutedConv2d(sC, tC, 3, stride: 2, padding: 1) : new RoutedConv2d(sC, tC, 1 + sH - tH);
        bn = BatchNorm2d(tC);
        RegisterComponents();
    }

    /// <summary>Why no regressor maps these C x H x W shapes onto each other (square maps, the student's no smaller); null when one does.</summary>
    public static string? Problem(long[] student, long[] teacher) =>
        student.Length != 3 || teacher.Length != 3 ? "a hint needs feature maps in both models, not vectors"
        : student[1] != student[2] || teacher[1] != teacher[2] ? "a hint needs square feature maps"
        : student[1] < teacher[1] ? $"the student's map ({student[1]}x{student[2]}) is smaller than the teacher's ({teacher[1]}x{teacher[2]}); the regressor only shrinks"
        : null;

    public override Tensor forward(Tensor x)
    {
        using var projected = conv.call(x);
        return _relu ? Platform.BatchNormRelu.Apply(bn, projected) : bn.call(projected);
    }
}
