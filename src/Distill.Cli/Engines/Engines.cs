namespace Distill.Cli.Engines;

/// <summary>The engines of this build, one line each: the one place a new engine is registered.</summary>
internal static class Engines
{
    public static IReadOnlyList<IEngine> All { get; } =
    [
        new FilesEngine(),
        new InProcessEngine(),
        new ProcessesEngine(),
        new PostgresEngine(),
        new SlurmEngine(),
    ];

    /// <summary>The engine a command uses when `--engine` is not given.</summary>
    public static IEngine Default => All[0];

    /// <summary>The engine named <paramref name="name"/> (the default for null) among <paramref name="engines"/>.</summary>
    public static IEngine Named(IReadOnlyList<IEngine> engines, string? name) =>
        name is null ? engines[0] : engines.Single(e => e.Name == name);
}
