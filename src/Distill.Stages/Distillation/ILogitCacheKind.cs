using Distill.Pipelines;
using Distill.Stages.Engine;

namespace Distill.Stages.Distillation;

/// <summary>
/// A stage kind whose outputs are logit caches that distill and calibrate stages read (cache-logits, import-logits):
/// what its files hold, so that <see cref="VerifiedLogitCache"/> checks them without knowing the kinds by name.
/// </summary>
public interface ILogitCacheKind
{
    /// <summary>Views per training example the cache stage writes (held-out splits always have one).</summary>
    int CachedViews(ParameterSet parameters);

    /// <summary>What the sidecar records as the teacher's weights, for the model stage the cache came from.</summary>
    string TeacherWeights(StageInputRef teacher);
}
