namespace Distill.Cli.Worker;

/// <summary>
/// Settings of `distill worker`, read from appsettings.json (next to the program, then the current folder),
/// environment variables with the prefix DISTILL_ (DISTILL_ROOT, DISTILL_POLLINTERVAL, ...) and the command line,
/// later sources winning. Time spans use the .NET format, e.g. "00:00:02".
/// </summary>
internal sealed class WorkerOptions
{
    /// <summary>Folder holding queue/, cancel/ and runs/.</summary>
    public string Root { get; set; } = ".";

    /// <summary>How often an idle worker looks for new files, and a busy one for cancel requests.</summary>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>How long SIGTERM / Ctrl-C waits for the current step to finish and checkpoint (HostOptions.ShutdownTimeout).</summary>
    public TimeSpan ShutdownTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How long a file whose run directory is owned by another process waits before it is tried again.</summary>
    public TimeSpan LockedRetryDelay { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How often a training step is logged (every epoch end is logged anyway).</summary>
    public TimeSpan StepLogInterval { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary><c>console</c> (one line per message) or <c>json</c> (one JSON object per message, for log collectors).</summary>
    public string LogFormat { get; set; } = "console";

    /// <summary>One line per problem, empty when the options are usable.</summary>
    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        if (string.IsNullOrWhiteSpace(Root)) errors.Add("Root is empty: pass --root DIR (or set DISTILL_ROOT)");
        if (PollInterval <= TimeSpan.Zero) errors.Add($"PollInterval must be positive (got {PollInterval})");
        if (ShutdownTimeout <= TimeSpan.Zero) errors.Add($"ShutdownTimeout must be positive (got {ShutdownTimeout})");
        if (LockedRetryDelay < TimeSpan.Zero) errors.Add($"LockedRetryDelay must not be negative (got {LockedRetryDelay})");
        if (StepLogInterval < TimeSpan.Zero) errors.Add($"StepLogInterval must not be negative (got {StepLogInterval})");
        if (LogFormat is not ("console" or "json")) errors.Add($"LogFormat must be 'console' or 'json' (got '{LogFormat}')");
        return errors;
    }
}
