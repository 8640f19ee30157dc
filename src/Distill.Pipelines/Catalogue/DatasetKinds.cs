namespace Distill.Pipelines.Catalogue;

/// <summary>The dataset kinds the format knows, with the class names used to check class lists.</summary>
public static class DatasetKinds
{
    public const string FashionMnist = "fashion-mnist";
    public const string Cifar10 = "cifar10";
    public const string Cifar100 = "cifar100";
    public const string ImageFolder = "image-folder";

    public const string NamePattern = "^[a-z0-9][a-z0-9-]*$";

    public static readonly ParameterSpec KindKey =
        P.Enum("kind", null, "Which dataset reader to use.", FashionMnist, Cifar10, Cifar100, ImageFolder) with { Required = true };

    private static ParameterSpec PathKey(string? @default) =>
        P.Str("path", @default is null
                ? "Root folder of the images: one sub-folder per class under train/ and test/. Relative paths are relative to the pipeline file."
                : $"Folder holding the data; default '{@default}'. Relative paths are relative to the pipeline file.",
            required: @default is null, @default: @default, affectsResult: false);

    private static readonly ParameterSpec[] Common =
    [
        P.Int("validation", 0, "Training examples carved off (deterministically, from the seed) into a validation split.", min: 0),
        P.Map("subset", "Use only part of the data (quick runs); absent means all of it.", optional: true,
            P.Int("train", null, "Total training examples kept (after the validation split is carved off); absent: all.", min: 1),
            P.Int("test", null, "Total test examples kept; absent: all.", min: 1),
            P.Enum("mode", "first-per-class", "first-per-class: the first examples of each class in file order; stratified: a seeded draw keeping class proportions.",
                "first-per-class", "stratified")),
        P.Map("augmentation", "Training-time augmentation; per-channel standardisation is always on.", optional: false,
            P.Int("crop-padding", 4, "Zero padding before the random crop back to the input size; 0 turns cropping off.", min: 0),
            P.Bool("flip", true, "Random horizontal flip.")),
    ];

    private static readonly ParameterSpec Download =
        P.Bool("download", false, "Download the official archive (checksum-verified) when it is missing.", affectsResult: false);

    public static readonly IReadOnlyList<string> FashionMnistClasses =
        ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"];

    public static readonly IReadOnlyList<string> Cifar10Classes =
        ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"];

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

    public static readonly IReadOnlyList<DatasetKindSpec> All =
    [
        new(FashionMnist, "Fashion-MNIST: 60k/10k 28x28 grayscale images, 10 classes (the four idx .gz files).",
            [KindKey, PathKey("/usr/share/datasets/fashion-mnist"), .. Common], 60_000, 10_000, _ => FashionMnistClasses),
        new(Cifar10, "CIFAR-10: 50k/10k 32x32 colour images, 10 classes (binary version).",
            [KindKey, PathKey("data/cifar-10"), Download, .. Common], 50_000, 10_000, _ => Cifar10Classes),
        new(Cifar100, "CIFAR-100: 50k/10k 32x32 colour images, 100 fine or 20 coarse classes (binary version).",
            [KindKey, PathKey("data/cifar-100"), Download,
             P.Enum("labels", "fine", "Which labels to learn: the 100 fine or the 20 coarse classes.", "fine", "coarse"), .. Common],
            50_000, 10_000, p => p.TryGetString("labels") == "coarse" ? Cifar100CoarseClasses : Cifar100FineClasses),
        new(ImageFolder, "Images in class folders (root/train/<class>/*, root/test/<class>/*), resized to a square.",
            [KindKey, PathKey(null), P.Int("image-size", 32, "Side in pixels images are resized to.", min: 8), .. Common],
            null, null, _ => null),
    ];

    public static DatasetKindSpec? Find(string? name) => All.FirstOrDefault(k => k.Name == name);

    /// <summary>Every key any dataset kind accepts (for "does not apply to this kind" messages).</summary>
    public static IReadOnlySet<string> AllKeys { get; } = All.SelectMany(k => k.Parameters).Select(p => p.Name).ToHashSet();
}
