using System.CommandLine;
using System.Globalization;
using Distill.Stages.Models;
using YamlDotNet.Core;
using YamlDotNet.Core.Events;
using YamlDotNet.RepresentationModel;

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
            var root = new YamlMappingNode { { "name", Plain($"train-{Dataset}") } };
            if (Seed is { } seed) root.Add("seed", Plain(Invariant(seed)));
            if (Threads is { } threads) root.Add("threads", Plain(Invariant(threads)));
            if (Device is { } device) root.Add("device", Plain(device));

            var data = new YamlMappingNode { { "kind", Plain(Dataset) } };
            if (DataDirectory is { } dir) data.Add("path", Quoted(dir));
            if (Download) data.Add("download", Plain("true"));
            if (Validation is { } validation) data.Add("validation", Plain(Invariant(validation)));
            if (Subset is not null || TestSubset is not null)
                data.Add("subset", Map(("train", Subset is { } n ? Plain(Invariant(n)) : null), ("test", TestSubset is { } t ? Plain(Invariant(t)) : null)));
            if (CropPadding is not null || Flip is not null)
                data.Add("augmentation", Map(("crop-padding", CropPadding is { } c ? Plain(Invariant(c)) : null),
                    ("flip", Flip is { } f ? Plain(f ? "true" : "false") : null)));
            root.Add("datasets", new YamlMappingNode { { "data", data } });
            root.Add("models", new YamlMappingNode { { "net", ModelEntry(Model) } });

            var teacher = new YamlMappingNode
            {
                { "kind", Plain("train") },
                { "dataset", Plain("data") },
                { "model", Plain("net") },
                { "matrix", new YamlMappingNode { { "alpha", new YamlSequenceNode(Alphas.Select(a => (YamlNode)Plain(Number(a)))) { Style = SequenceStyle.Flow } } } },
                { "id", Quoted("teacher-${alpha}") },
                { "alpha", Plain("${alpha}") },
            };
            foreach (var (key, value) in Keys)
                if (value is not null) teacher.Add(key, Plain(value is double d ? Number(d) : Invariant(value)));
            root.Add("stages", new YamlMappingNode { { "teacher", teacher } });

            using var text = new StringWriter(CultureInfo.InvariantCulture);
            text.WriteLine("# Written by 'distill train'; 'distill run' on this file continues it.");
            new YamlStream(new YamlDocument(root)).Save(text, assignAnchors: false);
            return text.ToString();
        }

        /// <summary>"resnet20" -> a ResNet of depth 20; "alexnet" -> AlexNet; anything else is left for validation to name.</summary>
        private static YamlMappingNode ModelEntry(string model) =>
            model.StartsWith(ResNetArchitecture.Name, StringComparison.Ordinal) && int.TryParse(model.AsSpan(ResNetArchitecture.Name.Length), out var depth)
                ? new YamlMappingNode { { "architecture", Plain(ResNetArchitecture.Name) }, { "depth", Plain(Invariant(depth)) } }
                : new YamlMappingNode { { "architecture", Plain(model) } };

        private static YamlMappingNode Map(params (string Key, YamlNode? Value)[] entries)
        {
            var map = new YamlMappingNode { Style = MappingStyle.Flow };
            foreach (var (key, value) in entries)
                if (value is not null) map.Add(key, value);
            return map;
        }

        private static YamlScalarNode Plain(string text) => new(text) { Style = ScalarStyle.Plain };

        private static YamlScalarNode Quoted(string text) => new(text) { Style = ScalarStyle.DoubleQuoted };

        private static string Invariant(object value) => Convert.ToString(value, CultureInfo.InvariantCulture)!;

        private static string Number(double value)
        {
            var text = value.ToString("R", CultureInfo.InvariantCulture);
            return text.Contains('.') || text.Contains('E') ? text : text + ".0";
        }
    }
}
