using System.Diagnostics;
using System.Text;

namespace Distill.EndToEnd.Tests.Support;

/// <summary>Runs the real `distill` program (the Cli assembly copied next to the tests) as a child process.</summary>
public static class DistillCli
{
    public static string Assembly => Path.Combine(AppContext.BaseDirectory, "distill.dll");

    /// <summary>The repository root (the folder holding Distill.sln).</summary>
    public static string RepositoryRoot
    {
        get
        {
            var dir = new DirectoryInfo(AppContext.BaseDirectory);
            while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Distill.sln"))) dir = dir.Parent;
            return dir?.FullName ?? throw new InvalidOperationException("Distill.sln not found above " + AppContext.BaseDirectory);
        }
    }

    public static string TestPipeline(string name) => Path.Combine(AppContext.BaseDirectory, "Pipelines", name);

    /// <summary>A started `distill` process whose output is collected.</summary>
    public sealed class Running : IDisposable
    {
        private readonly StringBuilder _output = new();

        internal Running(Process process)
        {
            Process = process;
            process.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (_output) _output.AppendLine(e.Data); };
            process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (_output) _output.AppendLine(e.Data); };
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
        }

        public Process Process { get; }

        public string Output
        {
            get { lock (_output) return _output.ToString(); }
        }

        public bool WaitForExit(TimeSpan timeout)
        {
            if (!Process.WaitForExit(timeout)) return false;
            Process.WaitForExit(); // drain the output handlers
            return true;
        }

        /// <summary>Sends a POSIX signal (TERM, KILL...) as `kill` would.</summary>
        public void Signal(string name)
        {
            using var kill = System.Diagnostics.Process.Start("kill", $"-{name} {Process.Id}");
            kill.WaitForExit();
        }

        public void Dispose()
        {
            if (!Process.HasExited)
            {
                Process.Kill(entireProcessTree: true);
                Process.WaitForExit();
            }
            Process.Dispose();
        }
    }

    public static Running Start(params string[] arguments) => Start(new Dictionary<string, string>(), arguments);

    /// <summary>Starts `distill` with extra environment variables (e.g. worker settings as DISTILL_*).</summary>
    public static Running Start(IReadOnlyDictionary<string, string> environment, params string[] arguments)
    {
        var info = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var (name, value) in environment) info.Environment[name] = value;
        info.ArgumentList.Add(Assembly);
        foreach (var a in arguments) info.ArgumentList.Add(a);
        return new Running(Process.Start(info)!);
    }

    /// <summary>Runs to the end; fails the test if it takes longer than the timeout.</summary>
    public static (int ExitCode, string Output) Run(TimeSpan timeout, params string[] arguments) =>
        Run(new Dictionary<string, string>(), timeout, arguments);

    /// <summary>Runs to the end with extra environment variables (a Slurm cluster's SLURM_CONF).</summary>
    public static (int ExitCode, string Output) Run(IReadOnlyDictionary<string, string> environment, TimeSpan timeout, params string[] arguments)
    {
        using var running = Start(environment, arguments);
        Assert.True(running.WaitForExit(timeout), $"distill {string.Join(' ', arguments)} did not finish within {timeout}:\n{running.Output}");
        return (running.Process.ExitCode, running.Output);
    }
}
