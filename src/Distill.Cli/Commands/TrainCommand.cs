using System.CommandLine;
using System.Globalization;
using Distill.Cli.Display;
using Distill.Learning.Data;
using Distill.Learning.Models;
using Distill.Learning.Training;
using Distill.Stages.Data;
using Distill.Runs;
using Distill.Stages.Training;

namespace Distill.Cli.Commands;

/// <summary>
/// `distill train`: trains one teacher per label-smoothing alpha on one dataset and prints accuracy
/// per epoch. The quick way to try a recipe; pipelines (`distill run`) add caching and resumption.
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
        var epochs = new Option<int>("--epochs") { DefaultValueFactory = _ => 5 };
        var subset = new Option<int?>("--subset") { Description = "Training examples to keep (equal share per class); all when omitted", DefaultValueFactory = _ => 10000 };
        var testSubset = new Option<int?>("--test-subset") { Description = "Test examples to keep; all when omitted" };
        var validation = new Option<int>("--validation") { Description = "Examples carved off the training split for validation", DefaultValueFactory = _ => 0 };
        var batchSize = new Option<int>("--batch-size") { DefaultValueFactory = _ => 64 };
        var lr = new Option<double>("--lr") { DefaultValueFactory = _ => 0.05 };
        var schedule = new Option<string>("--schedule") { Description = "multistep, cosine or constant", DefaultValueFactory = _ => "cosine" };
        var cropPadding = new Option<int>("--crop-padding") { Description = "Zero padding before the random crop (0 = no crop)", DefaultValueFactory = _ => 2 };
        var flip = new Option<bool>("--flip") { Description = "Random horizontal flips", DefaultValueFactory = _ => true };
        var seed = new Option<long>("--seed") { DefaultValueFactory = _ => 0 };
        var threads = new Option<int>("--threads") { Description = "LibTorch threads (0 = library default)" };
        var device = new Option<string>("--device") { Description = "auto, cpu or cuda", DefaultValueFactory = _ => "auto" };
        var output = new Option<string>("--output") { Description = "Folder for weights and metrics", DefaultValueFactory = _ => "runs" };

        var command = new Command("train", "Train teachers with and without label smoothing and print accuracy per epoch")
        {
            dataset, dataDir, download, model, alphas, epochs, subset, testSubset, validation, batchSize, lr, schedule, cropPadding, flip, seed, threads, device, output,
        };
        command.SetAction(parse =>
        {
            try
            {
                return Run(Read(parse));
            }
            catch (ArgumentException e)
            {
                Console.Error.WriteLine($"error: {e.Message}");
                return 2;
            }
        });
        return command;

        Settings Read(ParseResult parse)
        {
            if (parse.GetValue(epochs) < 1) throw new ArgumentException("--epochs must be at least 1");
            var settings = new Settings(
                new DatasetSource(parse.GetValue(dataset)!, parse.GetValue(dataDir), parse.GetValue(download)),
                ModelName.Parse(parse.GetValue(model)!),
                parse.GetValue(alphas)!,
                new SplitOptions
                {
                    ValidationSize = parse.GetValue(validation),
                    TrainSubset = parse.GetValue(subset),
                    TestSubset = parse.GetValue(testSubset),
                    Seed = parse.GetValue(seed),
                },
                new TrainerOptions
                {
                    Epochs = parse.GetValue(epochs),
                    BatchSize = parse.GetValue(batchSize),
                    LearningRate = parse.GetValue(lr),
                    Schedule = ParseSchedule(parse.GetValue(schedule)!),
                    Seed = parse.GetValue(seed),
                    Augmentation = new AugmentationSpec(parse.GetValue(cropPadding), parse.GetValue(flip)),
                },
                parse.GetValue(threads),
                parse.GetValue(device)!,
                parse.GetValue(output)!);
            return settings;
        }
    }

    private static ScheduleKind ParseSchedule(string text) =>
        Enum.TryParse<ScheduleKind>(text.Replace("-", ""), ignoreCase: true, out var kind)
            ? kind
            : throw new ArgumentException($"unknown schedule '{text}' (expected multistep, cosine or constant)");

    private sealed record Settings(
        DatasetSource Dataset, ModelSpec Model, double[] Alphas, SplitOptions Split, TrainerOptions Training,
        int Threads, string Device, string Output);

    private static int Run(Settings s)
    {
        try
        {
            TorchRuntime.SetThreads(s.Threads);
            var device = TorchRuntime.ResolveDevice(s.Device);
            Console.WriteLine($"Loading {s.Dataset.Kind}...");
            using var data = DataPreparation.Prepare(s.Dataset.Open(), s.Split);
            Console.WriteLine(
                $"{data.Train.Count} training, {data.Validation.Count} validation, {data.Test.Count} test images of {data.Train.Channels}x{data.Train.Height}x{data.Train.Width}; " +
                $"device {device.type}, {TorchSharp.torch.get_num_threads()} threads");

            var runDirectory = RunDirectory.Open(s.Output, $"train-{s.Dataset.Kind}");
            var summary = new List<string>();
            foreach (var alpha in s.Alphas)
            {
                var label = $"alpha={alpha.ToString(CultureInfo.InvariantCulture)}";
                using var model = TrainingRun.CreateModel(s.Model, data, s.Training.Seed, device, Console.WriteLine);
                using var run = new TrainingRun(model, data, s.Training, new LabelSmoothingObjective(alpha), device);
                run.EpochEvaluated += m => Console.WriteLine(EpochLine.Format(label, m, s.Training.Epochs));
                new StepProgress().Run(label, report =>
                {
                    run.Trainer.StepCompleted = report;
                    return run.Run(CancellationToken.None);
                });

                var stage = runDirectory.Stage($"teacher-alpha{alpha.ToString(CultureInfo.InvariantCulture)}");
                stage.EnsureCreated();
                ModelWeights.Save(model, stage.OutputPath("weights.bin"));
                MetricsFiles.Write(stage, run.History);
                summary.Add($"{label}: test accuracy {run.History[^1].Metric("test_accuracy"):P2} ({stage.RootPath})");
            }
            foreach (var line in summary) Console.WriteLine(line);
            return 0;
        }
        catch (Exception e) when (e is DatasetException or ArgumentException)
        {
            Console.Error.WriteLine($"error: {e.Message}");
            return 2;
        }
    }
}
