using Distill.EndToEnd.Tests.Support;
using Distill.Runs;
using Xunit.Abstractions;

namespace Distill.EndToEnd.Tests;

/// <summary>
/// Keys name the code, and only the code: the smoke pipeline's bits are pinned with the revisions its keys name
/// (<see cref="GoldenDigests"/>), and the CPU's kernel path is recorded beside a result, not keyed, so a result made
/// on another path is reused and `plan` and `status` say where it was computed.
/// CI runs these under the CPU's own instruction set and again as an AVX2-only machine (.ci/run).
/// </summary>
[Collection(EndToEndCollection.Name)]
[Trait("Category", "Slow")]
public sealed class StageKeyGoldenTests(ITestOutputHelper output) : IDisposable
{
    private static readonly TimeSpan RunTimeout = TimeSpan.FromMinutes(3);

    private readonly TempFolder _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public void The_smoke_pipelines_bits_are_pinned_with_the_revisions_of_its_code()
    {
        GoldenDigests.Check("smoke", RunSmoke(new Dictionary<string, string>()), output);
    }

    [Fact]
    public void A_result_from_another_kernel_path_is_reused_and_plan_and_status_say_where_it_was_computed()
    {
        var run = RunSmoke(new Dictionary<string, string>());
        var computedOn = RunResults.Manifest(run, "teacher-0.0").KernelPath!;
        // Another path than the one the results were computed on ("<model>: <isa>, ..."): AVX2 below AVX-512, else SSE 4.1.
        var isa = computedOn[(computedOn.LastIndexOf(": ", StringComparison.Ordinal) + 2)..];
        var otherIsa = isa.StartsWith("avx512", StringComparison.Ordinal) ? "AVX2" : "SSE41";
        var other = new Dictionary<string, string> { ["ONEDNN_MAX_CPU_ISA"] = otherIsa, ["DOTNET_EnableAVX512"] = "0" };

        var (_, plan) = DistillCli.Run(other, RunTimeout, "plan", _temp.Combine("smoke.yaml"), "--runs", _temp.Combine("runs"));
        output.WriteLine(plan);
        Assert.Contains("7 reused, 0 to resume, 0 to run", plan);
        var teacher = plan.Split('\n').Single(l => l.StartsWith("teacher-0.0", StringComparison.Ordinal));
        Assert.Contains($"(computed on {computedOn}; this machine: ", teacher);
        Assert.Contains($"{otherIsa.ToLowerInvariant()} (ONEDNN_MAX_CPU_ISA={otherIsa} on an ", teacher);

        var (_, status) = DistillCli.Run(other, RunTimeout, "status", "smoke", "--runs", _temp.Combine("runs"));
        output.WriteLine(status);
        Assert.Contains($"computed on {computedOn}", status);
        // On the path that computed them, nothing to point out.
        var (_, samePath) = DistillCli.Run(RunTimeout, "plan", _temp.Combine("smoke.yaml"), "--runs", _temp.Combine("runs"));
        Assert.DoesNotContain("computed on", samePath);
    }

    private string RunSmoke(IReadOnlyDictionary<string, string> environment)
    {
        var file = _temp.Combine("smoke.yaml");
        File.WriteAllText(file, File.ReadAllText(Path.Combine(DistillCli.RepositoryRoot, "pipelines", "smoke.yaml")));
        var (code, text) = DistillCli.Run(environment, RunTimeout, "run", file, "--runs", _temp.Combine("runs"));
        Assert.True(code == 0, $"exit code {code}:\n{text}");
        return Path.Combine(_temp.Combine("runs"), "smoke");
    }
}
