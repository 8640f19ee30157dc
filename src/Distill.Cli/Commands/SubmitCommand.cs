using System.CommandLine;
using Distill.Cli.Engines;
using Distill.Cli.Worker;

namespace Distill.Cli.Commands;

/// <summary>`distill submit FILE --root DIR [--engine E]`: validate, then hand a copy to the engine.</summary>
internal static class SubmitCommand
{
    public static Command Create() => Create(Engines.Engines.All);

    public static Command Create(IReadOnlyList<IEngine> engines)
    {
        var root = WorkerRootOption.Create();
        var file = new Argument<string>("file") { Description = "Pipeline YAML file" };
        var engine = EngineOptions.Engine(engines);
        var connection = EngineOptions.Connection();
        var command = new Command("submit", "Validate a pipeline and hand it to an engine (queued for workers or Slurm; in-process: run now)") { file, root, engine, connection };
        command.SetAction(parse => EngineOptions.Dispatch(parse, engines, engine, root, connection,
            (e, call) => e.Submit(call, parse.GetValue(file)!)));
        return command;
    }
}
