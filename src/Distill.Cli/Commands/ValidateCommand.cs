using Distill.Stages.Kinds;
using System.CommandLine;
using Distill.Pipelines;
using Distill.Stages.Data;
using Distill.Stages.Models;
using System.Globalization;

namespace Distill.Cli.Commands;

/// <summary>`distill validate FILE...`: every error of every file (and data it needs that is missing), one line each, nothing written.</summary>
internal static class ValidateCommand
{
    public static Command Create()
    {
        var files = new Argument<string[]>("files") { Description = "Pipeline YAML files", Arity = ArgumentArity.OneOrMore };
        var command = new Command("validate", "Check pipeline files without running them") { files };
        command.SetAction(parse =>
        {
            int failed = 0;
            foreach (var file in parse.GetValue(files)!)
            {
                var result = PipelineLoader.Load(file, StageKindRegistry.Catalogue);
                var errors = result.Succeeded
                    ? DataPreflight.Problems(result.Pipeline!)
                    : result.Errors.Select(e => e.ToString()).ToList();
                if (errors.Count == 0)
                {
                    var p = result.Pipeline!;
                    Console.WriteLine($"{file}: ok ({p.Stages.Count} stages: {string.Join(", ", p.Stages.Select(s => s.Id))})");
                    foreach (var size in ModelSizes.Of(p))
                        Console.WriteLine($"  model {size.Model} on {size.Dataset}: {size.Parameters.ToString("N0", CultureInfo.InvariantCulture)} parameters");
                    continue;
                }
                failed++;
                foreach (var error in errors) Console.Error.WriteLine(error);
            }
            return failed == 0 ? 0 : 1;
        });
        return command;
    }
}
