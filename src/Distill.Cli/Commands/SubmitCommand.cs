using System.CommandLine;
using Distill.Cli.Cluster;
using Distill.Cli.Queue;
using Distill.Cli.Slurm;
using Distill.Cli.Worker;

namespace Distill.Cli.Commands;

/// <summary>`distill submit FILE --root DIR`: validate, then queue a copy for `distill worker`.</summary>
internal static class SubmitCommand
{
    public static Command Create()
    {
        var root = WorkerRootOption.Create();
        var file = new Argument<string>("file") { Description = "Pipeline YAML file" };
        var engine = WorkerCommand.EngineOption(slurm: true);
        var connection = WorkerCommand.ConnectionOption();
        var command = new Command("submit", "Validate a pipeline and queue it for a worker") { file, root, engine, connection };
        command.SetAction(parse =>
        {
            if (parse.GetValue(engine) == WorkerEngines.Slurm)
                return SlurmSubmitter.Submit(parse.GetValue(file)!, parse.GetValue(root)!, Console.Out);
            if (parse.GetValue(engine) == WorkerEngines.Postgres)
                return ClusterSubmitter.Submit(parse.GetValue(file)!, parse.GetValue(root)!,
                    ClusterConnection.Resolve(parse.GetValue(connection)), Console.Out);
            var layout = new QueueLayout(parse.GetValue(root)!);
            var result = new PipelineSubmitter(layout).Submit(parse.GetValue(file)!, DateTimeOffset.UtcNow);
            if (!result.Succeeded)
            {
                foreach (var error in result.Errors) Console.Error.WriteLine(error);
                return 1;
            }
            Console.WriteLine($"Queued {Path.GetFileName(result.QueuedPath)} in {layout.Queue}");
            return 0;
        });
        return command;
    }
}
