namespace Distill.Pipelines.Catalogue;

/// <summary>A dataset entry's keys (see <see cref="DatasetKinds"/>); kind-specific keys are null where the kind has none.</summary>
public sealed record DatasetParameters(
    int Validation, int? TrainSubset, int? TestSubset, bool StratifiedSubset, int CropPadding, bool Flip,
    bool Download, string? Labels, int? ImageSize)
{
    public static DatasetParameters From(ParameterSet p)
    {
        var subset = p.TryGetMap("subset");
        var augmentation = p.GetMap("augmentation");
        return new(p.GetInt("validation"), subset?.TryGetInt("train"), subset?.TryGetInt("test"), subset?.TryGetString("mode") == "stratified",
            augmentation.GetInt("crop-padding"), augmentation.GetBool("flip"),
            p.ContainsKey("download") && p.GetBool("download"), p.TryGetString("labels"), p.TryGetInt("image-size"));
    }
}

/// <summary>A model entry's keys, with the catalogue's defaults for an architecture that has none (AlexNet).</summary>
public sealed record ModelParameters(string Architecture, int Depth, int Width)
{
    public static ModelParameters From(ModelDefinition model) => new(
        model.Architecture,
        model.Parameters.TryGetInt("depth") ?? Architectures.DefaultInt(Architectures.ResNet, "depth"),
        model.Parameters.TryGetInt("width") ?? Architectures.DefaultInt(Architectures.ResNet, "width"));
}
