namespace Distill.Cli.Worker;

/// <summary>
/// Settings of `distill worker`, read from appsettings.json (next to the program, then the current folder),
/// environment variables with the prefix DISTILL_ (DISTILL_ROOT, DISTILL_POLLINTERVAL, ...) and the command line,
/// later sources winning. Time spans use the .NET format, e.g. "00:00:02".
/// </summary>
public sealed class WorkerOptions
{
    /// <summary>Folder holding queue/, cancel/ and runs/ (files engine), or pipelines/ and runs/ (postgres engine).</summary>
    public string Root { get; set; } = ".";

    /// <summary>
    /// <c>files</c>: the embedded queue of pipeline files under Root, one pipeline at a time, no server needed.
    /// <c>postgres</c>: stage jobs in Hangfire on PostgreSQL (<see cref="Connection"/>), shared by any number of workers.
    /// </summary>
    public string Engine { get; set; } = Engines.Engines.Default.Name;

    /// <summary>The PostgreSQL connection string of the postgres engine ("Host=...;Port=...;Username=...;Database=...").</summary>
    public string? Connection { get; set; }

    /// <summary>Stages this worker runs at once (postgres engine), each in its own process; they share the cores.</summary>
    public int Slots { get; set; } = 1;

    /// <summary>
    /// GPUs of this machine, one per slot ("0,1,2,3"): a stage runs with CUDA_VISIBLE_DEVICES set to its slot's device,
    /// so with `device: auto` or `cuda` each slot trains on its own GPU. Sets Slots to their number.
    /// </summary>
    public string? Devices { get; set; }

    /// <summary>Stages run at once: one per device when devices are given, else <see cref="Slots"/>.</summary>
    public int EffectiveSlots => DeviceList.Count > 0 ? DeviceList.Count : Slots;

    /// <summary>The device list, parsed (empty without --devices).</summary>
    public IReadOnlyList<string> DeviceList =>
        string.IsNullOrWhiteSpace(Devices) ? [] : Devices.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);

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
        var served = Engines.Engines.All.Where(e => e.Worker is not null).ToList();
        if (served.FirstOrDefault(e => e.Name == Engine)?.Worker is { } worker) errors.AddRange(worker.Check(this));
        else errors.Add($"Engine must be {string.Join(" or ", served.Select(e => $"'{e.Name}'"))} (got '{Engine}')");
        if (Slots < 1) errors.Add($"Slots must be at least 1 (got {Slots})");
        if (DeviceList.Any(d => !d.All(char.IsAsciiDigit))) errors.Add($"Devices must be GPU indices separated by commas, e.g. 0,1 (got '{Devices}')");
        if (DeviceList.Distinct().Count() != DeviceList.Count) errors.Add($"Devices lists a GPU twice ('{Devices}')");
        return errors;
    }
}

/// <summary>The worker's settings checked when the host starts (<see cref="WorkerOptions.Validate"/>), one line per problem.</summary>
internal sealed class WorkerOptionsValidation : Microsoft.Extensions.Options.IValidateOptions<WorkerOptions>
{
    public Microsoft.Extensions.Options.ValidateOptionsResult Validate(string? name, WorkerOptions options) =>
        options.Validate() is { Count: > 0 } errors
            ? Microsoft.Extensions.Options.ValidateOptionsResult.Fail(errors)
            : Microsoft.Extensions.Options.ValidateOptionsResult.Success;
}
