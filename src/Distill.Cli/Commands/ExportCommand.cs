using System.CommandLine;
using Distill.Learning.Models;
using Distill.Learning.Models.Interop;
using Distill.Runs;
using Distill.Stages.Kinds;
using Distill.Stages.Training;

namespace Distill.Cli.Commands;

/// <summary>
/// `distill export FOLDER --out FILE`: a model a `train` or `distill` stage wrote (its outputs folder: model.json and
/// weights.bin) as another project's checkpoint, `{'model': state_dict, 'accuracy': test top-1 %}` in torch.save's zip
/// format with that project's parameter names, so that its own scripts load it (RepDistiller's and mdistiller's read
/// `torch.load(path)['model']`).
/// </summary>
internal static class ExportCommand
{
    public static Command Create()
    {
        var folder = new Argument<string>("folder") { Description = "A train or distill stage's outputs folder (model.json, weights.bin)" };
        var output = new Option<string>("--out") { Description = "The checkpoint file to write (e.g. ckpt_epoch_240.pth)", Required = true };
        var layout = new Option<string>("--layout")
        {
            Description = "Whose parameter names: repdistiller (RepDistiller's and mdistiller's CIFAR models) or distill",
            DefaultValueFactory = _ => WeightsLayouts.Key(WeightsLayout.RepDistiller),
        };
        layout.AcceptOnlyFromAmong([.. WeightsLayouts.Concrete.Select(WeightsLayouts.Key)]);
        var command = new Command("export", "Write a trained model as another project's checkpoint (RepDistiller / mdistiller layout)") { folder, output, layout };
        command.SetAction(parse => Run(parse.GetValue(folder)!, parse.GetValue(output)!,
            WeightsLayouts.Concrete.First(l => WeightsLayouts.Key(l) == parse.GetValue(layout)), Console.Out));
        return command;
    }

    internal static int Run(string folder, string output, WeightsLayout layout, TextWriter log)
    {
        try
        {
            var card = ModelCard.Read(folder);
            if (!card.Weights.TryGetValue("torchsharp", out var weights))
                throw new InvalidDataException($"{folder} holds a {card.Model.Architecture} model, which Distill does not convert (export it from PyTorch)");
            using var model = card.CreateModel(StageKindRegistry.Catalogue);
            ModelWeights.Load(model, Path.Combine(folder, weights));
            var entries = card.Metrics.TryGetValue(MetricNames.TestAccuracy, out var accuracy)
                ? [KeyValuePair.Create("accuracy", (object)(100 * accuracy))]
                : new List<KeyValuePair<string, object>>();
            AtomicFile.WriteStream(Path.GetFullPath(output), stream => ModelWeights.SaveCheckpoint(model, stream, layout, entries));
            log.WriteLine($"wrote {output}: {card.Origin.Stage}'s {card.Model.Architecture} in the {WeightsLayouts.Key(layout)} layout " +
                $"({model.ParameterCount():N0} parameters; load it with torch.load(path)['model'])");
            return 0;
        }
        catch (Exception e) when (e is IOException or InvalidDataException or InvalidOperationException or UnauthorizedAccessException)
        {
            Console.Error.WriteLine($"error: {e.Message}");
            return 1;
        }
    }
}
