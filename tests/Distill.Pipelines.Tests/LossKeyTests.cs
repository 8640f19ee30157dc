using Distill.Pipelines;
using Distill.Pipelines.Catalogue;

namespace Distill.Pipelines.Tests;

/// <summary>The distill stage's `loss` key: a name, or a map of the name and that loss's own keys.</summary>
public sealed class LossKeyTests
{
    private static string Pipeline(string loss) => TestPipelines.Header + $$"""
          teacher: { kind: train, dataset: fm, model: net }
          cache: { kind: cache-logits, inputs: { teacher: teacher } }
          student:
            kind: distill
            dataset: fm
            model: net
            temperature: 4
            inputs: { teacher: cache }
        {{loss}}
        """;

    private static StageDefinition Student(string loss) => TestPipelines.Load(Pipeline(loss)).Stage("student");

    [Fact]
    public void Defaults_to_kd_in_the_key_and_leaves_the_seed_text_as_before_the_key_existed()
    {
        var omitted = TestPipelines.Load(Pipeline(""));
        var explicitKd = TestPipelines.Load(Pipeline("    loss: kd"));

        Assert.Equal("kd", omitted.Stage("student").Parameters.GetMap("loss").GetString("name"));
        Assert.Contains("\"loss\":{\"name\":\"kd\"}", omitted.Stage("student").CanonicalJson(omitted));
        Assert.DoesNotContain("\"loss\"", CanonicalJson.ForSeed(omitted.Stage("student"), omitted));
        Assert.Equal(omitted.Stage("student").CanonicalJson(omitted), explicitKd.Stage("student").CanonicalJson(explicitKd));
    }

    [Fact]
    public void A_name_alone_gives_every_key_its_default()
    {
        var loss = Student("    loss: dkd").Parameters.GetMap("loss");

        Assert.Equal(("dkd", 1.0, 8.0, 1.0), (loss.GetString("name"), loss.GetDouble("alpha"), loss.GetDouble("beta"), loss.GetDouble("ce-weight")));
    }

    [Fact]
    public void A_map_sets_the_losss_own_keys_and_changes_the_stage_key()
    {
        var p = TestPipelines.Load(Pipeline("    loss: { name: dkd, beta: 4 }"));
        var loss = p.Stage("student").Parameters.GetMap("loss");

        Assert.Equal(4.0, loss.GetDouble("beta"));
        Assert.Equal(1.0, loss.GetDouble("alpha"));
        Assert.Contains("\"loss\":{", p.Stage("student").CanonicalJson(p));
        var plain = TestPipelines.Load(Pipeline(""));
        Assert.NotEqual(plain.Stage("student").CanonicalJson(plain), p.Stage("student").CanonicalJson(p));
    }

    [Theory]
    [InlineData("    loss: dk", "unknown loss 'dk' (expected kd, dkd, dist, rkd, pkt, sp, crd, at, fitnet, nst, cc, vid, fsp, wttm, mlkd, ctkd, reviewkd, ofd, ab, ft, kdsvd)")]
    [InlineData("    loss: { beta: 4 }", "loss needs a 'name' (kd, dkd, dist, rkd, pkt, sp, crd, at, fitnet, nst, cc, vid, fsp, wttm, mlkd, ctkd, reviewkd, ofd, ab, ft, kdsvd)")]
    [InlineData("    loss: { name: dkd, gamma: 2 }", "unknown key 'gamma' in loss 'dkd'")]
    [InlineData("    loss: { name: kd, alpha: 2 }", "unknown key 'alpha' in loss 'kd'")]
    [InlineData("    loss: { name: dkd, beta: -1 }", "beta")]
    [InlineData("    loss: [kd]", "loss must be a name (kd, dkd, dist, rkd, pkt, sp, crd, at, fitnet, nst, cc, vid, fsp, wttm, mlkd, ctkd, reviewkd, ofd, ab, ft, kdsvd) or a map with 'name', got a list")]
    public void Mistakes_are_located_errors(string loss, string message)
    {
        var errors = TestPipelines.Errors(Pipeline(loss));
        Assert.Contains(errors, e => e.Message.Contains(message, StringComparison.Ordinal) && e.Line == 17);
    }

    [Fact]
    public void Student_temperature_defaults_to_one_and_is_part_of_every_students_key()
    {
        var omitted = TestPipelines.Load(Pipeline(""));
        var hinton = TestPipelines.Load(Pipeline("    student-temperature: 4\n    t-squared: true"));

        var p = ParameterRecords.Read<Distill.Stages.Kinds.Distill.DistillParameters>(omitted.Stage("student").Parameters);
        Assert.Equal((4.0, 1.0), (p.Temperature, p.StudentTemperature));
        // In the key even at its default: students trained before it existed were read at T, so their results must not be reused.
        Assert.Contains("\"student-temperature\":1", omitted.Stage("student").CanonicalJson(omitted));
        Assert.Equal(4.0, ParameterRecords.Read<Distill.Stages.Kinds.Distill.DistillParameters>(hinton.Stage("student").Parameters).StudentTemperature);
    }
}
