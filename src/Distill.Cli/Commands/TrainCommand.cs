using System.CommandLine;
using System.Globalization;
using System.Text;
using Distill.Pipelines.Catalogue;

namespace Distill.Cli.Commands;

/// <summary>
/// `distill train`: trains one teacher per label-smoothing alpha on one dataset and prints accuracy per
/// epoch. A thin front of the engine: it writes a one-stage pipeline (a train stage over a matrix of
/// alphas) and runs it as `distill run` does, so its runs have manifests and resume. Options left out
/// take the pipeline format's defaults (pipelines/README.md); only the dataset choices have their own.
/// </summary>
internal static class TrainCommand
{
    public static Command Create()
    {
        var dataset = new Option<string>("--dataset") { Description = "fashion-mnist, cifar10 or cifar100", DefaultValueFactory = _ => "fashion-mnist" };
        var dataDir = new Option<string?>("--data-dir") { Description = "Folder of the dataset files (default: the dataset's standard place)" };
        var download = new Option<bool>("--download") { Description = "Download CIFAR archives when missing" };
        var model = new Option<string>("--model") { Description = "resnet20, resnet32, resnet44, resnet56, resnet110 or alexnet", DefaultValueFactory = _ => "resnet20" };
        var alphas = new Option<double[]>("--alpha") { Description = "Label-smoothing alpha; repeat for several teachers", DefaultValueFactory = _ => [0.0, 0.1], AllowMultipleArgumentsPerToken = true };
        var epochs = new Option<int?>("--epochs") { Description = "Training epochs (pipeline default 5)" };
        var subset = new Option<int?>("--subset") { Description = "Training examples to keep (equal share per class); 0 keeps all", DefaultValueFactory = _ => 10000 };
        var testSubset = new Option<int?>("--test-subset") { Description = "Test examples to keep; all when omitted" };
        var validation = new Option<int?>("--validation") { Description = "Examples carved off the training split for validation (pipeline default 0)" };
        var batchSize = new Option<int?>("--batch-size") { Description = "Mini-batch size (pipeline default 128)" };
        var lr = new Option<double?>("--lr") { Description = "Initial learning rate (pipeline default 0.1)" };
        var schedule = new Option<string?>("--schedule") { Description = "multistep, cosine or constant (pipeline default multistep)" };
        var cropPadding = new Option<int?>("--crop-padding") { Description = "Zero padding before the random crop, 0 = no crop (pipeline default)" };
        var flip = new Option<bool?>("--flip") { Description = "Random horizontal flips (pipeline default)" };
        var seed = new Option<long?>("--seed") { Description = "Root of all randomness (pipeline default 0)" };
        var threads = new Option<int?>("--threads") { Description = "LibTorch threads (0 = library default)" };
        var device = new Option<string?>("--device") { Description = "auto, cpu or cuda (pipeline default auto)" };
        var output = RunCommand.RunsRoot;

        var command = new Command("train", "Train teachers with and without label smoothing and print accuracy per epoch (resumable)")
        {
            dataset, dataDir, download, model, alphas, epochs, subset, testSubset, validation, batchSize, lr, schedule, cropPadding, flip, seed, threads, device, output,
        };
        command.SetAction(parse =>
        {
            var yaml = new TrainPipeline
            {
                Dataset = parse.GetValue(dataset)!,
                DataDirectory = parse.GetValue(dataDir) is { } dir ? Path.GetFullPath(dir) : null,
                Download = parse.GetValue(download),
                Model = parse.GetValue(model)!,
                Alphas = parse.GetValue(alphas)!,
                Keys =
                {
                    ["epochs"] = parse.GetValue(epochs), ["batch-size"] = parse.GetValue(batchSize), ["lr"] = parse.GetValue(lr),
                    ["schedule"] = parse.GetValue(schedule),
                },
                Subset = parse.GetValue(subset) is > 0 and var n ? n : null,
                TestSubset = parse.GetValue(testSubset),
                Validation = parse.GetValue(validation),
                CropPadding = parse.GetValue(cropPadding),
                Flip = parse.GetValue(flip),
                Seed = parse.GetValue(seed),
                Threads = parse.GetValue(threads),
                Device = parse.GetValue(device),
            }.ToYaml();
            var runsRoot = parse.GetValue(output)!;
            Directory.CreateDirectory(runsRoot);
            var file = Path.Combine(runsRoot, $"train-{parse.GetValue(dataset)}.yaml");
            File.WriteAllText(file, yaml);
            Console.WriteLine($"Pipeline written to {file}");
            return RunCommand.Run(file, runsRoot);
        });
        return command;
    }

