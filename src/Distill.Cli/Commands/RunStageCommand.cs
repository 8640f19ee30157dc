using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Distill.Cli.Display;
using Distill.Pipelines;
using Distill.Runs;
using Distill.Stages.Engine;

namespace Distill.Cli.Commands;

/// <summary>
/// `distill run-stage FILE --stage ID` (hidden): one stage of a pipeline in this process, for `distill run --jobs N`,
/// which holds the run's lock and started this process. The last line of output is the outcome as JSON.
/// </summary>
internal static class RunStageCommand
{
    public static Command Create()
    {
        var file = new Argument<string>("file") { Description = "Pipeline YAML file" };
        var stage = new Option<string>("--stage") { Description = "The stage id", Required = true };
        var threads = new Option<int?>("--threads") { Description = "CPU threads (overrides the pipeline's)" };
        var parent = new Option<int?>("--parent") { Description = "Process that started this one: when it dies, checkpoint and stop" };
        var identity = new Option<string?>("--identity") { Description = "The stage as resolved by the parent (key, definition, inputs' keys): taken as given, not computed again" };
        var device = new Option<string?>("--device") { Description = "Device (overrides the pipeline's): what the stage's batch job was given" };
        device.AcceptOnlyFromAmong("cpu", "cuda");
        var resolved = new Option<string?>("--resolved") { Description = "The pipeline as the parent loaded it (JSON): used instead of parsing FILE, which only names it" };
        var command = new Command("run-stage", "Run one stage of a pipeline (used by `run --jobs N` and the Slurm engine's jobs)") { file, stage, RunCommand.RunsRoot, threads, parent, identity, device, resolved };
        command.Hidden = true;
        command.SetAction(parse => Run(new RunRequest(parse.GetValue(file)!, parse.GetValue(RunCommand.RunsRoot)!, Threads: parse.GetValue(threads), Device: parse.GetValue(device)),
            parse.GetValue(stage)!, parse.GetValue(parent), parse.GetValue(identity), parse.GetValue(resolved)));
        return command;
    }

    /// <summary>The command line that runs <paramref name="stageId"/> of <paramref name="request"/>'s pipeline (resolved, when <paramref name="pipelineFile"/> holds it).</summary>
    public static IEnumerable<string> Arguments(RunRequest request, string stageId, string? identityFile, string? pipelineFile = null)
    {
        yield return "run-stage";
        yield return Path.GetFullPath(request.PipelinePath);
        yield return "--stage";
        yield return stageId;
        yield return "--runs";
        yield return Path.GetFullPath(request.RunsRoot);
        if (request.Threads is { } threads)
        {
            yield return "--threads";
            yield return threads.ToString(CultureInfo.InvariantCulture);
        }
        if (identityFile is not null)
        {
            yield return "--identity";
            yield return identityFile;
        }
        if (request.Device is { } device)
        {
            yield return "--device";
            yield return device;
        }
        if (pipelineFile is not null)
        {
            yield return "--resolved";
            yield return pipelineFile;
        }
        yield return "--parent";
        yield return Environment.ProcessId.ToString(CultureInfo.InvariantCulture);
    }

    /// <summary>The parent pid from /proc (Linux); null elsewhere, so nothing is stopped where we cannot tell.</summary>
    private static int? ParentOf(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            return int.Parse(fields[1], CultureInfo.InvariantCulture); // state, then ppid
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException or IndexOutOfRangeException) { return null; }
    }

    private static readonly JsonSerializerOptions OneLine = new(RunJson.Options) { WriteIndented = false };

    /// <summary>The exit code of a stage stopped with a checkpoint (a signal, `distill cancel`): not done, so a batch job that ends so is not a success its dependants may start after.</summary>
    public const int StoppedExitCode = 3;

    private static int Run(RunRequest request, string stageId, int? parent, string? identityFile, string? resolvedFile)
    {
        if (resolvedFile is not null)
            request = request with { Loaded = ResolvedPipelineJson.Read(File.ReadAllText(resolvedFile), Distill.Stages.Kinds.StageKindRegistry.Catalogue) };
        using var stop = new StopSignals();
        // A parent killed outright (SIGKILL, OOM killer) cannot stop us: when we are orphaned, stop as on SIGTERM,
        // so the stage checkpoints and its key lock is free for whoever resumes it.
        using var orphaned = parent is { } pid ? new Timer(_ =>
        {
            try { if (ParentOf(Environment.ProcessId) is { } current && current != pid) stop.Cancel(); }
            catch (ObjectDisposedException) { } // the stage ended as we looked
        }, null, 1000, 1000) : null;
        StageOutcome outcome;
        try
        {
            outcome = ConsoleRunObserver.Show(observer =>
                StageRegistry.CreateRunner().RunOneStage(request, stageId,
                    identityFile is null ? null : StagePointer.Load(identityFile), observer, stop.Token));
        }
        catch (PipelineInvalidException e)
        {
            foreach (var error in e.Errors) Console.Error.WriteLine(error);
            return 2;
        }
        Console.Out.Flush();
        Console.WriteLine(StageProcessLauncher.OutcomePrefix + JsonSerializer.Serialize(outcome, OneLine));
        return outcome.Status.Succeeded() ? 0 : outcome.Status == StageRunStatus.Cancelled ? StoppedExitCode : 1;
    }
}
