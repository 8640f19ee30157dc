using System.Globalization;
using System.Net;
using System.Text;
using Distill.Cli.Commands;
using Distill.Cli.Status;
using Hangfire.Dashboard;
using Hangfire;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Distill.Cli.Cluster;

/// <summary>
/// `distill dashboard --engine postgres`: Hangfire's dashboard at /hangfire (workers, queues, failed jobs with their
/// exceptions) and one page per run at /runs/&lt;name&gt;: its stages with state, worker, epoch and latest metrics, and a
/// link to its report. Read-only for everyone who can reach the port; with an access token configured (--token,
/// DISTILL_DASHBOARD_TOKEN), a browser that opened any page with ?token=&lt;token&gt; may also use Hangfire's buttons
/// (retry, delete).
/// </summary>
public static class Dashboard
{
    public const string TokenCookie = "distill-dashboard-token";

    public static WebApplication Build(string connection, string root, string url, string? token)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls(url);
        // A start-up failure (the port in use) is the command's one line, not the host's stack trace.
        builder.Logging.AddFilter("Microsoft.Extensions.Hosting.Internal.Host", LogLevel.Critical);
        var storage = ClusterStorage.Create(connection);
        builder.Services.AddHangfire(c => ClusterStorage.Configure(c, storage));
        var app = builder.Build();
        var runs = new ClusterLayout(root).Runs;

        app.Use(async (context, next) =>
        {
            // ?token=... once: remembered in a cookie for Hangfire's own requests.
            if (token is not null && context.Request.Query["token"] == token)
                context.Response.Cookies.Append(TokenCookie, token, new CookieOptions { HttpOnly = true, SameSite = SameSiteMode.Strict });
            await next();
        });
        app.UseHangfireDashboard("/hangfire", new DashboardOptions
        {
            DashboardTitle = "Distill",
            AppPath = "/runs",
            Authorization = [new Anyone()],
            IsReadOnlyFunc = context => !HasToken(context.GetHttpContext(), token),
        });
        app.MapGet("/", () => Results.Redirect("/runs"));
        app.MapGet("/runs", () => Html("Runs", RunsPage(runs)));
        app.MapGet("/runs/{name}", (string name) =>
            RunStatusReader.ReadRun(runs, name, DateTimeOffset.UtcNow) is { } stages ? Html($"Run {name}", RunPage(runs, name, stages), refreshSeconds: 5) : Results.NotFound());
        app.MapGet("/runs/{name}/report", (string name) =>
            ReportLocator.Find(Path.Combine(runs, name)) is { } report ? Results.File(report, "text/html") : Results.NotFound());
        return app;
    }

    private static bool HasToken(HttpContext context, string? token) =>
        token is not null && (context.Request.Query["token"] == token || context.Request.Cookies[TokenCookie] == token);

    private sealed class Anyone : IDashboardAuthorizationFilter
    {
        public bool Authorize(DashboardContext context) => true;
    }

    private static string RunsPage(string runs)
    {
        var rows = RunStatusReader.ListRuns(runs).Select(r =>
            $"<tr><td><a href=\"/runs/{E(r.Name)}\">{E(r.Name)}</a></td><td>{r.Completed}/{r.Total}</td><td class=\"{E(r.State)}\">{E(r.State)}</td><td>{r.LastChange:yyyy-MM-dd HH:mm:ss}</td></tr>");
        return $"<table><tr><th>run</th><th>stages</th><th>state</th><th>last change (UTC)</th></tr>{string.Concat(rows)}</table>";
    }

    private static string RunPage(string runs, string name, IReadOnlyList<StageStatusRow> stages)
    {
        var report = ReportLocator.Find(Path.Combine(runs, name)) is null ? "no report yet" : $"<a href=\"/runs/{E(name)}/report\">report</a>";
        var rows = stages.Select(s =>
            $"<tr><td>{E(s.StageId)}</td><td>{E(s.Kind)}</td><td class=\"{E(s.State)}\">{E(s.State)}</td><td>{E(s.Worker ?? "")}</td>" +
            $"<td>{(s.Progress is { } p ? $"{p.Epoch}{(s.Epochs is { } n ? $"/{n}" : "")}" : "")}</td>" +
            $"<td>{P(s.ValidationAccuracy)}</td><td>{P(s.TestAccuracy)}</td><td>{F(s.TestEce)}</td>" +
            $"<td>{(s.Duration is { } d ? d.TotalSeconds.ToString("0", CultureInfo.InvariantCulture) + " s" : "")}</td><td>{E(s.Reason ?? "")}</td></tr>");
        return $"<p>{report} · <a href=\"/hangfire\">jobs and workers</a> · <a href=\"/runs\">all runs</a></p>" +
            "<table><tr><th>stage</th><th>kind</th><th>state</th><th>worker</th><th>epoch</th><th>val acc</th><th>test acc</th><th>ECE</th><th>time</th><th>reason</th></tr>" +
            string.Concat(rows) + "</table>";
    }

    private static IResult Html(string title, string body, int? refreshSeconds = null)
    {
        var refresh = refreshSeconds is { } s ? $"<meta http-equiv=\"refresh\" content=\"{s}\">" : "";
        var page = new StringBuilder()
            .Append("<!doctype html><html><head><meta charset=\"utf-8\">").Append(refresh).Append("<title>").Append(E(title)).Append(" - Distill</title>")
            .Append("<style>body{font-family:sans-serif;margin:2em}table{border-collapse:collapse}td,th{border:1px solid #999;padding:4px 10px;text-align:left}")
            .Append("th{background:#234;color:#fff}.completed{background:#cfc}.running{background:#ffc}.failed{background:#fcc}.cancelled{background:#eee}</style></head>")
            .Append("<body><h1>").Append(E(title)).Append("</h1>").Append(body).Append("</body></html>");
        return Results.Content(page.ToString(), "text/html; charset=utf-8");
    }

    private static string E(string text) => WebUtility.HtmlEncode(text);

    private static string P(double? value) => value is { } v ? (100 * v).ToString("0.00", CultureInfo.InvariantCulture) + " %" : "";

    private static string F(double? value) => value is { } v ? v.ToString("0.0000", CultureInfo.InvariantCulture) : "";
}
