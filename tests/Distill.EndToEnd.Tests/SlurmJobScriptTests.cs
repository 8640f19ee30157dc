using System.Diagnostics;
using Distill.Cli.Slurm;
using Distill.Pipelines;
using Distill.Pipelines.Catalogue;
using Distill.Stages.Kinds;

namespace Distill.EndToEnd.Tests;

/// <summary>What a stage's Slurm job asks for and runs with, and the script that says so (no Slurm needed).</summary>
public sealed class SlurmJobScriptTests
{
    private static PipelineDefinition Load(string top, string device = "auto")
    {
        var result = PipelineLoader.LoadFromText($$"""
            name: jobs
            device: {{device}}
            {{top}}
            datasets:
              fm: { kind: fashion-mnist, validation: 100 }
            models:
              net: { architecture: resnet, depth: 8 }
            stages:
              teacher: { kind: train, dataset: fm, model: net, resources: { time: "2:00:00", memory: 16G } }
              cache: { kind: cache-logits, inputs: { teacher: teacher } }
              calibrate: { kind: calibrate, inputs: { logits: cache }, resources: { partition: short } }
              report: { kind: report, inputs: { all: "*" } }
            """, "jobs.yaml", StageKindRegistry.Catalogue);
        Assert.True(result.Succeeded, string.Join("\n", result.Errors));
        return result.Pipeline!;
    }

    [Fact]
    public void Stages_that_run_networks_get_two_cpus_and_a_gpu_on_cuda_the_others_one_cpu()
    {
        var cuda = Load("", "cuda");
        var teacher = StageCompute.Resources(cuda, cuda.Stage("teacher"));
        var report = StageCompute.Resources(cuda, cuda.Stage("report"));

        Assert.Equal((2, 1, "16G", "2:00:00"), (teacher.Cpus, teacher.Gpus, teacher.Memory, teacher.Time));
        Assert.Equal((1, 0), (report.Cpus, report.Gpus));
        Assert.Equal(("cuda", 2), (StageCompute.PipelineOf(cuda, cuda.Stage("teacher")).Device, StageCompute.PipelineOf(cuda, cuda.Stage("teacher")).Threads));
        Assert.Equal(("cpu", 1), (StageCompute.PipelineOf(cuda, cuda.Stage("report")).Device, StageCompute.PipelineOf(cuda, cuda.Stage("report")).Threads));
        var auto = Load("");
        Assert.Equal(0, StageCompute.Resources(auto, auto.Stage("teacher")).Gpus); // auto asks for no GPU; a `gpus:` does
    }

    [Fact]
    public void Pipeline_defaults_fill_in_and_a_pinned_thread_count_wins_over_the_cpus()
    {
        var p = Load("threads: 3\nresources: { cpus: 8, gpus: 2, account: lab }");
        var calibrate = StageCompute.Resources(p, p.Stage("calibrate"));

        Assert.Equal((8, 2, "lab", "short"), (calibrate.Cpus, calibrate.Gpus, calibrate.Account, calibrate.Partition));
        Assert.Equal(3, StageCompute.PipelineOf(p, p.Stage("calibrate")).Threads);
        Assert.Equal("cuda", StageCompute.PipelineOf(p, p.Stage("calibrate")).Device); // auto with a GPU given
    }

    [Fact]
    public void The_script_says_every_resource_and_dependency_and_is_valid_bash()
    {
        var resources = new StageResources(4, 1, "16G", "2:00:00", "gpu", "lab", "high", "--constraint=a100 --exclusive");
        var script = new SlurmJobScript("jobs:teacher", "/shared/slurm/s/teacher.out", resources, ["101", "102"],
            "/shared/pipelines/s.yaml", "/shared/slurm/s/pipeline.json", "teacher", "/shared/runs", "/shared/slurm/s/teacher.identity.json", "cuda", 4, "/shared/slurm/s/cancelled").Text();

        string[] expected =
        [
            "#SBATCH --job-name=jobs:teacher", "#SBATCH --requeue", "#SBATCH --signal=B:TERM@120", "#SBATCH --cpus-per-task=4",
            "#SBATCH --gres=gpu:1", "#SBATCH --mem=16G", "#SBATCH --time=2:00:00", "#SBATCH --partition=gpu", "#SBATCH --account=lab",
            "#SBATCH --qos=high", "#SBATCH --dependency=afterok:101:102", "#SBATCH --constraint=a100", "#SBATCH --exclusive",
            "'run-stage' '/shared/pipelines/s.yaml' '--stage' 'teacher' '--runs' '/shared/runs' '--identity' '/shared/slurm/s/teacher.identity.json' '--threads' '4' '--device' 'cuda' '--resolved' '/shared/slurm/s/pipeline.json'",
        ];
        Assert.All(expected, line => Assert.Contains(line, script));
        var file = Path.GetTempFileName();
        try
        {
            File.WriteAllText(file, script);
            using var bash = Process.Start(new ProcessStartInfo("bash", ["-n", file]) { RedirectStandardError = true })!;
            var errors = bash.StandardError.ReadToEnd();
            bash.WaitForExit();
            Assert.True(bash.ExitCode == 0, errors);
        }
        finally { File.Delete(file); }
    }

    [Theory]
    [InlineData("30", 1800, 120)]
    [InlineData("2", 120, 30)]
    [InlineData("0:30", 30, 10)]
    [InlineData("1:30:00", 5400, 120)]
    [InlineData("1-12", 129600, 120)]
    [InlineData("1-0:10:30", 87030, 120)]
    public void A_time_limit_gives_the_grace_before_it(string time, int seconds, int grace)
    {
        Assert.Equal(seconds, SlurmJobScript.Seconds(time));
        var script = new SlurmJobScript("j", "o", new StageResources(1, Time: time), [], "p", "j", "s", "r", "i", "cpu", 1, "c");
        Assert.Equal(grace, script.GraceSeconds);
    }
}
