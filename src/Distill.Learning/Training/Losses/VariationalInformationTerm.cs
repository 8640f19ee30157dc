using Distill.Learning.Models;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Distill.Learning.Training;

/// <summary>
/// VID (Ahn et al., "Variational Information Distillation for Knowledge Transfer", CVPR 2019), `loss: vid`, as
/// RepDistiller's VIDLoss (the authors' code): at each feature point the larger map is average-pooled to the smaller's
/// size, a regressor (<see cref="VariationalRegressor"/>) predicts the teacher's map from the student's as the mean of a
/// Gaussian whose per-channel variance is learned, and the term is the mean negative log-likelihood of the teacher's
/// map, 0.5 ((mu - t)^2 / var + log var), summed over the points. Regressors and variances train with the student.
/// </summary>
public sealed class VariationalInformationTerm(IReadOnlyList<string> points, double initialVariance) : IRepresentationTerm
{
    private VariationalRegressors? _regressors;

    public IReadOnlyList<string> Points { get; } = points;

    public nn.Module? Connector => _regressors;

    public void Connect(ConnectorContext context)
    {
        _regressors?.Dispose();
        manual_seed(context.Seed);
        _regressors = new VariationalRegressors([.. Points.Select(p => (context.Student[p][0], context.Teacher[p][0]))], initialVariance);
    }

    /// <summary>Why VID cannot compare maps of these C x H x W shapes; null when it can.</summary>
    public static string? Problem(long[] student, long[] teacher) => SquareMaps.Problem("VID", student, teacher);

    public Tensor Loss(ModelOutputs student, ModelOutputs teacher, TrainingBatch batch)
    {
        var regressors = _regressors ?? throw new InvalidOperationException("VID's regressors are built by Connect before the first step");
        using var scope = NewDisposeScope();
        var total = Points.Select((p, i) => regressors[i].NegativeLogLikelihood(student[p], teacher[p].detach())).Aggregate((a, b) => a.add(b));
        return total.MoveToOuterDisposeScope();
    }
}

/// <summary>VID's regressors, one per feature point, in the order of the points.</summary>
public sealed class VariationalRegressors : nn.Module
{
    private readonly ModuleList<VariationalRegressor> points;

    public VariationalRegressors(IReadOnlyList<(long Student, long Teacher)> channels, double initialVariance) : base(nameof(VariationalRegressors))
    {
        points = nn.ModuleList(channels.Select(c => new VariationalRegressor(c.Student, c.Teacher, initialVariance)).ToArray());
        RegisterComponents();
    }

    public VariationalRegressor this[int point] => points[point];
}

/// <summary>
/// One point's regressor, RepDistiller's VIDLoss: three 1x1 convolutions without bias (student channels to the
/// teacher's, the teacher's twice), ReLU between them, and the per-channel variance softplus(log_scale) + 1e-5, whose
/// log_scale starts where the variance is <c>initialVariance</c>.
/// </summary>
public sealed class VariationalRegressor : nn.Module
{
    private const double Epsilon = 1e-5;

    private readonly RoutedConv2d conv1;
    private readonly RoutedConv2d conv2;
    private readonly RoutedConv2d conv3;
    private readonly Parameter log_scale;

    public VariationalRegressor(long studentChannels, long teacherChannels, double initialVariance) : base(nameof(VariationalRegressor))
    {
        conv1 = new RoutedConv2d(studentChannels, teacherChannels, 1, bias: false);
        conv2 = new RoutedConv2d(teacherChannels, teacherChannels, 1, bias: false);
        conv3 = new RoutedConv2d(teacherChannels, teacherChannels, 1, bias: false);
        log_scale = new Parameter(ones(teacherChannels).mul(Math.Log(Math.Exp(initialVariance - Epsilon) - 1)));
        RegisterComponents();
    }

    public Tensor NegativeLogLikelihood(Tensor student, Tensor teacher)
    {
        using var scope = NewDisposeScope();
        var (input, target) = SquareMaps.AtCommonSize(student, teacher);
        var mean = conv3.call(nn.functional.relu(conv2.call(nn.functional.relu(conv1.call(input)))));
        var variance = log_scale.exp().add(1).log().add(Epsilon).view(1, -1, 1, 1);
        return mean.sub(target).square().div(variance).add(variance.log()).mul(0.5).mean().MoveToOuterDisposeScope();
    }
}
