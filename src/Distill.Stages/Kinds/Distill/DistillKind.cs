using Distill.Learning.Training;
using Distill.Pipelines;
using Distill.Pipelines.Catalogue;
using Distill.Pipelines.Graph;
using Distill.Stages.Engine;
using Distill.Stages.Kinds.CacheLogits;
using Distill.Stages.Kinds.Distill.Losses;
using Distill.Stages.Kinds.ImportLogits;
using Distill.Stages.Kinds.Shared;
using Distill.Stages.Kinds.Train;
using Distill.Stages.Reporting;

namespace Distill.Stages.Kinds.Distill;

/// <summary>`distill`: a student trained on a teacher's temperature-softened outputs, from a cache or a live teacher.</summary>
public sealed class DistillKind : StageKind
{
    public const string Name = "distill";

    /// <summary>The input role of the stage whose weights the student starts from.</summary>
    public const string InitRole = "init";

    public static readonly StageKindSpec Definition = new(Name,
        "Trains a student on a teacher's temperature-softened outputs.", StageReferences.DatasetAndModel,
        ParameterRecords.Specs<DistillParameters>(),
        [
            new InputRoleSpec("teacher", "A cache-logits or import-logits stage (teacher-source: cache) or a train stage (teacher-source: live).", [CacheLogitsKind.Name, ImportLogitsKind.Name, TrainKind.Name], 1, 1, LeadsToModel: true),
            new InputRoleSpec(InitRole, "Optional: a train or distill stage of the same model whose weights the student starts from (FitNet's second stage starts from its hint stage).", [TrainKind.Name, Name], 0, 1),
        ])
    {
        Revision = 1,
        Lineage = LineageRole.Model,
        RunsNetworks = true,
        Temperature = p => ParameterRecords.Read<DistillParameters>(p).Temperature,
        Work = keys => Work(ParameterRecords.Read<DistillParameters>(keys)),
    };

    public override StageKindSpec Spec => Definition;

    /// <summary>Training, with the teacher's forward passes when it runs live.</summary>
    private static TrainingWork Work(DistillParameters p) => p.Training.Work(liveTeacher: p.LiveTeacher);

    public override void Check(StageChecks checks, BoundStage stage)
    {
        if (checks.Model(stage.Model)?.Architecture == Models.TorchScriptArchitecture.Name)
            checks.Error(stage, $"model '{stage.Model}' is a torchscript model, which Distill runs but does not train; a student needs one of Distill's architectures", "model");
        var teacher = checks.Single(stage, "teacher");
        // A teacher-source the binder rejected is absent: its error is already reported.
        if (teacher?.Kind is null || !stage.Parameters.ContainsKey("teacher-source")) return;
        var parameters = ParameterRecords.Read<DistillParameters>(ParameterSet.From(stage.Parameters));
        bool cached = parameters.TeacherSource == TeacherSource.Cache;
        string[] wanted = cached ? [CacheLogitsKind.Name, ImportLogitsKind.Name] : [TrainKind.Name];
        if (!wanted.Contains(teacher.Kind))
        {
            checks.InputError(stage, "teacher",
                $"stage '{stage.Id}' has teacher-source '{ParameterRecords.KebabName(parameters.TeacherSource)}', so inputs.teacher must be a {string.Join(" or ", wanted)} stage; '{teacher.Id}' is a {teacher.Kind} stage");
            return;
        }
        if (teacher.Kind == ImportLogitsKind.Name && parameters.Views > 1)
            checks.Error(stage, $"views {parameters.Views} is more than the 1 view imported by '{teacher.Id}' (imported logits are of the plain images)", "views");
        var trained = checks.OriginBehind(stage);
        if (trained?.Dataset is { } teacherData && stage.Dataset is { } own && teacherData != own)
            checks.Error(stage,
                $"stage '{stage.Id}' uses dataset '{own}' but its teacher '{trained.Id}' was trained on '{teacherData}'; teacher outputs are per example, so they must match", "dataset");
        if (teacher.Kind == CacheLogitsKind.Name && ParameterRecords.Read<CacheLogitsParameters>(ParameterSet.From(teacher.Parameters)).Views is var held
            && parameters.Views > held)
            checks.Error(stage, $"views {parameters.Views} is more than the {held} view(s) cached by '{teacher.Id}'", "views");
        DistillMethodChecks.Check(checks, stage, parameters, teacher, trained, cached);
        if (parameters.Dot is { } dot) CheckDot(checks, stage, parameters.Training, dot);
        if (stage.Dataset is { } name && checks.Dataset(name) is { } dataset)
            foreach (var pairs in new[] { "similar", "dissimilar" }) checks.ResolveClassPairs(stage, dataset, "diffusion", pairs);
        if (checks.Single(stage, InitRole) is { } init && init.Model != stage.Model
            && (checks.Model(init.Model) is not { } a || checks.Model(stage.Model) is not { } b || a.Architecture != b.Architecture || CanonicalJson.Write(a.Parameters) != CanonicalJson.Write(b.Parameters)))
            checks.InputError(stage, InitRole, $"stage '{stage.Id}' trains model '{stage.Model}' but inputs.init '{init.Id}' trained '{init.Model}'; a student starts only from weights of its own architecture and keys");
    }