    /// <summary>The one-stage pipeline `distill train` runs; keys the user did not give are left out.</summary>
    private sealed class TrainPipeline
    {
        public required string Dataset { get; init; }
        public string? DataDirectory { get; init; }
        public bool Download { get; init; }
        public required string Model { get; init; }
        public required double[] Alphas { get; init; }
        public Dictionary<string, object?> Keys { get; } = new(StringComparer.Ordinal);
        public int? Subset { get; init; }
        public int? TestSubset { get; init; }
        public int? Validation { get; init; }
        public int? CropPadding { get; init; }
        public bool? Flip { get; init; }
        public long? Seed { get; init; }
        public int? Threads { get; init; }
        public string? Device { get; init; }

        public string ToYaml()
        {
            var y = new StringBuilder();
            y.AppendLine("# Written by 'distill train'; 'distill run' on this file continues it.");
            y.AppendLine($"name: train-{Dataset}");
            if (Seed is { } seed) y.AppendLine($"seed: {seed}");
            if (Threads is { } threads) y.AppendLine($"threads: {threads}");
            if (Device is { } device) y.AppendLine($"device: {device}");
            y.AppendLine("datasets:");
            y.AppendLine("  data:");
            y.AppendLine($"    kind: {Dataset}");
            if (DataDirectory is { } dir) y.AppendLine($"    path: {Quote(dir)}");
            if (Download) y.AppendLine("    download: true");
            if (Validation is { } validation) y.AppendLine($"    validation: {validation}");
            if (Subset is not null || TestSubset is not null)
                y.AppendLine($"    subset: {{ {string.Join(", ", new[] { ("train", Subset), ("test", TestSubset) }.Where(s => s.Item2 is not null).Select(s => $"{s.Item1}: {s.Item2}"))} }}");
            if (CropPadding is not null || Flip is not null)
                y.AppendLine($"    augmentation: {{ {string.Join(", ", new[] { CropPadding is { } c ? $"crop-padding: {c}" : null, Flip is { } f ? $"flip: {(f ? "true" : "false")}" : null }.OfType<string>())} }}");
            y.AppendLine("models:");
            y.AppendLine($"  net: {ModelLine(Model)}");
            y.AppendLine("stages:");
            y.AppendLine("  teacher:");
            y.AppendLine("    kind: train");
            y.AppendLine("    dataset: data");
            y.AppendLine("    model: net");
            y.AppendLine($"    matrix: {{ alpha: [{string.Join(", ", Alphas.Select(Number))}] }}");
            y.AppendLine("    id: \"teacher-${alpha}\"");
            y.AppendLine("    alpha: ${alpha}");
            foreach (var (key, value) in Keys)
                if (value is not null) y.AppendLine($"    {key}: {(value is double d ? Number(d) : Convert.ToString(value, CultureInfo.InvariantCulture))}");
            return y.ToString();
        }

        /// <summary>"resnet20" -> a ResNet of depth 20; "alexnet" -> AlexNet; anything else is left for validation to name.</summary>
        private static string ModelLine(string model) =>
            model.StartsWith(Architectures.ResNet, StringComparison.Ordinal) && int.TryParse(model.AsSpan(Architectures.ResNet.Length), out var depth)
                ? $"{{ architecture: {Architectures.ResNet}, depth: {depth} }}"
                : $"{{ architecture: {model} }}";

        private static string Number(double value)
        {
            var text = value.ToString("R", CultureInfo.InvariantCulture);
            return text.Contains('.') || text.Contains('E') ? text : text + ".0";
        }

        private static string Quote(string text) => "\"" + text.Replace("\\", "\\\\").Replace("\"", "\\\"") + "\"";
    }
}
