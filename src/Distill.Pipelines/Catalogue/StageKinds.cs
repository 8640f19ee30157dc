namespace Distill.Pipelines.Catalogue;

/// <summary>The stage kinds the format knows: the single source for loader, schema and docs.</summary>
public static class StageKinds
{
    public const string Train = "train";
    public const string Distill = "distill";
    public const string CacheLogits = "cache-logits";
    public const string ImportLogits = "import-logits";
    public const string Calibrate = "calibrate";
    public const string Project = "project";
    public const string Report = "report";

    /// <summary>Keys every stage may have besides its kind's parameters.</summary>
    public static readonly IReadOnlyList<ParameterSpec> CommonKeys =
    [
        P.Enum("kind", null, "What the stage does.", Train, Distill, CacheLogits, ImportLogits, Calibrate, Project, Report) with { Required = true },
        new() { Name = "matrix", Type = ParameterType.Map, Description = "Expands the stage into one stage per combination: variable -> list of values, referenced as ${variable}." },
        P.Str("id", "Id template of each expanded stage (matrix stages only), e.g. \"student-T${temperature}\"; default: base name plus -<variable><value> per variable."),
        new() { Name = "seeds", Type = ParameterType.NumberList, Description = "Replicate seeds, e.g. [1, 2, 3]: the stage is repeated once per seed (one more matrix variable, ${seed}, ids ending in -seed<N>); stages with the same seed share their random streams, so a hard-target and a smoothed run of one seed differ only in alpha." },
        new() { Name = "inputs", Type = ParameterType.Map, Description = "Role -> stage id or list of stage ids this stage reads; a matrix stage's base name means all of its stages; \"*\" means every stage except report stages." },
        P.Str("description", "Free text for people; ignored by the program.", affectsResult: false),
    ];

    /// <summary>Keys naming the dataset and model of training stages.</summary>
    public static readonly IReadOnlyList<ParameterSpec> ReferenceKeys =
    [
        P.Str("dataset", "Name of an entry under 'datasets'.", required: true),
        P.Str("model", "Name of an entry under 'models'.", required: true),
    ];

    private static readonly ParameterSpec[] Training =
    [
        P.Int("epochs", 5, "Training epochs.", min: 1),
        P.Int("batch-size", 128, "Training mini-batch size.", min: 1),
        P.Num("lr", 0.1, "Initial learning rate (SGD).", min: 0, exMin: true),
        P.Num("momentum", 0.9, "SGD momentum.", min: 0, max: 1, exMax: true),
        P.Bool("nesterov", true, "Nesterov momentum."),
        P.Num("weight-decay", 5e-4, "L2 weight decay.", min: 0),
        P.Enum("schedule", "multistep", "Learning-rate schedule.", "multistep", "cosine", "constant"),
        new()
        {
            Name = "milestones", Type = ParameterType.NumberList, Default = new List<object> { 0.5, 0.75 },
            Description = "Multistep schedule: fractions of training at which the rate is multiplied by lr-decay.",
            Minimum = 0, ExclusiveMinimum = true, Maximum = 1, ExclusiveMaximum = true, Ascending = true,
        },
        P.Num("lr-decay", 0.1, "Multistep schedule: factor applied at each milestone.", min: 0, exMin: true, max: 1),
        P.Num("clip-grad-norm", 0, "Clip the gradient's global norm to this value; 0 turns clipping off.", min: 0),
        P.Num("checkpoint-minutes", 5, "Minutes of work between mid-epoch checkpoints.", min: 0, exMin: true, affectsResult: false),
        P.Int("eval-batch-size", 512, "Mini-batch size for evaluation.", min: 1, affectsResult: false),
    ];

    private static readonly ParameterSpec ViewsSpec =
        P.Int("views", 1, "Deterministic augmented views per training example (1 = the plain image only).", min: 1);

    public static readonly StageKindSpec TrainSpec = new(Train,
        "Trains a model with cross-entropy against label-smoothed targets.", UsesDatasetAndModel: true,
        [
            .. Training,
            P.Num("alpha", 0, "Label smoothing: target (1 - alpha) on the true class plus alpha / K on every class.", min: 0, max: 1, exMax: true),
            P.Map("mutual-information", "Per-epoch estimate of the mutual information between input index and logit difference.", optional: false,
                P.Bool("enabled", false, "Run the probe at the end of every epoch."),
                P.Classes("classes", 2, "The two classes (names or 0-based indices) whose logit difference is measured.", 0, 1),
                P.Int("examples-per-class", 300, "Training examples taken from each of the two classes.", min: 2),
                P.Int("augmentations", 5, "Random augmentations per example.", min: 2)),
            P.Bool("tensorboard", true, "Also write TensorBoard event files.", affectsResult: false),
            P.Map("weights", "Import the model instead of training it: a state_dict saved by PyTorch (`format: pytorch`, torch.save) or a `.safetensors` file, with the parameter names of tools/pytorch-reference/distill_models.py. The stage evaluates and exports it like a trained one; the training keys are then unused. The file's SHA-256 is part of the stage key.", optional: true,
                P.Enum("format", null, "pytorch (a torch.save state_dict) or safetensors.", "pytorch", "safetensors") with { Required = true },
                P.Str("path", "The weights file; relative paths are relative to the pipeline file.", required: true) with { HashesFiles = true }),
        ],
        []);

