using System.Text.Json;
using System.Text.Json.Nodes;
using Distill.Learning.Export;
using Distill.Learning.Models;
using Distill.Pipelines.Catalogue;
using Distill.Pipelines;
using Distill.Runs;
using Distill.Stages.Data;
using Distill.Stages.Engine;
using Distill.Stages.Models;

namespace Distill.Stages.Training;

/// <summary>
/// outputs/model.json: everything needed to use a trained model's weights without the pipeline that made them (the
/// network to build, the classes it predicts, the input it expects and how to standardise it), and where it came from.
/// tools/pytorch-reference/distill_models.py's <c>load(folder)</c> builds the PyTorch twin from it.
/// </summary>
public sealed record ModelCard(
    int Format,
    ModelCardArchitecture Model,
    IReadOnlyList<string> Classes,
    ModelCardInput Input,
    ModelCardStandardisation Standardisation,
    ModelCardOrigin Origin,
    IReadOnlyDictionary<string, double> Metrics,
    IReadOnlyDictionary<string, string> Weights)
{
    public const string FileName = "model.json";

    /// <summary>Raised when a field changes meaning; readers refuse a format they do not know.</summary>
    public const int CurrentFormat = 1;

    /// <summary>The card of the model a `train` or `distill` stage produced from <paramref name="dataset"/> (timings left out: the card is an output, hashed, and must not differ between identical runs).</summary>
    public static ModelCard Describe(StageContext context, PipelineDataset dataset, IReadOnlyDictionary<string, double> metrics,
        IReadOnlyDictionary<string, string> weights)
    {
        var spec = ModelSpec.Of(context.Pipeline, context.Stage.Model!);
        var train = dataset.Prepared.Train;
        var statistics = dataset.Prepared.Statistics;
        return new ModelCard(
            CurrentFormat,
            new ModelCardArchitecture(spec.Architecture.Spec.Name, JsonNode.Parse(CanonicalJson.Write(OwnKeys(spec)))!.AsObject()),
            dataset.Prepared.ClassNames,
            new ModelCardInput(train.Channels, train.Height, train.Width, "NCHW float32, pixels divided by 255 (values in [0, 1])"),
            new ModelCardStandardisation(statistics.Mean, statistics.Std,
                "(x - mean[c]) / std[c] per channel c, after scaling to [0, 1]; " +
                (statistics.Given ? "mean and std set by the dataset's standardisation key" : "mean and std of the training split")),
            new ModelCardOrigin(context.Stage.Id, context.Stage.Kind, context.Directory.Key, context.Stage.Dataset!, dataset.Fingerprint),
            metrics.Where(kv => !MetricNames.IsTiming(kv.Key)).ToDictionary(kv => kv.Key, kv => kv.Value),
            weights);
    }

    /// <summary>The input <see cref="Outputs.Onnx"/> takes: this card's image shape, classes and standardisation.</summary>
    public OnnxInput ToOnnxInput() => new(Input.Channels, Input.Height, Input.Width, Classes.Count, Standardisation.Mean, Standardisation.Std);

    /// <summary>What an ONNX consumer reads from the model itself (InferenceSession.ModelMetadata.CustomMetadataMap): classes as a JSON array, origin.</summary>
    public IReadOnlyDictionary<string, string> OnnxMetadata() => new Dictionary<string, string>
    {
        ["classes"] = JsonSerializer.Serialize(Classes),
        ["architecture"] = Model.Architecture,
        ["stage"] = Origin.Stage,
        ["key"] = Origin.Key,
        ["dataset-fingerprint"] = Origin.DatasetFingerprint,
    };

    /// <summary>The architecture's own keys, defaults filled in by the binder (the entry's `architecture:` itself is the card's name field).</summary>
    private static Dictionary<string, object> OwnKeys(ModelSpec spec) =>
        spec.Architecture.Spec.Parameters.Where(p => spec.Keys.ContainsKey(p.Name)).ToDictionary(p => p.Name, p => spec.Keys[p.Name]);

    public void Write(StageDirectory stage) => AtomicFile.WriteJson(stage.OutputPath(FileName), this);

    /// <summary>The card in an outputs folder; an error names the folder when it has none or one of another format.</summary>
    public static ModelCard Read(string folder)
    {
        var path = Path.Combine(folder, FileName);
        if (!File.Exists(path)) throw new FileNotFoundException($"{folder} has no {FileName}: not the outputs of a train or distill stage", path);
        var card = JsonSerializer.Deserialize<ModelCard>(File.ReadAllBytes(path), RunJson.Options)
            ?? throw new InvalidDataException($"{path} is empty");
        if (card.Format != CurrentFormat) throw new InvalidDataException($"{path} has format {card.Format}; this Distill reads {CurrentFormat}");
        return card;
    }

    /// <summary>The untrained network the card describes, from <paramref name="catalogue"/>'s architectures.</summary>
    public ClassifierNet CreateModel(StageCatalogue catalogue)
    {
        var architecture = catalogue.Architecture(Model.Architecture) as Architecture
            ?? throw new InvalidDataException($"model.json names architecture '{Model.Architecture}', which this build does not have");
        using var keys = JsonDocument.Parse(Model.Parameters.ToJsonString());
        return architecture.Create(ResolvedPipelineJson.ReadParameters(keys.RootElement), Input.Channels, Input.Height, Input.Width, Classes.Count);
    }
}

/// <summary>The architecture's name in the catalogue and its keys, as a pipeline's `models:` entry gives them.</summary>
public sealed record ModelCardArchitecture(string Architecture, JsonObject Parameters);

/// <summary>The shape of one input image and the scaling applied before standardisation.</summary>
public sealed record ModelCardInput(int Channels, int Height, int Width, string Scaling);

/// <summary>Per-channel mean and standard deviation the network's inputs are standardised with.</summary>
public sealed record ModelCardStandardisation(IReadOnlyList<float> Mean, IReadOnlyList<float> Std, string Formula);

/// <summary>The stage and data the model came from: its store key and the source data's fingerprint.</summary>
public sealed record ModelCardOrigin(string Stage, string Kind, string Key, string Dataset, string DatasetFingerprint);
