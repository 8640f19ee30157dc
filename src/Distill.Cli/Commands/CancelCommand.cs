using System.CommandLine;
using Distill.Cli.Engines;
using Distill.Cli.Worker;

namespace Distill.Cli.Commands;

/// <summary>`distill cancel RUN --root DIR [--engine E]`: drop a pipeline's waiting work and stop its running stages
/// after their current step.</summary>
internal static class CancelCommand
{
    public static Command Create() => Create(Engines.Engines.All);

    public static Command Create(IReadOnlyList<IEngine> engines)
    {
        var run = new Argument<string>("run") { Description = "Run (pipeline) name" };
        var root = WorkerRootOption.Create();
        var engine = EngineOptions.Engine(engines);
        var connection = EngineOptions.Connection();
        var command = new Command("cancel", "Cancel a queued or running pipeline of a worker") { run, root, engine, connection };
        command.SetAction(parse => EngineOptions.Dispatch(parse, engines, engine, root, connection,
            (e, call) => e.Cancel(call, parse.GetValue(run)!)));
        return command;
    }
}
