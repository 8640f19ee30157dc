using System.CommandLine;
using Distill.Cli.Engines;

namespace Distill.Cli.Commands;

/// <summary>`distill dashboard --engine E --root DIR`: the engine's web dashboard, where it has one
/// (postgres: <see cref="Cluster.Dashboard"/>).</summary>
internal static class DashboardCommand
{
    public static Command Create() => Create(Engines.Engines.All);

    public static Command Create(IReadOnlyList<IEngine> engines)
    {
        var engine = EngineOptions.Engine(engines);
        var connection = EngineOptions.Connection();
        var root = Worker.WorkerRootOption.Create();
        var urls = new Option<string>("--urls") { Description = "Address to serve on", DefaultValueFactory = _ => "http://127.0.0.1:5080" };
        var token = new Option<string?>("--token")
        {
            Description = "Access token that unlocks Hangfire's buttons (env DISTILL_DASHBOARD_TOKEN); without one the dashboard is read-only",
        };
        var command = new Command("dashboard",
            "Serve a read-only web dashboard of an engine that has one (postgres): workers, jobs, and a page per run")
        {
            engine, connection, root, urls, token,
        };
        command.SetAction(parse =>
        {
            var chosen = Engines.Engines.Named(engines, parse.GetValue(engine));
            if (chosen.Dashboard is null)
            {
                var withOne = string.Join(" or ", engines.Where(e => e.Dashboard is not null).Select(e => $"--engine {e.Name}"));
                Console.Error.WriteLine($"error: the {chosen.Name} engine has no dashboard; pass {withOne}");
                return 2;
            }
            var accessToken = parse.GetValue(token) ?? Environment.GetEnvironmentVariable("DISTILL_DASHBOARD_TOKEN");
            return EngineOptions.Dispatch(parse, engines, engine, root, connection,
                (e, call) => e.Dashboard!.Serve(call, parse.GetValue(urls)!, accessToken));
        });
        return command;
    }
}
