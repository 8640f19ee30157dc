using System.CommandLine;
using Distill.Stages.Comparison;

namespace Distill.Cli.Commands;

/// <summary>
/// `distill compare A B`: what differs between two runs (or `A:stage B:stage`, two stages): the resolved settings
/// that differ and the final metrics side by side, as Markdown, CSV or JSON.
/// </summary>
internal static class CompareCommand
{
    public static Command Create()
    {
        var a = new Argument<string>("a") { Description = "Run A: a run name under --runs, or a run folder; RUN:STAGE for one stage" };
        var b = new Argument<string>("b") { Description = "Run B, as A" };
        var format = new Option<string>("--format") { Description = "md, csv or json", DefaultValueFactory = _ => "md" };
        format.AcceptOnlyFromAmong("md", "csv", "json");
        var command = new Command("compare", "Show which settings and final metrics differ between two runs or two stages") { a, b, RunCommand.RunsRoot, format };
        command.SetAction(parse => Run(parse.GetValue(a)!, parse.GetValue(b)!, parse.GetValue(RunCommand.RunsRoot)!, parse.GetValue(format)!, Console.Out));
        return command;
    }

    internal static int Run(string a, string b, string runsRoot, string format, TextWriter output)
    {
        var (runA, stageA) = Split(a, runsRoot);
        var (runB, stageB) = Split(b, runsRoot);
        if ((stageA is null) != (stageB is null))
        {
            Console.Error.WriteLine("error: give a stage on both sides (A:stage B:stage) or on neither");
            return 2;
        }
        IReadOnlyList<StageComparison> comparisons;
        try
        {
            comparisons = stageA is null ? RunComparer.CompareRuns(runA, runB) : [RunComparer.CompareStages(runA, stageA, runB, stageB!)];
        }
        catch (ArgumentException e)
        {
            Console.Error.WriteLine($"error: {e.Message}");
            return 2;
        }
        output.Write(format switch
        {
            "csv" => ComparisonFormat.Csv(comparisons),
            "json" => ComparisonFormat.Json(comparisons) + "\n",
            _ => ComparisonFormat.Markdown(runA, runB, comparisons),
        });
        return 0;
    }

    /// <summary>"name" or "name:stage" -> (run folder, stage); a name is looked up under the runs root unless it is a folder itself.</summary>
    private static (string Run, string? Stage) Split(string given, string runsRoot)
    {
        var colon = given.LastIndexOf(':');
        var (run, stage) = colon > 0 && !given[(colon + 1)..].Contains('/') ? (given[..colon], given[(colon + 1)..]) : (given, null);
        return (Directory.Exists(run) ? run : Path.Combine(runsRoot, run), stage);
    }
}
