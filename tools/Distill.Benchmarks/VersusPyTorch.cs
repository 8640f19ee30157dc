using System.Diagnostics;
using System.Text.Json;
using Distill.Learning.Platform;
using static TorchSharp.torch;

namespace Distill.Benchmarks;

/// <summary>
/// Distill's training step against PyTorch's on the same networks (tools/pytorch-reference/bench_resnet56.py, which
/// builds them from distill_models.py), batch, input size, thread count and optimizer, in one sitting: each round
/// times Distill's side in this process and PyTorch's in a fresh python process, one after the other, the order
/// swapped every round so that drift on a shared machine falls on both. Prints every round and the median of the
/// per-round ratios. Skipped, with one line, where no python3 with torch is found.
/// </summary>
internal static class VersusPyTorch
{
    public static void Run(BenchmarkOptions options)
    {
        if (options.Threads > 0) set_num_threads(options.Threads);
        int threads = get_num_threads();
        var script = ReferenceScript();
        var python = FindPython(options.Python);
        if (script is null || python is null)
        {
            Console.WriteLine(script is null
                ? "versus-pytorch: skipped, tools/pytorch-reference/bench_resnet56.py not found (run from inside the repository)"
                : "versus-pytorch: skipped, no python3 with torch found (apt-get install python3-torch, or --python PATH / DISTILL_PYTHON)");
            return;
        }
        var precisions = options.DistillPrecisions;
        if (precisions.Select(PrecisionSupport.Unavailable).OfType<string>().FirstOrDefault() is { } missing)
        {
            Console.WriteLine($"versus-pytorch: skipped, {missing}");
            return;
        }
        int rounds = Math.Max(1, options.Repeats);
        string sides = string.Join(", ", precisions.Select(p => $"Distill {p.Name()}"));
        Console.WriteLine($"versus PyTorch ({python.Value.Path}, torch {python.Value.Version}, fp32): training step, batch {options.BatchSize}, 32x32x3, {threads} threads, " +
                          $"{rounds} rounds of {options.Steps} timed steps after {options.Warmup} warm-up, per side and model; sides {sides}, PyTorch fp32; " +
                          "odd rounds Distill first, even rounds PyTorch first (and Distill's precisions reversed)");
        Console.WriteLine($"{"round",5}  {"model",-9} {"precision",9} {"Distill img/s",14} {"PyTorch img/s",14} {"Distill/PyTorch",16}");
        var models = TrainingThroughput.Selected(options);
        var results = models.ToDictionary(m => m.Name, _ => precisions.ToDictionary(p => p, _ => new List<(Side Distill, Side PyTorch)>()));
        for (int round = 1; round <= rounds; round++)
        {
            foreach (var (name, factory) in models)
            {
                Side RunDistill(Precision precision) => Side.Of(options.BatchSize, TrainingThroughput.Measure(factory, options, precision).Steps);
                var distill = new Dictionary<Precision, Side>();
                Side pytorch;
                if (round % 2 == 1)
                {
                    foreach (var p in precisions) distill[p] = RunDistill(p);
                    pytorch = RunReference(python.Value.Path, script, name, threads, options);
                }
                else
                {
                    pytorch = RunReference(python.Value.Path, script, name, threads, options);
                    foreach (var p in precisions.Reverse()) distill[p] = RunDistill(p);
                }
                foreach (var p in precisions)
                {
                    results[name][p].Add((distill[p], pytorch));
                    Console.WriteLine($"{round,5}  {name,-9} {p.Name(),9} {distill[p].ImagesPerSecond,14:F0} {pytorch.ImagesPerSecond,14:F0} {distill[p].ImagesPerSecond / pytorch.ImagesPerSecond,15:F2}x");
                }
            }
        }
        foreach (var (name, byPrecision) in results)
        foreach (var (precision, pairs) in byPrecision)
        {
            double Median(Func<Side, double> of, bool distill) => Stats.Median(pairs.Select(p => of(distill ? p.Distill : p.PyTorch)).ToList());
            double ratio = Stats.Median(pairs.Select(p => p.Distill.ImagesPerSecond / p.PyTorch.ImagesPerSecond).ToList());
            Console.WriteLine($"{name} {precision.Name()}: median ratio Distill {precision.Name()}/PyTorch fp32 {ratio:F2}x; medians Distill {Median(s => s.ImagesPerSecond, true):F0} img/s " +
                              $"(forward {Median(s => s.Forward, true):F0}, backward {Median(s => s.Backward, true):F0}, optimizer {Median(s => s.Optimizer, true):F1} ms), " +
                              $"PyTorch {Median(s => s.ImagesPerSecond, false):F0} img/s " +
                              $"(forward {Median(s => s.Forward, false):F0}, backward {Median(s => s.Backward, false):F0}, optimizer {Median(s => s.Optimizer, false):F1} ms)");
        }
    }

