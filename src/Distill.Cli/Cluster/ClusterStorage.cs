using Hangfire;
using Hangfire.PostgreSql;

namespace Distill.Cli.Cluster;

/// <summary>
/// Hangfire's storage in PostgreSQL for `--engine postgres`: workers, `submit`, `status` and `cancel` meet there.
/// A fetched job is invisible to other workers while its worker keeps renewing it (sliding invisibility); when the
/// worker dies (SIGKILL, a lost machine), another picks the job up once <see cref="PickUpAfter"/> has passed.
/// </summary>
public static class ClusterStorage
{
    /// <summary>How long a dead worker's stage stays unclaimed before another worker takes it (documented in docs/distributed.md).</summary>
    public static readonly TimeSpan PickUpAfter = TimeSpan.FromSeconds(30);

    /// <summary>How often idle workers look for a new job.</summary>
    public static readonly TimeSpan QueuePollInterval = TimeSpan.FromMilliseconds(500);

    public const string Queue = "distill";

    public static PostgreSqlStorage Create(string connectionString)
    {
        var options = Options();
        return new PostgreSqlStorage(new Hangfire.PostgreSql.Factories.NpgsqlConnectionFactory(connectionString, options), options);
    }

    public static PostgreSqlStorageOptions Options() => new()
    {
        PrepareSchemaIfNecessary = true,
        SchemaName = "distill_hangfire",
        QueuePollInterval = QueuePollInterval,
        InvisibilityTimeout = PickUpAfter,
        UseSlidingInvisibilityTimeout = true,
        // A server restarted under running workers: keep trying to reconnect at startup instead of failing.
        StartupConnectionMaxRetries = 10,
    };

    /// <summary>The global configuration Hangfire needs for jobs to serialise the same way everywhere.</summary>
    public static IGlobalConfiguration Configure(IGlobalConfiguration configuration, JobStorage storage) =>
        configuration
            .SetDataCompatibilityLevel(CompatibilityLevel.Version_180)
            .UseSimpleAssemblyNameTypeSerializer()
            .UseRecommendedSerializerSettings()
            .UseStorage(storage);
}