    /// <summary>DOT's update has no Nesterov term and no clipping, and both its momenta must be momenta.</summary>
    private static void CheckDot(StageChecks checks, BoundStage stage, TrainingParameters training, DotParameters dot)
    {
        if (training.Nesterov)
            checks.Error(stage, $"stage '{stage.Id}' trains with dot, whose update has no Nesterov term: set `nesterov: false`", "dot");
        if (training.ClipGradNorm > 0)
            checks.Error(stage, $"stage '{stage.Id}' trains with dot, which does not clip gradients: remove `clip-grad-norm`", "dot");
        if (training.Momentum - dot.Delta < 0 || training.Momentum + dot.Delta >= 1)
            checks.Error(stage, $"dot's momenta momentum - delta = {training.Momentum - dot.Delta:G4} and momentum + delta = {training.Momentum + dot.Delta:G4} must lie in [0, 1)", "dot");
    }

    public override IStageExecutor CreateExecutor() => new DistillExecutor();

    public override IStageReportSection CreateReportSection() => new DistillReportSection();

    public override IEnumerable<object> ReadResults(ResultReader reader, IReadOnlyList<StageInputRef> stages) => StudentResults.Read(reader, stages);

    public override int ReportOrder => 40;
}

/// <summary>Where a distill stage's teacher outputs come from.</summary>
public enum TeacherSource { Cache, Live }