    /// <summary>One side of one round: images/s from the median step, and the median phases in ms.</summary>
    internal sealed record Side(double ImagesPerSecond, double Forward, double Backward, double Optimizer)
    {
        public static Side Of(int batch, List<TrainingThroughput.StepTime> steps) => new(
            batch / (Stats.Median(steps.Select(s => s.Total).ToList()) / 1000),
            Stats.Median(steps.Select(s => s.Forward).ToList()),
            Stats.Median(steps.Select(s => s.Backward).ToList()),
            Stats.Median(steps.Select(s => s.Optimizer).ToList()));
    }

    internal static Side RunReference(string python, string script, string model, int threads, BenchmarkOptions options)
    {
        using var json = JsonDocument.Parse(RunScript(python, script, "--model", model, "--threads", $"{threads}", "--steps", $"{options.Steps}",
            "--warmup", $"{options.Warmup}", "--batch-size", $"{options.BatchSize}", "--json"));
        var root = json.RootElement;
        double Ms(string field) => root.GetProperty(field).GetDouble();
        return new Side(root.GetProperty("images_per_second").GetDouble(), Ms("forward_ms"), Ms("backward_ms"), Ms("optimizer_ms"));
    }

    /// <summary>Runs a reference script to its end and returns the last line it printed (its JSON result).</summary>
    internal static string RunScript(string python, string script, params string[] arguments)
    {
        var start = new ProcessStartInfo(python) { RedirectStandardOutput = true, UseShellExecute = false };
        start.ArgumentList.Add(script);
        foreach (var argument in arguments) start.ArgumentList.Add(argument);
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"could not start {python}");
        string output = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode != 0)
            throw new InvalidOperationException($"{Path.GetFileName(script)} {string.Join(' ', arguments)} exited with code {process.ExitCode}");
        return output.Trim().Split('\n')[^1];
    }

    /// <summary>--python, DISTILL_PYTHON, then python3 on the PATH, then Debian's /usr/bin/python3 (python3-torch's home): the first that imports torch.</summary>
    internal static (string Path, string Version)? FindPython(string? given)
    {
        var candidates = given is not null ? [given]
            : new[] { Environment.GetEnvironmentVariable("DISTILL_PYTHON"), "python3", "/usr/bin/python3" }.OfType<string>().Where(c => c.Length > 0);
        foreach (var candidate in candidates)
        {
            try
            {
                var start = new ProcessStartInfo(candidate, ["-c", "import torch; print(torch.__version__)"])
                    { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
                using var process = Process.Start(start);
                if (process is null) continue;
                string version = process.StandardOutput.ReadToEnd().Trim();
                process.WaitForExit();
                if (process.ExitCode == 0) return (candidate, version);
            }
            catch (System.ComponentModel.Win32Exception)
            {
                // Not installed under that name: try the next.
            }
        }
        return null;
    }

    internal static string? ReferenceScript(string name = "bench_resnet56.py")
    {
        foreach (var start in new[] { AppContext.BaseDirectory, Environment.CurrentDirectory })
        {
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            {
                var path = Path.Combine(dir.FullName, "tools", "pytorch-reference", name);
                if (File.Exists(path)) return path;
            }
        }
        return null;
    }
}
