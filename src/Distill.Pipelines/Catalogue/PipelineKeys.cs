namespace Distill.Pipelines.Catalogue;

/// <summary>Top-level keys of a pipeline file.</summary>
public static class PipelineKeys
{
    public const string NamePattern = "^[a-z0-9][a-z0-9-]*$";

    /// <summary>Top-level keys starting with this prefix are ignored: a place to define YAML anchors.</summary>
    public const string ExtensionPrefix = "x-";

    public static readonly IReadOnlyList<ParameterSpec> Scalars =
    [
        P.Str("name", "Pipeline name: lowercase letters, digits and hyphens.", pattern: NamePattern, required: true),
        P.Str("description", "Free text for people; ignored by the program.", affectsResult: false),
        P.Int("seed", 0, "Root of all randomness (data order, augmentation, initialisation, validation split).", min: 0),
        P.Enum("device", "auto", "Where tensors live: auto picks CUDA when available.", "auto", "cpu", "cuda"),
        P.Int("threads", 0, "CPU threads for tensor operations; 0 keeps the library default.", min: 0),
        StageResources.Spec with { Description = "Defaults of every stage's `resources:` (what a batch scheduler gives a stage; see the stage key)." },
    ];

    /// <summary>The structural keys (maps of named entries), described for docs and schema.</summary>
    public static readonly IReadOnlyList<(string Name, string Description, bool Required)> Sections =
    [
        ("datasets", "Named datasets: name -> dataset definition.", false),
        ("models", "Named models: name -> model definition.", false),
        ("stages", "Named stages: name -> stage definition; run in dependency order.", true),
    ];
}
