using System.Diagnostics;
using System.Reflection;
using System.Text.Json;
using Distill.Pipelines;
using Distill.Runs;
using Distill.Stages.Engine;

namespace Distill.Cli.Commands;

/// <summary>
/// Runs a stage as `distill run-stage` in a child process: its lines go to the parent's observer, and its last line
/// says how it ended. A child that dies without saying (SIGKILL, a native crash) is reported failed; its stage keeps
/// its checkpoint, so the next run resumes it. Stopping the run sends the child SIGTERM, which checkpoints and exits.
/// </summary>
/// <param name="environment">Extra environment variables for the stage process (a GPU slot's CUDA_VISIBLE_DEVICES).</param>
internal sealed class StageProcessLauncher(IReadOnlyDictionary<string, string>? environment = null) : IStageLauncher
{
    public const string OutcomePrefix = "distill-stage-outcome: ";

    public StageOutcome Run(RunRequest request, string stageId, StagePointer? identity, IRunObserver observer, CancellationToken stop)
    {
        var clock = Stopwatch.StartNew();
        using var resolved = identity is null ? null : TemporaryFile.Write("stage", identity.Save);
        using var pipeline = request.Loaded is { } loaded ? TemporaryFile.Write("pipeline", path => AtomicFile.WriteAllText(path, ResolvedPipelineJson.Write(loaded))) : null;
        var info = new ProcessStartInfo(Environment.ProcessPath!)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        // Stage processes side by side share the cores: OpenMP threads that spin while they wait for work take the
        // cores from the other processes (measured: three 2-thread workers on 2 cores took 153 s spinning, 49 s with
        // passive waits, for six stages one worker ran in 50-60 s). A value the user set wins.
        if (Environment.GetEnvironmentVariable("OMP_WAIT_POLICY") is null) info.Environment["OMP_WAIT_POLICY"] = "PASSIVE";
        foreach (var (name, value) in environment ?? new Dictionary<string, string>()) info.Environment[name] = value;
        // Under `dotnet distill.dll` the host needs the program's path; an app host (`distill`) does not.
        if (Path.GetFileNameWithoutExtension(Environment.ProcessPath) == "dotnet") info.ArgumentList.Add(Assembly.GetEntryAssembly()!.Location);
        foreach (var argument in RunStageCommand.Arguments(request, stageId, resolved?.Path, pipeline?.Path)) info.ArgumentList.Add(argument);

        StageOutcome? reported = null;
        using var child = new Process { StartInfo = info };
        void OnLine(string? line)
        {
            if (line is null) return;
            if (line.StartsWith(OutcomePrefix, StringComparison.Ordinal))
                reported = JsonSerializer.Deserialize<StageOutcome>(line[OutcomePrefix.Length..], RunJson.Options);
            else if (line.Length > 0) observer.Info(line);
        }
        child.OutputDataReceived += (_, e) => OnLine(e.Data);
        child.ErrorDataReceived += (_, e) => OnLine(e.Data);
        child.Start();
        child.BeginOutputReadLine();
        child.BeginErrorReadLine();
        using (stop.Register(() => { if (!child.HasExited) Signals.Terminate(child.Id); }))
            child.WaitForExit();

        return reported is { } outcome
            ? outcome with { Duration = clock.Elapsed }
            : new StageOutcome(stageId, "?", StageRunStatus.Failed,
                $"its process (pid {child.Id}) ended with exit code {child.ExitCode} without reporting how the stage ended (killed, or a native crash); run again to resume it from its checkpoint",
                clock.Elapsed);
    }

    /// <summary>What is handed to the stage process (its resolved stage, the resolved pipeline), in a temporary file removed when the process has ended.</summary>
    private sealed class TemporaryFile(string path) : IDisposable
    {
        public string Path { get; } = path;

        public static TemporaryFile Write(string what, Action<string> write)
        {
            var path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), $"distill-{what}-{Guid.NewGuid():N}.json");
            write(path);
            return new TemporaryFile(path);
        }

        public void Dispose() => File.Delete(Path);
    }
}
