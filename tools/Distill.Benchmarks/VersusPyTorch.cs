using System.Diagnostics;
using System.Text.Json;
using Distill.Learning.Platform;
using static TorchSharp.torch;

namespace Distill.Benchmarks;

/// <summary>
/// Distill's training step against PyTorch's on the same networks (tools/pytorch-reference/bench_resnet56.py, which
/// builds them from distill_models.py), batch, input size, thread count and optimizer, in one sitting, against PyTorch
/// at its best as well as its default: NCHW fp32 as shipped, channels-last fp32, and channels-last inside bf16
/// autocast. Each round times Distill's precisions in this process and each PyTorch configuration in a fresh python
/// process, the order reversed every other round so that drift on a shared machine falls on all. Prints every round,
/// the median of the per-round ratios of each Distill precision to each PyTorch configuration, and each side's
/// achieved GFLOP/s and share of this CPU's peak (<see cref="MachinePeak"/>, measured before and after) for the
/// FLOPs of a training image (three forward passes' multiply-adds, as `distill plan` counts them, x 2).
/// Skipped, with one line, where no python3 with torch is found.
/// </summary>
internal static class VersusPyTorch
{
    /// <summary>bench_resnet56.py's --config values: PyTorch as shipped, and as a CPU practitioner tunes it.</summary>
    internal static readonly string[] Configs = ["default", "channels-last", "channels-last-bf16"];