/// <summary>`distill`: its keys, declared once (the catalogue's specs are read from this record).</summary>
public sealed record DistillParameters(
    TrainingParameters Training,
    [Key("temperature", "Teacher temperature T: targets are softmax(z / T).", Min = 0, ExclusiveMin = true)] double Temperature = 1,
    [Key("student-temperature", "Student temperature T_s in the teacher term H(p_t(T), softmax(z_s / T_s)): 1 as in the paper; Hinton et al.'s form sets it to T (`${temperature}` in a matrix), usually with `t-squared`. `kd` only.", Min = 0, ExclusiveMin = true)]
    double StudentTemperature = 1,
    [Key("beta", "Weight of the teacher term; (1 - beta) weighs the hard-label term.", Min = 0, Max = 1)] double Beta = 1,
    [Key("t-squared", "Multiply the teacher term by T^2 (Hinton et al.).")] bool TSquared = false,
    [Key("logit-standardization", "Logit standardization (Sun et al., CVPR 2024): the distillation term of a logit method (kd, dkd, dist, wttm, mlkd, ctkd) reads each example's logits z-scored, teacher's and student's, before the temperature; the cross-entropy with the labels reads them raw. Their CIFAR-100 commands add `--logit-stand --base-temp 2 --kd-weight 9` to the method's config (KD there: T^2 KL at T for both, CE weight 0.1).", SeedOmitsDefault = true, Checked = "a logit method")]
    bool LogitStandardization = false,
    [Key("divergence", "The divergence `kd`'s soft term minimises: forward-kl (Hinton et al.; the default), reverse-kl (KL(p_s || p_t), mode-seeking: MiniLLM, GKD) or jsd (GKD's generalized Jensen-Shannon divergence, TRL's generalized_jsd_loss, with `jsd-beta`).", SeedOmitsDefault = true, Checked = "kd only")]
    SoftTargetDivergence Divergence = SoftTargetDivergence.ForwardKl,
    [Key("jsd-beta", "jsd: the teacher's share of the mixture, beta KL(p_t || m) + (1 - beta) KL(p_s || m) with m = beta p_t + (1 - beta) p_s (TRL's default 0.5).", Min = 0, ExclusiveMin = true, Max = 1, ExclusiveMax = true, SeedOmitsDefault = true)]
    double JsdBeta = 0.5,
    [Key("loss", "The distillation loss, by name; a map `{ name: ..., <its keys> }` sets its own keys.", Variants = typeof(DistillationLosses), SeedOmitsDefault = true)]
    Choice Loss = null!,
    [Key("teacher-source", "Read the teacher's logits from a cache-logits stage, or run a train stage live.")] TeacherSource TeacherSource = TeacherSource.Cache,
    [Key("views", TrainingParameters.ViewsDescription, Min = 1, Checked = "at most the teacher cache's `views` (1 for imported logits)")] int Views = 1,
    [Key("diffusion", "After training, measure how the student's penultimate activations of the test split spread toward other classes (the compatibility study's C3, after Chandrasegaran et al., ICML 2022): for each declared pair, eta = (u' S_a u) / (trace(S_a) / d) both ways, u the unit vector between the class means, S_a the class covariance; recorded as diffusion_similar (mean over `similar`) and diffusion_dissimilar (over `dissimilar`). `diffusion: {}` measures Fashion-MNIST's pairs; left out, nothing is measured and the key is unchanged.")]
    DiffusionParameters? Diffusion = null,
    [Key("dot", "Train with DOT (Zhao et al., \"DOT: A Distillation-Oriented Trainer\", ICCV 2023; mdistiller's trainer: dot) instead of SGD: the gradient of the method's cross-entropy with the labels moves the student with momentum `momentum - delta`, the rest of the loss (the distillation part) with `momentum + delta`, each at the learning rate. mdistiller's CIFAR-100 recipe: kd with ce weight 0.1, `delta: 0.075`, lr 0.05, batch 64, `nesterov: false`. Needs `nesterov: false` and no `clip-grad-norm`; batch norm runs LibTorch's kernels (the graph is differentiated twice). Left out, SGD trains and the key is unchanged.")]
    DotParameters? Dot = null)
{
    public bool LiveTeacher => TeacherSource == TeacherSource.Live;
}

/// <summary>`dot` on a distill stage: the gap between the two momenta.</summary>
public sealed record DotParameters(
    [Key("delta", "The task gradient's momentum is `momentum - delta`, the distillation gradient's `momentum + delta` (mdistiller: 0.075 around 0.9).", Min = 0, ExclusiveMin = true, Max = 0.5)]
    double Delta = 0.075);

/// <summary>`diffusion` on a distill stage: the class pairs, declared before the run, never chosen from results.</summary>
public sealed record DiffusionParameters(
    [Key("similar", "Semantically similar class pairs, toward which a smoothed teacher's student is said to diffuse.", DefaultPairs = ["Shirt | T-shirt/top", "Pullover | Coat", "Sneaker | Ankle boot"], MinItems = 1, Checked = "known to the dataset")]
    IReadOnlyList<IReadOnlyList<object>> Similar = null!,
    [Key("dissimilar", "Dissimilar control pairs: the mechanism predicts no extra spread toward them.", DefaultPairs = ["Trouser | Bag", "Sandal | Coat"], MinItems = 1, Checked = "known to the dataset")]
    IReadOnlyList<IReadOnlyList<object>> Dissimilar = null!);
