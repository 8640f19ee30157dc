using System.Diagnostics;
using System.Globalization;
using Distill.EndToEnd.Tests.Support;
using Distill.Learning.Data;
using Distill.Learning.Models;
using Distill.Learning.Training;
using Distill.Runs;
using Distill.Stages.Data;
using Distill.Stages.Distillation;
using Distill.Stages.Engine;
using Distill.Stages.Models;
using Distill.Stages.Training;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace Distill.EndToEnd.Tests;

/// <summary>Teacher logits cached once on disk: replayed exactly, checked before use, rebuilt when damaged.</summary>
[Collection(EndToEndCollection.Name)]
[Trait("Category", "Slow")]
public sealed class LogitCacheTests(ITestOutputHelper output) : IDisposable
{
    private readonly TempFolder _temp = new();

    public void Dispose() => _temp.Dispose();

    private string Pipeline => DistillCli.TestPipeline("cache.yaml");
    private string RunDir => _temp.Combine("runs", "cache");
    private string CachePath => RunResults.Output(RunDir, "cache", LogitCacheLayout.FileName(DataSplit.Train));

    private string RunToEnd()
    {
        var (code, text) = DistillCli.Run(TimeSpan.FromMinutes(3), "run", Pipeline, "--runs", _temp.Combine("runs"));
        Assert.True(code == 0, $"exit code {code}:\n{text}");
        return text;
    }

    [Fact]
    public void CachedAndLiveTeachersGiveTheSameLossesForTwentySteps()
    {
        RunToEnd();
        var pipeline = PipelineRunner.Load(Pipeline);
        using var catalog = new DataCatalog(pipeline);
        var data = catalog.Get("fmnist").Prepared;
        var spec = ModelSpec.Of(pipeline, "tiny-resnet");
        using var teacherModel = spec.Create(1, 28, 28, 10);
        ModelWeights.Load(teacherModel, RunResults.Output(RunDir, "teacher", Outputs.Weights));

        using var cache = new CachedTeacher(NpyFile.Open(CachePath), CPU);
        var cached = FirstLosses(data, spec, cache, steps: 20);
        var live = FirstLosses(data, spec, new LiveTeacher(teacherModel), steps: 20);

        Assert.Equal(20, cached.Count);
        for (int i = 0; i < cached.Count; i++)
            Assert.True(Math.Abs(cached[i] - live[i]) <= 1e-6, $"step {i + 1}: cached {cached[i]:R}, live {live[i]:R}");
        output.WriteLine($"largest difference over 20 steps: {cached.Zip(live, (a, b) => Math.Abs(a - b)).Max():G3}");
    }

    /// <summary>Trains a fresh student (same seed each time) for a few steps and returns its losses.</summary>
    private static List<double> FirstLosses(PreparedData data, ModelSpec spec, ITeacherOutputs teacher, int steps)
    {
        var options = new TrainerOptions { Epochs = 3, BatchSize = 16, LearningRate = 0.05, Seed = 3 };
        manual_seed(3);
        using var student = spec.Create(1, 28, 28, 10);
        var batches = new ViewReplayBatches(new BatchMaker(data.Train, data.Statistics, CPU), new AugmentationSpec(), viewSeed: 1, views: 1, choiceSeed: 3);
        using var trainer = new Trainer(student, batches, options, new DistillationObjective(teacher, new SoftTargetLoss(2, 1, 1, tSquared: false)));
        var losses = new List<double>();
        using var stop = new CancellationTokenSource();
        trainer.StepCompleted = r =>
        {
            losses.Add(r.Loss);
            if (losses.Count == steps) stop.Cancel();
        };
        trainer.Run(stop.Token);
        return losses;
    }

    public static TheoryData<string> Damages => ["flipped byte", "truncated", "sidecar of another teacher", "wrong shape"];