    /// <summary>
    /// --against's list: some of <see cref="Configs"/>. Fewer configurations make shorter rounds, so more of them fit a
    /// quiet spell of a shared machine and the two sides of a ratio run closer together.
    /// </summary>
    internal static IReadOnlyList<string> ParseConfigs(string list)
    {
        var chosen = list.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (chosen.Length == 0 || chosen.Any(c => !Configs.Contains(c)))
            throw new ArgumentException($"--against {list}: expected a comma-separated list of {string.Join(", ", Configs)}");
        return Configs.Where(chosen.Contains).ToArray();
    }

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
        var configs = options.Against ?? Configs;
        var before = MachinePeak.Measure(threads);
        Console.WriteLine($"versus PyTorch ({python.Value.Path}, torch {python.Value.Version}): training step, batch {options.BatchSize}, 32x32x3, {threads} threads, " +
                          $"{rounds} rounds of {options.Steps} timed steps after {options.Warmup} warm-up, per side and model; Distill {string.Join(", ", precisions.Select(p => p.Name()))}; " +
                          $"PyTorch {string.Join(", ", configs)}; odd rounds Distill first, even rounds PyTorch first (each side's order reversed)");
        Console.WriteLine(before is null ? "peak: not measured (no C compiler: apt-get install gcc)"
            : $"peak ({threads} threads, independent FMA chains): fp32 {before.Fp32:F0} GFLOP/s, bf16 {(before.Bf16 is { } b ? $"{b:F0} GFLOP/s" : "none (no AVX512_BF16)")}");
        Console.WriteLine($"{"round",5}  {"model",-9} {"side",-28} {"img/s",8}");
        var models = TrainingThroughput.Selected(options);
        var distill = models.ToDictionary(m => m.Name, _ => precisions.ToDictionary(p => p, _ => new List<Side>()));
        var pytorch = models.ToDictionary(m => m.Name, _ => configs.ToDictionary(c => c, _ => new List<Side>()));
        for (int round = 1; round <= rounds; round++)
        {
            foreach (var (name, factory) in models)
            {
                void RunDistill(Precision p)
                {
                    var side = Side.Of(options.BatchSize, TrainingThroughput.Measure(factory, options, p).Steps);
                    distill[name][p].Add(side);
                    Console.WriteLine($"{round,5}  {name,-9} {"Distill " + p.Name(),-28} {side.ImagesPerSecond,8:F0}");
                }
                void RunPyTorch(string config)
                {
                    var side = RunReference(python.Value.Path, script, name, config, threads, options);
                    pytorch[name][config].Add(side);
                    Console.WriteLine($"{round,5}  {name,-9} {"PyTorch " + config,-28} {side.ImagesPerSecond,8:F0}");
                }
                bool distillFirst = round % 2 == 1;
                if (distillFirst) foreach (var p in precisions) RunDistill(p);
                foreach (var c in distillFirst ? configs : configs.Reverse()) RunPyTorch(c);
                if (!distillFirst) foreach (var p in precisions.Reverse()) RunDistill(p);
            }
        }
        var after = MachinePeak.Measure(threads);
        var peak = before is null || after is null ? before ?? after
            : new MachinePeak(Math.Max(before.Fp32, after.Fp32), before.Bf16 is { } b1 && after.Bf16 is { } b2 ? Math.Max(b1, b2) : before.Bf16 ?? after.Bf16);
        if (after is not null) Console.WriteLine($"peak after: fp32 {after.Fp32:F0} GFLOP/s, bf16 {(after.Bf16 is { } afterBf16 ? $"{afterBf16:F0}" : "none")}; shares below use the higher of the two");
        foreach (var (name, _) in models)
            Summarise(name, distill[name], pytorch[name], TrainingFlops(name), peak);
    }

    private static void Summarise(string model, Dictionary<Precision, List<Side>> distill, Dictionary<string, List<Side>> pytorch, double flops, MachinePeak? peak)
    {
        string Achieved(double imagesPerSecond, bool bf16)
        {
            double gflops = imagesPerSecond * flops / 1e9;
            return peak?.For(bf16) is { } limit ? $"{gflops:F0} GFLOP/s, {100 * gflops / limit:F0} % of the {(bf16 ? "bf16" : "fp32")} peak" : $"{gflops:F0} GFLOP/s";
        }
        Console.WriteLine($"{model}: {flops / 1e9:F3} GFLOP per training image (3 x {flops / 6e9:F3} G multiply-adds x 2)");
        foreach (var (config, sides) in pytorch)
        {
            double median = Stats.Median(sides.Select(s => s.ImagesPerSecond).ToList());
            Console.WriteLine($"  PyTorch {config,-19} median {median,5:F0} img/s ({Achieved(median, config.EndsWith("bf16", StringComparison.Ordinal))}); " +
                              $"forward {Stats.Median(sides.Select(s => s.Forward).ToList()):F0}, backward {Stats.Median(sides.Select(s => s.Backward).ToList()):F0}, " +
                              $"optimizer {Stats.Median(sides.Select(s => s.Optimizer).ToList()):F1} ms");
        }
        foreach (var (precision, sides) in distill)
        {
            double median = Stats.Median(sides.Select(s => s.ImagesPerSecond).ToList());
            // Round by round: the sides of one round ran back to back, so their ratio carries the least drift.
            var ratios = pytorch.Select(c => $"{Stats.Median(sides.Zip(c.Value, (d, t) => d.ImagesPerSecond / t.ImagesPerSecond).ToList()):F2}x {c.Key}");
            Console.WriteLine($"  Distill {precision.Name(),-19} median {median,5:F0} img/s ({Achieved(median, precision == Precision.Bf16)}); " +
                              $"forward {Stats.Median(sides.Select(s => s.Forward).ToList()):F0}, backward {Stats.Median(sides.Select(s => s.Backward).ToList()):F0}, " +
                              $"optimizer {Stats.Median(sides.Select(s => s.Optimizer).ToList()):F1} ms; median ratio to PyTorch: {string.Join(", ", ratios)}");
        }
    }

    /// <summary>FLOPs of one training image (forward, and a backward of about twice its cost), from the architecture's own count.</summary>
    internal static double TrainingFlops(string model)
    {
        var (architecture, keys) = model switch
        {
            "resnet56" => ((Stages.Models.Architecture)new Stages.Models.ResNetArchitecture(), Pipelines.ParameterSet.From([KeyValuePair.Create("depth", (object)56)])),
            "alexnet" => (new Stages.Models.AlexNetArchitecture(), Pipelines.ParameterSet.Empty),
            _ => throw new ArgumentException($"no FLOP count for {model}"),
        };
        return 3 * 2 * architecture.ForwardMacs(keys, 3, 32, 32);
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

    internal static Side RunReference(string python, string script, string model, string config, int threads, BenchmarkOptions options)
    {
        using var json = JsonDocument.Parse(RunScript(python, script, "--model", model, "--config", config, "--threads", $"{threads}", "--steps", $"{options.Steps}",
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
