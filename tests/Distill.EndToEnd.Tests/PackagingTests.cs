using Distill.EndToEnd.Tests.Support;
using Xunit.Abstractions;

namespace Distill.EndToEnd.Tests;

/// <summary>
/// Distill as .NET users take it: the library packs as NuGet packages that build the README's example of KD in a
/// user's own training loop, and the CLI packs as a .NET tool that `dotnet tool install` puts on a path as `distill`,
/// which runs the smoke pipeline. Each run packs a version of its own, so no package cache holds an older build of it.
/// </summary>
[Collection(EndToEndCollection.Name)]
[Trait("Category", "Slow")]
public sealed class PackagingTests(ITestOutputHelper output) : IDisposable
{
    private static readonly TimeSpan Limit = TimeSpan.FromMinutes(5);
    private readonly TempFolder _temp = new();
    private readonly string _version = $"0.0.0-test.{DateTime.UtcNow:yyyyMMddHHmmss}.{Environment.ProcessId}";

    public void Dispose() => _temp.Dispose();

    private static string Root => DistillCli.RepositoryRoot;

    private string Dotnet(string workingDirectory, params string[] arguments)
    {
        var text = ExternalProgram.Run("dotnet", new Dictionary<string, string> { ["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1" }, Limit, workingDirectory, arguments);
        output.WriteLine($"dotnet {string.Join(' ', arguments)}\n{string.Join('\n', text.Split('\n').TakeLast(5))}");
        return text;
    }

    [Fact]
    public void The_library_packages_build_the_readme_example_of_kd_in_a_users_own_training_loop()
    {
        var feed = _temp.Combine("feed");
        foreach (var project in new[] { "Distill.Runs", "Distill.Learning" })
            Dotnet(Root, "pack", Path.Combine(Root, "src", project, $"{project}.csproj"), "-c", "Release", "-o", feed, $"-p:Version={_version}");
        Assert.True(File.Exists(Path.Combine(feed, $"Distill.Learning.{_version}.nupkg")));

        // A project of the user's own, outside the repository: the package, never the project, and the example's code.
        var user = Directory.CreateDirectory(_temp.Combine("user")).FullName;
        File.Copy(Path.Combine(Root, "tools", "Distill.Examples.KdLoop", "Program.cs"), Path.Combine(user, "Program.cs"));
        File.WriteAllText(Path.Combine(user, "KdLoop.csproj"), $"""
            <Project Sdk="Microsoft.NET.Sdk">
              <PropertyGroup>
                <OutputType>Exe</OutputType>
                <TargetFramework>net10.0</TargetFramework>
                <ImplicitUsings>enable</ImplicitUsings>
                <Nullable>enable</Nullable>
              </PropertyGroup>
              <ItemGroup>
                <PackageReference Include="Distill.Learning" Version="{_version}" />
              </ItemGroup>
            </Project>
            """);
        File.WriteAllText(Path.Combine(user, "nuget.config"), $"""
            <configuration>
              <packageSources>
                <add key="distill-test" value="{feed}" />
              </packageSources>
            </configuration>
            """);

        // LibTorch's libraries for three platforms would be copied (1.2 GB): link them to the package cache instead.
        var built = Dotnet(user, "build", "-c", "Release", "-p:CreateHardLinksForCopyLocalIfPossible=true");
        Assert.Contains("Build succeeded", built);
        Assert.True(File.Exists(Path.Combine(user, "bin", "Release", "net10.0", "KdLoop.dll")));
    }

    [Fact]
    public void The_cli_installs_as_a_dotnet_tool_whose_distill_command_runs_the_smoke_pipeline()
    {
        var feed = _temp.Combine("feed");
        Dotnet(Root, "pack", Path.Combine(Root, "src", "Distill.Cli", "Distill.Cli.csproj"), "-c", "Release", "-o", feed, $"-p:Version={_version}");
        var tools = _temp.Combine("tools");
        Dotnet(Root, "tool", "install", "Distill.Cli", "--tool-path", tools, "--add-source", feed, "--version", _version);

        var distill = Path.Combine(tools, "distill");
        Assert.True(File.Exists(distill), $"no distill command in {tools}");
        var runs = _temp.Combine("runs");
        var text = ExternalProgram.Run(distill, new Dictionary<string, string>(), Limit, _temp.Path, "run", Path.Combine(Root, "pipelines", "smoke.yaml"), "--runs", runs);
        output.WriteLine(string.Join('\n', text.Split('\n').TakeLast(5)));
        Assert.All(RunResults.Fingerprint(Path.Combine(runs, "smoke")).Values, v => Assert.StartsWith("Completed|", v));
    }
}