    [Theory]
    [MemberData(nameof(Damages))]
    public void DamagedCacheIsDetectedNamedAndRebuilt(string damage)
    {
        RunToEnd();
        var original = File.ReadAllBytes(CachePath);
        var sidecarPath = LogitCacheSidecar.PathFor(CachePath);
        var sidecar = LogitCacheSidecar.Load(sidecarPath)!;
        switch (damage)
        {
            case "flipped byte":
                var flipped = (byte[])original.Clone();
                flipped[^5] ^= 0x10;
                File.WriteAllBytes(CachePath, flipped);
                break;
            case "truncated":
                File.WriteAllBytes(CachePath, original[..^40]);
                break;
            case "sidecar of another teacher":
                (sidecar with { TeacherStageKey = new string('a', 64) }).Save(sidecarPath);
                break;
            case "wrong shape":
                int rows = (int)sidecar.Shape[0] - 1, columns = (int)sidecar.Shape[1];
                NpyWriter.Write(CachePath, new float[rows * columns], rows, columns);
                break;
        }

        // Checked before use: the cache stage's manifest hashes catch changed bytes, the reader's check the
        // provenance and shape; together they name the file and what differs.
        var expected = sidecar;
        var cacheStage = RunResults.Stage(RunDir, "cache");
        var differences = cacheStage.VerifyOutputs(RunResults.Manifest(RunDir, "cache")).Concat(LogitCacheValidator.Check(expected, CachePath)).ToList();
        Assert.NotEmpty(differences);
        output.WriteLine($"{damage}: {string.Join("; ", differences)}");

        // With its producer in the pipeline, the next run rebuilds the cache and completes.
        var text = RunToEnd();
        output.WriteLine(text);
        Assert.Contains("cache (cache-logits): starting - completed but outputs changed", text);
        Assert.Contains("logits-train.npy", text);
        Assert.Equal(original, File.ReadAllBytes(CachePath));
        Assert.Empty(LogitCacheValidator.Check(expected, CachePath));
        Assert.Empty(cacheStage.VerifyOutputs(RunResults.Manifest(RunDir, "cache")));
        Assert.Equal(StageStatus.Completed, RunResults.Manifest(RunDir, "cache").Status);
        Assert.Contains("student: uptodate", text);
    }

    [SkippableFact]
    public void NumpyReadsTheCacheWithTheValuesTheProgramWrote()
    {
        // Debian's python3 has NumPy once tools/setup.sh ran; a Python of its own may not: then reported as skipped.
        var python = new[] { "/usr/bin/python3", "python3" }.FirstOrDefault(HasNumpy);
        Skip.If(python is null, "no python3 with numpy here (tools/setup.sh --tests installs python3-numpy)");
        RunToEnd();
        using var file = NpyFile.Open(CachePath);
        var row = file.GetRows(7, 1).ToArray();
        var oneLiner = $"import numpy; a = numpy.load('{CachePath}', mmap_mode='r'); print(a.shape, a.dtype); print(' '.join(repr(float(v)) for v in a[7]))";
        var (code, text) = Python(python, oneLiner);
        Assert.Equal(0, code);
        var lines = text.Trim().Split('\n');
        Assert.Equal($"({file.Rows}, {file.Columns}) float32", lines[0].Trim());
        var values = lines[1].Trim().Split(' ').Select(v => float.Parse(v, CultureInfo.InvariantCulture)).ToArray();
        Assert.Equal(row, values);
    }

    private static bool HasNumpy(string python)
    {
        try { return Python(python, "import numpy").Code == 0; }
        catch (System.ComponentModel.Win32Exception) { return false; }
    }

    private static (int Code, string Output) Python(string python, string code)
    {
        var info = new ProcessStartInfo(python) { RedirectStandardOutput = true, RedirectStandardError = true };
        info.ArgumentList.Add("-c");
        info.ArgumentList.Add(code);
        using var process = Process.Start(info)!;
        var text = process.StandardOutput.ReadToEnd() + process.StandardError.ReadToEnd();
        process.WaitForExit();
        return (process.ExitCode, text);
    }
}
