using Distill.Learning.Data;
using Distill.Pipelines.Catalogue;

namespace Distill.Stages.Datasets;

/// <summary>`cifar100`: the binary version, fine or coarse labels (<see cref="CifarDataset"/>).</summary>
public sealed class Cifar100Kind() : DatasetKind<Cifar100Parameters>(Name, revision: 1,
    "CIFAR-100: 50k/10k 32x32 colour images, 100 fine or 20 coarse classes (binary version).", 50_000, 10_000)
{
    public const string Name = "cifar100";

    public static readonly IReadOnlyList<string> Cifar100FineClasses =
    [
        "apple", "aquarium_fish", "baby", "bear", "beaver", "bed", "bee", "beetle", "bicycle", "bottle",
        "bowl", "boy", "bridge", "bus", "butterfly", "camel", "can", "castle", "caterpillar", "cattle",
        "chair", "chimpanzee", "clock", "cloud", "cockroach", "couch", "crab", "crocodile", "cup", "dinosaur",
        "dolphin", "elephant", "flatfish", "forest", "fox", "girl", "hamster", "house", "kangaroo", "keyboard",
        "lamp", "lawn_mower", "leopard", "lion", "lizard", "lobster", "man", "maple_tree", "motorcycle", "mountain",
        "mouse", "mushroom", "oak_tree", "orange", "orchid", "otter", "palm_tree", "pear", "pickup_truck", "pine_tree",
        "plain", "plate", "poppy", "porcupine", "possum", "rabbit", "raccoon", "ray", "road", "rocket",
        "rose", "sea", "seal", "shark", "shrew", "skunk", "skyscraper", "snail", "snake", "spider",
        "squirrel", "streetcar", "sunflower", "sweet_pepper", "table", "tank", "telephone", "television", "tiger", "tractor",
        "train", "trout", "tulip", "turtle", "wardrobe", "whale", "willow_tree", "wolf", "woman", "worm",
    ];

    public static readonly IReadOnlyList<string> Cifar100CoarseClasses =
    [
        "aquatic_mammals", "fish", "flowers", "food_containers", "fruit_and_vegetables", "household_electrical_devices",
        "household_furniture", "insects", "large_carnivores", "large_man-made_outdoor_things", "large_natural_outdoor_scenes",
        "large_omnivores_and_herbivores", "medium_mammals", "non-insect_invertebrates", "people", "reptiles",
        "small_mammals", "trees", "vehicles_1", "vehicles_2",
    ];

    protected override IReadOnlyList<string> ClassNames(Cifar100Parameters p) =>
        p.Labels == CifarLabels.Coarse ? Cifar100CoarseClasses : Cifar100FineClasses;

    protected override (int Channels, int Height, int Width) ImageShape(Cifar100Parameters p) => (3, 32, 32);

    protected override IImageDataset Open(string path, Cifar100Parameters p) => new CifarDataset(new CifarOptions
    {
        Variant = CifarVariant.Cifar100,
        DataDirectory = path,
        Download = p.Download,
        Labels = p.Labels,
    });
}

/// <summary>A `cifar100` dataset's keys.</summary>
public sealed record Cifar100Parameters(
    [Key("path", "Folder holding the data. Relative paths are relative to the pipeline file; the run store fingerprints the data itself.", AffectsResult = false)] string Path = "data/cifar-100",
    [Key("download", CifarKeys.DownloadDescription, AffectsResult = false)] bool Download = false,
    [Key("labels", "Which labels to learn: the 100 fine or the 20 coarse classes.")] CifarLabels Labels = CifarLabels.Fine,
    DatasetSplitParameters Splits = null!) : IDatasetParameters;
