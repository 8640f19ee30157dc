using Distill.Pipelines;
using Distill.Pipelines.Catalogue;
using Distill.Pipelines.Graph;
using Distill.Stages.Engine;
using Distill.Stages.Reporting;

namespace Distill.Stages.Kinds;

/// <summary>
/// A stage kind, whole: its catalogue entry and cross-stage checks (what validation needs, no TorchSharp), its executor
/// and, where its results belong in reports, its report section. Each kind is one folder under Kinds/, registered once
/// in <see cref="StageKindRegistry"/>.
/// </summary>
public abstract class StageKind : IStageKind
{
    public abstract StageKindSpec Spec { get; }

    /// <inheritdoc cref="IStageKind.Check"/>
    public virtual void Check(StageChecks checks, BoundStage stage) { }

    /// <summary>Runs stages of this kind. Created on first use, so validation never loads TorchSharp.</summary>
    public abstract IStageExecutor CreateExecutor();

    /// <summary>The kind's section in reports; null for kinds whose results other sections show (a cache, an import).</summary>
    public virtual IStageReportSection? CreateReportSection() => null;

    /// <summary>
    /// A fingerprint of what a stage reads besides its inputs, dataset and imported files (a report's earlier run), part
    /// of its key so that a changed source is never hidden behind a reused result; empty when it reads nothing else.
    /// </summary>
    public virtual string ReadsBeyondInputs(StageDefinition stage, string runsRoot) => "";

    /// <summary>The typed results of completed stages of this kind, for report sections and studies; none by default.</summary>
    public virtual IEnumerable<object> ReadResults(ResultReader reader, IReadOnlyList<StageInputRef> stages) => [];

    /// <summary>Where the kind's section comes in the report: the models first, then what was measured on them.</summary>
    public virtual int ReportOrder => 100;
}
