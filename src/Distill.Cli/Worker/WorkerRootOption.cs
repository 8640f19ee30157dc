using System.CommandLine;

namespace Distill.Cli.Worker;

/// <summary>The `--root DIR` option of submit, status and cancel (one instance per command).</summary>
internal static class WorkerRootOption
{
    public static Option<string> Create() => new("--root")
    {
        Description = "Worker folder holding queue/, cancel/ and runs/ (env DISTILL_ROOT; default: current folder)",
        DefaultValueFactory = _ => Environment.GetEnvironmentVariable("DISTILL_ROOT") ?? ".",
    };
}
