using System.Diagnostics;
using System.Globalization;

namespace Distill.Benchmarks;

/// <summary>
/// `parallel`: wall time of a pipeline of six independent tiny teachers run by `distill run` with 1 job x all cores
/// against J jobs x cores/J threads (J = 2, 3, 6), each repeated (--repeats) on a fresh runs folder; --images sets
/// each teacher's training images, --epochs its epochs (default 2). Calls the built CLI (src/Distill.Cli/bin/Release/net10.0/distill.dll, or DISTILL_CLI).
/// </summary>
internal static class ParallelStages
{
    private const int Stages = 6;

    public static void Run(BenchmarkOptions options)
    {
        var cli = Environment.GetEnvironmentVariable("DISTILL_CLI") ?? Path.Combine(RepositoryRoot(), "src", "Distill.Cli", "bin", "Release", "net10.0", "distill.dll");
        if (!File.Exists(cli)) throw new FileNotFoundException($"build the CLI first (dotnet build src/Distill.Cli -c Release): {cli}");
        int cores = options.Threads > 0 ? options.Threads : Environment.ProcessorCount;
        int repeats = Math.Max(1, options.Repeats);
        int epochs = options.Epochs == 10 ? 2 : options.Epochs; // 10 is the memory suite's default, not asked for here
        Console.WriteLine($"## parallel: {Stages} independent ResNet-8/8 teachers ({options.Images} Fashion-MNIST images, {epochs} epochs), {cores} cores, median of {repeats}");
        Console.WriteLine("jobs x threads   wall (s)   vs 1 job");
        double? serial = null;
        foreach (int jobs in new[] { 1, 2, 3, 6 })
        {
            int threads = Math.Max(1, cores / jobs);
            var walls = Enumerable.Range(0, repeats).Select(_ => Time(cli, jobs, threads, options.Images, epochs)).Order().ToList();
            var median = walls[walls.Count / 2];
            serial ??= median;
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{jobs,4} x {threads,-8} {median,9:F1}   {serial / median,6:F2}x   (runs: {string.Join(", ", walls.Select(w => w.ToString("F1", CultureInfo.InvariantCulture)))})"));
        }
    }

    private static double Time(string cli, int jobs, int threads, int images, int epochs)
    {
        var folder = Directory.CreateTempSubdirectory("distill-bench-parallel-").FullName;
        try
        {
            var file = Path.Combine(folder, "parallel.yaml");
            File.WriteAllText(file, Pipeline(threads, images, epochs));
            var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            foreach (var a in new[] { cli, "run", file, "--runs", Path.Combine(folder, "runs"), "--jobs", jobs.ToString(CultureInfo.InvariantCulture) })
                info.ArgumentList.Add(a);
            var clock = Stopwatch.StartNew();
            using var process = Process.Start(info)!;
            var output = process.StandardOutput.ReadToEndAsync();
            var errors = process.StandardError.ReadToEndAsync();
            process.WaitForExit();
            if (process.ExitCode != 0) throw new InvalidOperationException($"distill run failed:\n{output.Result}\n{errors.Result}");
            return clock.Elapsed.TotalSeconds;
        }
        finally { Directory.Delete(folder, recursive: true); }
    }

    private static string Pipeline(int threads, int images, int epochs) => $$"""
        name: parallel
        seed: 1
        threads: {{threads}}
        datasets:
          fmnist: { kind: fashion-mnist, validation: 100, subset: { train: {{images}}, test: 200 } }
        models:
          tiny: { architecture: resnet, depth: 8, width: 8 }
        stages:
          teacher:
            kind: train
            dataset: fmnist
            model: tiny
            epochs: {{epochs}}
            batch-size: 32
            matrix: { alpha: [0.0, 0.02, 0.04, 0.06, 0.08, 0.1] }
            id: "teacher-${alpha}"
            alpha: ${alpha}
        """;

    private static string RepositoryRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Distill.sln"))) dir = dir.Parent;
        return dir?.FullName ?? throw new DirectoryNotFoundException("run from inside the repository");
    }
}
