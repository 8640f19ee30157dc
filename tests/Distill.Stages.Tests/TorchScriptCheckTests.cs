using Distill.Pipelines;
using Distill.Stages.Kinds;

namespace Distill.Stages.Tests;

/// <summary>A `torchscript` model is imported by a train stage with `format: torchscript` and nothing else, and never trained.</summary>
public sealed class TorchScriptCheckTests
{
    private static IReadOnlyList<string> Errors(string stages)
    {
        var result = PipelineLoader.LoadFromText($"""
            name: t
            datasets:
              fm: {"{"} kind: fashion-mnist {"}"}
            models:
              script: {"{"} architecture: torchscript {"}"}
              net: {"{"} architecture: alexnet {"}"}
            stages:
            {string.Join("\n", stages.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(line => "  " + line))}
            """, "t.yaml", StageKindRegistry.Catalogue);
        return result.Errors.Select(e => e.ToString()).ToList();
    }

    [Fact]
    public void An_imported_TorchScript_teacher_and_a_student_of_it_are_accepted()
    {
        Assert.Empty(Errors("""
              teacher: { kind: train, dataset: fm, model: script, weights: { format: torchscript, path: t.yaml } }
              student: { kind: distill, dataset: fm, model: net, teacher-source: live, inputs: { teacher: teacher } }
            """));
    }

    [Theory]
    [InlineData("a: { kind: train, dataset: fm, model: script }", "model 'script' is a torchscript model: it is imported, not trained")]
    [InlineData("a: { kind: train, dataset: fm, model: net, weights: { format: torchscript, path: t.yaml } }", "weights.format torchscript needs a model with `architecture: torchscript`")]
    [InlineData("""
          a: { kind: train, dataset: fm, model: net }
          b: { kind: distill, dataset: fm, model: script, teacher-source: live, inputs: { teacher: a } }
        """, "a student needs one of Distill's architectures")]
    [InlineData("""
          a: { kind: train, dataset: fm, model: script, weights: { format: torchscript, path: t.yaml } }
          b: { kind: distill, dataset: fm, model: net, teacher-source: live, loss: { name: at }, inputs: { teacher: a } }
        """, "of the teacher model 'script', which has no such point; it has logits")]
    public void Misuse_is_refused_before_the_run(string stages, string error)
    {
        Assert.Contains(Errors(stages), e => e.Contains(error, StringComparison.Ordinal));
    }
}
