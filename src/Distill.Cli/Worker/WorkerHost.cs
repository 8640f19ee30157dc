using Distill.Cli.Cluster;
using Distill.Cli.Commands;
using Hangfire;
using Distill.Stages.Engine;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Distill.Cli.Worker;

/// <summary>Builds the generic host of `distill worker`: configuration sources, logging format, options and the worker.</summary>
internal static class WorkerHost
{
    public const string AppSettingsFileName = "appsettings.json";
    public const string EnvironmentPrefix = "DISTILL_";

    /// <summary>
    /// appsettings.json next to the program, then in the current folder, then DISTILL_* variables, then
    /// <paramref name="commandLine"/> (only the options the user gave): later sources win.
    /// </summary>
    public static IConfigurationBuilder AddWorkerSources(IConfigurationBuilder configuration, IReadOnlyDictionary<string, string?> commandLine) =>
        configuration
            .AddJsonFile(Path.Combine(AppContext.BaseDirectory, AppSettingsFileName), optional: true, reloadOnChange: false)
            .AddJsonFile(Path.Combine(Directory.GetCurrentDirectory(), AppSettingsFileName), optional: true, reloadOnChange: false)
            .AddEnvironmentVariables(EnvironmentPrefix)
            .AddInMemoryCollection(commandLine);

    public static IHost Build(IConfiguration configuration, WorkerOptions options, Func<IPipelineRunner>? runnerFactory = null)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings
        {
            ContentRootPath = Directory.GetCurrentDirectory(),
        });
        // Our sources replace the defaults (which would read every unprefixed environment variable).
        builder.Configuration.Sources.Clear();
        builder.Configuration.AddConfiguration(configuration);

        builder.Logging.ClearProviders();
        builder.Logging.AddConfiguration(builder.Configuration.GetSection("Logging"));
        if (options.LogFormat == "json")
            builder.Logging.AddJsonConsole(o =>
            {
                o.UseUtcTimestamp = true;
                o.TimestampFormat = "yyyy-MM-ddTHH:mm:ss.fffZ";
            });
        else
            builder.Logging.AddSimpleConsole(o =>
            {
                o.SingleLine = true;
                o.TimestampFormat = "HH:mm:ss ";
            });

        // Bound once, from the host's configuration; checked again when the host starts.
        builder.Services.AddOptions<WorkerOptions>().Bind(builder.Configuration).ValidateOnStart();
        builder.Services.AddSingleton<Microsoft.Extensions.Options.IValidateOptions<WorkerOptions>, WorkerOptionsValidation>();
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = options.ShutdownTimeout);
        if (options.Engine == WorkerEngines.Postgres)
        {
            var storage = ClusterStorage.Create(options.Connection!);
            builder.Services.AddHangfire(c => ClusterStorage.Configure(c, storage));
            builder.Services.AddHangfireServer(o =>
            {
                o.WorkerCount = options.EffectiveSlots;
                o.Queues = [ClusterStorage.Queue];
                o.ServerName = $"{Environment.MachineName}:{Environment.ProcessId}";
                o.ShutdownTimeout = options.ShutdownTimeout;
            });
            builder.Services.AddSingleton(new DevicePool(options.DeviceList));
            builder.Services.AddTransient<StageJobs>();
            return builder.Build();
        }
        builder.Services.AddSingleton(runnerFactory ?? (() => StageRegistry.CreateRunner()));
        builder.Services.AddSingleton<PipelineWorker>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<PipelineWorker>());
        return builder.Build();
    }
}
