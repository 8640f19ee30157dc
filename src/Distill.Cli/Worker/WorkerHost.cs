using Distill.Cli.Engines;
using Distill.Stages.Engine;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

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

    /// <summary>
    /// The host of `distill worker`: our configuration sources instead of the defaults (which would read every
    /// unprefixed environment variable), <see cref="WorkerOptions"/> bound once from them and validated on start,
    /// and the engine's services. Bad settings throw here, since building reads the options: an
    /// <see cref="OptionsValidationException"/> with every problem, or an InvalidOperationException for a value that does not bind.
    /// </summary>
    public static IHost Build(IReadOnlyDictionary<string, string?> commandLine, Func<IPipelineRunner>? runnerFactory = null)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings
        {
            DisableDefaults = true,
            ContentRootPath = Directory.GetCurrentDirectory(),
        });
        AddWorkerSources(builder.Configuration, commandLine);

        builder.Logging.AddConfiguration(builder.Configuration.GetSection("Logging"));
        // The format decides which provider is registered, so it is read before the options exist.
        if (builder.Configuration[nameof(WorkerOptions.LogFormat)] == "json")
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

        builder.Services.AddOptions<WorkerOptions>().Bind(builder.Configuration).ValidateOnStart();
        builder.Services.AddSingleton<IValidateOptions<WorkerOptions>, WorkerOptionsValidation>();
        builder.Services.AddOptions<HostOptions>().Configure<IOptions<WorkerOptions>>((host, worker) => host.ShutdownTimeout = worker.Value.ShutdownTimeout);
        // The engine decides which services exist, so it too is read before the options.
        Engine(builder.Configuration[nameof(WorkerOptions.Engine)]).AddServices(builder.Services, runnerFactory);
        return builder.Build();
    }

    /// <summary>The worker of the engine named (the default when none is); an unknown name or one without a worker gets the
    /// default's, and the options' validation then says what is wrong when the host starts.</summary>
    public static IEngineWorker Engine(string? name) =>
        (Engines.Engines.All.FirstOrDefault(e => e.Name == name) ?? Engines.Engines.Default).Worker ?? Engines.Engines.Default.Worker!;
}
