using System.CommandLine;
using Distill.Cli.Cluster;
using Distill.Cli.Worker;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Hosting;

namespace Distill.Cli.Commands;

/// <summary>`distill dashboard --engine postgres --connection CS --root DIR`: see <see cref="Dashboard"/>.</summary>
internal static class DashboardCommand
{
    public static Command Create()
    {
        var engine = WorkerCommand.EngineOption();
        var connection = WorkerCommand.ConnectionOption();
        var root = Worker.WorkerRootOption.Create();
        var urls = new Option<string>("--urls") { Description = "Address to serve on", DefaultValueFactory = _ => "http://127.0.0.1:5080" };
        var token = new Option<string?>("--token") { Description = "Access token that unlocks Hangfire's buttons (env DISTILL_DASHBOARD_TOKEN); without one the dashboard is read-only" };
        var command = new Command("dashboard", "Serve a read-only web dashboard of the postgres engine: workers, jobs, and a page per run") { engine, connection, root, urls, token };
        command.SetAction(parse =>
        {
            var cs = ClusterConnection.Resolve(parse.GetValue(connection));
            if (parse.GetValue(engine) != WorkerEngines.Postgres || string.IsNullOrWhiteSpace(cs))
            {
                Console.Error.WriteLine("error: the dashboard serves the postgres engine: pass --engine postgres --connection \"Host=...;Database=...\"");
                return 2;
            }
            if (ClusterConnection.Unreachable(cs) is { } unreachable)
            {
                Console.Error.WriteLine(unreachable);
                return 1;
            }
            var app = Dashboard.Build(cs, parse.GetValue(root)!, parse.GetValue(urls)!,
                parse.GetValue(token) ?? Environment.GetEnvironmentVariable("DISTILL_DASHBOARD_TOKEN"));
            try
            {
                app.Start();
            }
            catch (IOException e) // Kestrel: the address is in use, or cannot be bound
            {
                Console.Error.WriteLine($"error: cannot serve the dashboard on {parse.GetValue(urls)}: {e.Message.ReplaceLineEndings(" ")}");
                return 1;
            }
            Console.WriteLine($"Dashboard on {parse.GetValue(urls)} (/runs, /hangfire)");
            app.WaitForShutdown();
            return 0;
        });
        return command;
    }
}
