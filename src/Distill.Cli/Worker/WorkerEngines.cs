namespace Distill.Cli.Worker;

/// <summary>The engines `worker`, `submit`, `status`, `cancel` and `dashboard` take with `--engine`.</summary>
internal static class WorkerEngines
{
    /// <summary>The embedded queue of pipeline files under the root, no server needed.</summary>
    public const string Files = "files";

    /// <summary>Stage jobs in Hangfire on PostgreSQL, shared by any number of workers.</summary>
    public const string Postgres = "postgres";

    /// <summary>One batch job per stage on a Slurm cluster (submit, status and cancel only: Slurm runs the jobs, no worker does).</summary>
    public const string Slurm = "slurm";

    /// <summary>The engines a worker serves.</summary>
    public static readonly string[] All = [Files, Postgres];

    /// <summary>The engines `submit`, `status` and `cancel` talk to.</summary>
    public static readonly string[] Submittable = [Files, Postgres, Slurm];
}

/// <summary>The worker's settings checked when the host starts (<see cref="WorkerOptions.Validate"/>), one line per problem.</summary>
internal sealed class WorkerOptionsValidation : Microsoft.Extensions.Options.IValidateOptions<WorkerOptions>
{
    public Microsoft.Extensions.Options.ValidateOptionsResult Validate(string? name, WorkerOptions options) =>
        options.Validate() is { Count: > 0 } errors
            ? Microsoft.Extensions.Options.ValidateOptionsResult.Fail(errors)
            : Microsoft.Extensions.Options.ValidateOptionsResult.Success;
}
