using Distill.Learning.Models;
using Distill.Learning.Platform;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Distill.Learning.Training;

/// <summary>
/// FT (Kim, Park, Kwak, "Paraphrasing Complex Network: Network Compression via Factor Transfer", NeurIPS 2018),
/// `loss: ft`, as RepDistiller's FactorTransfer, Paraphraser and Translator (after the authors' code): a paraphraser,
/// trained first to reconstruct the teacher's map at one point and then frozen (<see cref="IConnectorPretraining"/>),
/// encodes that map into the teacher's factor; a translator, which trains with the student, encodes the student's map
/// into the student's factor. With factor(f) = the per-example L2-normalised channel mean of f^2 (the larger map
/// average-pooled to the smaller's size first), the term is the mean absolute difference of the two factors.
/// </summary>
public sealed class FactorTransferTerm(string point, double rate, int pretrainingEpochs, double pretrainingLearningRate)
    : IRepresentationTerm, IConnectorPretraining
{
    private FactorTransferConnector? _connector;

    public IReadOnlyList<string> Points { get; } = [point];

    public nn.Module? Connector => _connector;

    public IConnectorPretraining? Pretraining => pretrainingEpochs > 0 ? this : null;

    /// <summary>Why FT cannot compare maps of these C x H x W shapes; null when it can.</summary>
    public static string? Problem(long[] student, long[] teacher) =>
        SquareMaps.Problem("FT", student, teacher);

    public void Connect(ConnectorContext context)
    {
        _connector?.Dispose();
        manual_seed(context.Seed);
        _connector = new FactorTransferConnector(context.Student[point][0], context.Teacher[point][0], rate);
    }

    private FactorTransferConnector Built => _connector ?? throw new InvalidOperationException("FT's paraphraser and translator are built by Connect before the first step");

    public Tensor Loss(ModelOutputs student, ModelOutputs teacher, TrainingBatch batch)
    {
        var connector = Built;
        using var scope = NewDisposeScope();
        Tensor teacherFactor;
        using (no_grad()) teacherFactor = connector.Paraphraser.Encode(teacher[point]);
        var (s, t) = SquareMaps.AtCommonSize(connector.Translator.call(student[point]), teacherFactor);
        return Factor(s).sub(Factor(t)).abs().mean().MoveToOuterDisposeScope();
    }

    /// <summary>RepDistiller's factor with p1 = 2: each example's channel mean of the squared map, L2-normalised.</summary>
    public static Tensor Factor(Tensor map)
    {
        using var scope = NewDisposeScope();
        var mean = map.pow(2).mean([1]).reshape(map.shape[0], -1);
        return nn.functional.normalize(mean, p: 2, dim: 1).MoveToOuterDisposeScope();
    }

    IReadOnlyCollection<string> IConnectorPretraining.TeacherPoints => Points;

    IEnumerable<Parameter> IConnectorPretraining.Parameters => Built.Paraphraser.parameters();

    int IConnectorPretraining.Epochs => pretrainingEpochs;

    double IConnectorPretraining.LearningRate => pretrainingLearningRate;

    /// <summary>The paraphraser's reconstruction of the teacher's map, mean squared error (RepDistiller's init, nn.MSELoss).</summary>
    Tensor IConnectorPretraining.Loss(ModelOutputs teacher)
    {
        using var scope = NewDisposeScope();
        var map = teacher[point].detach();
        return nn.functional.mse_loss(Built.Paraphraser.call(map), map).MoveToOuterDisposeScope();
    }
}

/// <summary>FT's two connectors: the paraphraser of the teacher's map and the translator of the student's.</summary>
public sealed class FactorTransferConnector : nn.Module
{
    private readonly Paraphraser paraphraser;
    private readonly Translator translator;

    public FactorTransferConnector(long studentChannels, long teacherChannels, double rate) : base(nameof(FactorTransferConnector))
    {
        long factorChannels = Math.Max(1, (long)(teacherChannels * rate)); // RepDistiller's int(C * k), never none
        paraphraser = new Paraphraser(teacherChannels, factorChannels);
        translator = new Translator(studentChannels, factorChannels);
        RegisterComponents();
    }

    public Paraphraser Paraphraser => paraphraser;

    public Translator Translator => translator;
}

