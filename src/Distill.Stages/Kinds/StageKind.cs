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

    /// <summary>Where the kind's section comes in the report: the models first, then what was measured on them.</summary>
    public virtual int ReportOrder => 100;
}