    public static readonly StageKindSpec DistillSpec = new(Distill,
        "Trains a student on a teacher's temperature-softened outputs.", UsesDatasetAndModel: true,
        [
            .. Training,
            P.Num("temperature", 1, "Teacher temperature T: targets are softmax(z / T).", min: 0, exMin: true),
            P.Num("student-temperature", 1, "Student temperature T_s in the teacher term H(p_t(T), softmax(z_s / T_s)): 1 as in the paper; Hinton et al.'s form sets it to T (`${temperature}` in a matrix), usually with `t-squared`. `kd` only.", min: 0, exMin: true),
            P.Num("beta", 1, "Weight of the teacher term; (1 - beta) weighs the hard-label term.", min: 0, max: 1),
            P.Bool("t-squared", false, "Multiply the teacher term by T^2 (Hinton et al.)."),
            P.Variant("loss", "kd", "The distillation loss, by name; a map `{ name: ..., <its keys> }` sets its own keys.",
                new VariantSpec("kd", "Hinton et al. (2015): the teacher's targets softened at `temperature`, the student read at `student-temperature`, weighed by `beta` against the labels, times T^2 with `t-squared`.", []),
                new VariantSpec("dkd", "Decoupled KD (Zhao et al. 2022): T^2 (alpha TCKD + beta NCKD) at `temperature`, plus ce-weight times the cross-entropy with the labels (the stage's own `beta`, `t-squared` and `student-temperature` do not apply).",
                [
                    P.Num("alpha", 1, "Weight of the target-class term (TCKD).", min: 0),
                    P.Num("beta", 8, "Weight of the non-target-class term (NCKD); the paper uses 8 on CIFAR-100.", min: 0),
                    P.Num("ce-weight", 1, "Weight of the cross-entropy with the labels.", min: 0),
                ])),
            P.Enum("teacher-source", "cache", "Read the teacher's logits from a cache-logits stage, or run a train stage live.", "cache", "live"),
            ViewsSpec,
        ],
        [new InputRoleSpec("teacher", "A cache-logits or import-logits stage (teacher-source: cache) or a train stage (teacher-source: live).", [CacheLogits, ImportLogits, Train], 1, 1, LeadsToModel: true)]);

    public static readonly StageKindSpec CacheLogitsSpec = new(CacheLogits,
        "Runs a trained teacher over dataset splits and stores its logits.", UsesDatasetAndModel: false,
        [
            new()
            {
                Name = "splits", Type = ParameterType.EnumList, Values = ["train", "validation", "test"], MinItems = 1,
                Default = new List<object> { "train", "validation", "test" }, Description = "Dataset splits to cache.",
            },
            ViewsSpec,
            P.Int("batch-size", 512, "Mini-batch size for inference.", min: 1, affectsResult: false),
        ],
        [new InputRoleSpec("teacher", "The train or distill stage whose model is run (a teacher, or a student to study).", [Train, Distill], 1, 1, LeadsToModel: true)]);

    public static readonly StageKindSpec ImportLogitsSpec = new(ImportLogits,
        "Takes a teacher's logits computed elsewhere (.npy files, e.g. from a large PyTorch model) and checks them against the dataset, for distill and calibrate stages to read like a cache.",
        UsesDatasetAndModel: false,
        [
            P.Str("path", "Folder holding logits-<split>.npy (float32, examples x classes), labels-<split>.npy and indices-<split>.npy (integers, one per example: its label and its index in the published split; the training split for train and validation) for every split; relative paths are relative to the pipeline file. Its files' SHA-256 are part of the stage key.", required: true) with { HashesFiles = true },
            new()
            {
                Name = "splits", Type = ParameterType.EnumList, Values = ["train", "validation", "test"], MinItems = 1,
                Default = new List<object> { "train", "validation", "test" }, Description = "Splits to import (a distill stage reads train; calibrate reads its fit and eval splits).",
            },
            P.Num("alpha", 0, "Label smoothing the external teacher was trained with, for the report's grouping.", min: 0, max: 1, exMax: true),
        ],
        [], UsesDatasetOnly: true);

    public static readonly StageKindSpec CalibrateSpec = new(Calibrate,
        "Measures calibration (ECE, NLL, reliability diagram) and fits temperature scaling.", UsesDatasetAndModel: false,
        [
            P.Int("bins", 15, "Equal-width confidence bins for ECE and the reliability diagram.", min: 2),
            P.Enum("fit-split", "validation", "Split the scaling temperature is fitted on (never test).", "train", "validation"),
            P.Enum("eval-split", "test", "Split calibration is measured on.", "train", "validation", "test"),
        ],
        [new InputRoleSpec("logits", "The cache-logits or import-logits stage holding the model's logits.", [CacheLogits, ImportLogits], 1, 1, LeadsToModel: true)]);

    public static readonly StageKindSpec ProjectSpec = new(Project,
        "Projects penultimate-layer activations onto the plane of three class templates.", UsesDatasetAndModel: false,
        [
            P.Classes("classes", 3, "The three classes (names or 0-based indices) whose templates span the plane.", 0, 1, 2),
            P.Int("examples-per-class", 100, "Examples drawn from each class per split.", min: 1),
        ],
        [new InputRoleSpec("models", "One or two train or distill stages (e.g. without / with label smoothing) on the same dataset.", [Train, Distill], 1, 2)]);

    public static readonly StageKindSpec ReportSpec = new(Report,
        "Gathers the results of the stages it reads into one HTML and Markdown report.", UsesDatasetAndModel: false,
        [
            P.Str("title", "Report title; default: the pipeline name."),
            P.Str("compare-with", "Name of an earlier run under the same runs root: the report adds a section with the stages whose settings or final metrics differ from it (as `distill compare`), read when the report is made."),
        ],
        [], AnyInputRoles: true, ResultNamesPipeline: true);

    public static readonly IReadOnlyList<StageKindSpec> All = [TrainSpec, DistillSpec, CacheLogitsSpec, ImportLogitsSpec, CalibrateSpec, ProjectSpec, ReportSpec];

    public static StageKindSpec? Find(string? name) => All.FirstOrDefault(k => k.Name == name);
}