/// <summary>
/// RepDistiller's Paraphraser (use_bn=False, as FT builds it): an encoder of three 3x3 convolutions (the teacher's
/// channels, then the factor's twice) and a decoder of three 3x3 transposed convolutions back, each followed by a
/// leaky ReLU of slope 0.1. Its forward pass is the reconstruction; <see cref="Encode"/> gives the factor.
/// </summary>
public sealed class Paraphraser : nn.Module<Tensor, Tensor>
{
    private readonly RoutedConv2d encoder1, encoder2, encoder3;
    private readonly TransposedConv3x3 decoder1, decoder2, decoder3;

    public Paraphraser(long channels, long factorChannels) : base(nameof(Paraphraser))
    {
        encoder1 = new RoutedConv2d(channels, channels, 3, padding: 1);
        encoder2 = new RoutedConv2d(channels, factorChannels, 3, padding: 1);
        encoder3 = new RoutedConv2d(factorChannels, factorChannels, 3, padding: 1);
        decoder1 = new TransposedConv3x3(factorChannels, factorChannels);
        decoder2 = new TransposedConv3x3(factorChannels, channels);
        decoder3 = new TransposedConv3x3(channels, channels);
        RegisterComponents();
    }

    public Tensor Encode(Tensor map) => FactorLayers.Chain(map, encoder1, encoder2, encoder3);

    public override Tensor forward(Tensor map)
    {
        using var scope = NewDisposeScope();
        return FactorLayers.Chain(Encode(map), decoder1, decoder2, decoder3).MoveToOuterDisposeScope();
    }
}

/// <summary>
/// RepDistiller's Translator (use_bn=True): three 3x3 convolutions (the student's channels, then the factor's twice),
/// each followed by batch norm and a leaky ReLU of slope 0.1.
/// </summary>
public sealed class Translator : nn.Module<Tensor, Tensor>
{
    private readonly RoutedConv2d conv1, conv2, conv3;
    private readonly BatchNorm2d bn1, bn2, bn3;

    public Translator(long studentChannels, long factorChannels) : base(nameof(Translator))
    {
        conv1 = new RoutedConv2d(studentChannels, studentChannels, 3, padding: 1);
        bn1 = nn.BatchNorm2d(studentChannels);
        conv2 = new RoutedConv2d(studentChannels, factorChannels, 3, padding: 1);
        bn2 = nn.BatchNorm2d(factorChannels);
        conv3 = new RoutedConv2d(factorChannels, factorChannels, 3, padding: 1);
        bn3 = nn.BatchNorm2d(factorChannels);
        RegisterComponents();
    }

    public override Tensor forward(Tensor map)
    {
        using var scope = NewDisposeScope();
        var x = FactorLayers.LeakyRelu(bn1.call(conv1.call(map)));
        x = FactorLayers.LeakyRelu(bn2.call(conv2.call(x)));
        return FactorLayers.LeakyRelu(bn3.call(conv3.call(x))).MoveToOuterDisposeScope();
    }
}

/// <summary>
/// PyTorch's ConvTranspose2d with a 3x3 kernel, stride 1 and padding 1 (its parameters, names and initialisation), run as
/// the convolution it equals: the weight's two channel axes swapped and its kernel flipped, padding 1, on the kernel
/// <see cref="ConvolutionRouting"/> chooses, so it shares the convolutions' self-checked paths.
/// </summary>
public sealed class TransposedConv3x3 : nn.Module<Tensor, Tensor>
{
    private readonly Parameter weight;
    private readonly Parameter bias;

    public TransposedConv3x3(long inChannels, long outChannels) : base(nameof(TransposedConv3x3))
    {
        using var template = nn.ConvTranspose2d(inChannels, outChannels, 3, padding: 1);
        weight = new Parameter(template.weight!.detach().clone());
        bias = new Parameter(template.bias!.detach().clone());
        RegisterComponents();
    }

    public override Tensor forward(Tensor input)
    {
        using var flipped = weight.transpose(0, 1).flip(2, 3).contiguous();
        return RoutedConvolution.Apply(input, flipped, bias, stride: 1, padding: 1);
    }
}

/// <summary>The layer pattern FT's connectors share.</summary>
internal static class FactorLayers
{
    public static Tensor LeakyRelu(Tensor x) => nn.functional.leaky_relu(x, 0.1);

    /// <summary>Each layer followed by a leaky ReLU.</summary>
    public static Tensor Chain(Tensor input, params nn.Module<Tensor, Tensor>[] layers)
    {
        using var scope = NewDisposeScope();
        var x = input;
        foreach (var layer in layers) x = LeakyRelu(layer.call(x));
        return x.MoveToOuterDisposeScope();
    }
}
