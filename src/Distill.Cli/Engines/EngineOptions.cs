using System.CommandLine;
using Distill.Cli.Cluster;

namespace Distill.Cli.Engines;

/// <summary>The `--engine` and `--connection` options of the commands that reach an engine, and the dispatch to it.</summary>
internal static class EngineOptions
{
    /// <summary>`--engine`, accepting the engines <paramref name="engines"/> lists (config key Engine for the worker).</summary>
    public static Option<string?> Engine(IReadOnlyList<IEngine> engines)
    {
        var option = new Option<string?>("--engine")
        {
            Description = string.Join(", ", engines.Select(e => e.Description)) + $"; default {engines[0].Name} (config key Engine)",
        };
        option.AcceptOnlyFromAmong([.. engines.Select(e => e.Name)]);
        return option;
    }

    /// <summary>`--connection` (config key Connection).</summary>
    public static Option<string?> Connection() =>
        new("--connection") { Description = "PostgreSQL connection string for --engine postgres, e.g. \"Host=db;Port=5432;Username=distill;Database=distill\" (config key Connection, env DISTILL_CONNECTION)" };

    /// <summary>
    /// Runs <paramref name="action"/> on the engine the command line names, once the engine is shown reachable
    /// (<see cref="IEngine.Unavailable"/>: its one line is all a command prints when it is not).
    /// </summary>
    public static int Dispatch(ParseResult parse, IReadOnlyList<IEngine> engines, Option<string?> engine, Option<string> root,
        Option<string?> connection, Func<IEngine, EngineCall, int> action)
    {
        var chosen = Engines.Named(engines, parse.GetValue(engine));
        var call = new EngineCall(parse.GetValue(root)!, ClusterConnection.Resolve(parse.GetValue(connection)), Console.Out, Console.Error);
        if (chosen.Unavailable(call) is { } problem)
        {
            call.Error.WriteLine(problem.Message);
            return problem.Code;
        }
        return action(chosen, call);
    }
}
