using Distill.Cli.Commands;
using Distill.Cli.Engines;
using Distill.EndToEnd.Tests.Support;

namespace Distill.EndToEnd.Tests;

/// <summary>
/// A new engine is one class behind <see cref="IEngine"/> and one line in <see cref="Engines.All"/>: the commands reach
/// it by its name alone. Shown with a test double registered beside this build's engines.
/// </summary>
public sealed class EngineInterfaceTests : IDisposable
{
    private readonly TempFolder _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public void Submit_status_and_cancel_reach_a_new_engine_by_its_name_alone()
    {
        var notebook = new RecordingEngine();
        IReadOnlyList<IEngine> engines = [.. Engines.All, notebook];
        var root = _temp.Combine("root");

        Assert.Equal(0, SubmitCommand.Create(engines).Parse(["pipeline.yaml", "--engine", "notebook", "--root", root]).Invoke());
        Assert.Equal(0, StatusCommand.Create(engines).Parse(["--engine", "notebook", "--root", root]).Invoke());
        Assert.Equal(0, CancelCommand.Create(engines).Parse(["smoke", "--engine", "notebook", "--root", root]).Invoke());

        Assert.Equal(["submit pipeline.yaml", "status (all runs)", "cancel smoke"], notebook.Calls);
        Assert.All(notebook.Roots, r => Assert.Equal(root, r));
    }

    [Fact]
    public void An_unreachable_engine_stops_every_command_with_its_one_line_and_code()
    {
        var notebook = new RecordingEngine { Problem = (3, "error: the notebook server is asleep") };
        IReadOnlyList<IEngine> engines = [notebook];

        Assert.Equal(3, SubmitCommand.Create(engines).Parse(["pipeline.yaml", "--engine", "notebook"]).Invoke());
        Assert.Equal(3, CancelCommand.Create(engines).Parse(["smoke"]).Invoke()); // the first engine listed is the default
        Assert.Empty(notebook.Calls);
    }

    [Fact]
    public void The_dashboard_refuses_an_engine_without_one_and_names_those_with_one()
    {
        var notebook = new RecordingEngine();
        var error = new StringWriter();
        var previous = Console.Error;
        Console.SetError(error);
        try { Assert.Equal(2, DashboardCommand.Create([.. Engines.All, notebook]).Parse(["--engine", "notebook"]).Invoke()); }
        finally { Console.SetError(previous); }

        Assert.Contains("the notebook engine has no dashboard; pass --engine postgres", error.ToString());
    }

    [Fact]
    public void Run_picks_the_first_foreground_engine_that_runs_the_jobs_asked_for_and_refuses_one_that_cannot()
    {
        var notebook = new RecordingEngine { Serves = jobs => jobs == 4 };
        IReadOnlyList<IEngine> engines = [.. Engines.All, notebook];
        var runs = _temp.Combine("runs");

        Assert.Equal(0, RunCommand.Create(engines).Parse(["pipeline.yaml", "--runs", runs, "--engine", "notebook", "--jobs", "4"]).Invoke());
        Assert.Equal(["run pipeline.yaml with 4 jobs"], notebook.Calls);
        Assert.Equal([runs], notebook.Roots);

        var error = new StringWriter();
        var previous = Console.Error;
        Console.SetError(error);
        try { Assert.Equal(2, RunCommand.Create(engines).Parse(["pipeline.yaml", "--engine", "in-process", "--jobs", "2"]).Invoke()); }
        finally { Console.SetError(previous); }
        Assert.Contains("engine 'in-process' cannot run --jobs 2 stages at once; --engine processes can", error.ToString());
        Assert.Single(notebook.Calls); // refused before any engine ran
    }

    [Fact]
    public void Cancel_with_a_foreground_engine_says_when_no_process_is_running_the_run()
    {
        var error = new StringWriter();
        var previous = Console.Error;
        Console.SetError(error);
        try { Assert.Equal(1, CancelCommand.Create().Parse(["smoke", "--engine", "in-process", "--root", _temp.Path]).Invoke()); }
        finally { Console.SetError(previous); }
        Assert.Contains("nothing to cancel: no process is running 'smoke'", error.ToString());
        Assert.False(Directory.Exists(Path.Combine(_temp.Path, "runs", "smoke")), "asking created the run's folder");
    }

    private sealed class RecordingEngine : IEngine, IEngineForeground
    {
        public List<string> Calls { get; } = [];

        public List<string> Roots { get; } = [];

        public (int Code, string Message)? Problem { get; init; }

        public string Name => "notebook";

        public string Description => "notebook (a test double)";

        public (int Code, string Message)? Unavailable(EngineCall call) => Problem;

        public int Submit(EngineCall call, string file) => Record(call, $"submit {file}");

        public int Cancel(EngineCall call, string run) => Record(call, $"cancel {run}");

        public int Status(EngineCall call, string? run, Spectre.Console.IAnsiConsole console) => Record(call, $"status {run ?? "(all runs)"}");

        public Func<int, bool> Serves { get; init; } = _ => false;

        public IEngineForeground Foreground => this;

        public bool Runs(int jobs) => Serves(jobs);

        public int Run(EngineCall call, string file, string runsRoot, int jobs) => Record(call, $"run {file} with {jobs} jobs");

        private int Record(EngineCall call, string what)
        {
            Calls.Add(what);
            Roots.Add(call.Root);
            return 0;
        }
    }
}
