using System.Diagnostics;
using Distill.Learning.Data;
using Distill.Learning.Models;
using Distill.Learning.Training;
using Distill.Runs;
using Distill.Stages.Distillation;
using static TorchSharp.torch;

namespace Distill.Benchmarks;

/// <summary>
/// Student training throughput (AlexNet, batch 128, 32x32x3): plain label-smoothed training; KD from a memory-mapped
/// logit cache and from a live ResNet-56 teacher; the embedding methods (RKD, PKT, SP, and CRD with 1024 and 4096
/// negatives) from the cache's embeddings and RKD live; and KD that reads the cache's embeddings without using them ("kd+emb": the cost of the embeddings' reads). The variants are interleaved round by round so machine noise hits them alike; each is also
/// given against cached KD, the cost of a method beyond reading its targets.
/// </summary>
internal static class DistillationThroughput
{
    public static void Run(BenchmarkOptions options)
    {
        if (options.Threads > 0) set_num_threads(options.Threads);
        const int examples = 4096, classes = 10;
        int batch = options.BatchSize;
        Console.WriteLine($"student training step (alexnet), batch {batch}, 32x32x3, {get_num_threads()} threads, teacher resnet56; median of {options.Steps} steps x {Rounds} rounds");

        using var images = SyntheticImages.Create(examples, classes);
        var statistics = ChannelStatistics.Compute(images.Images);
        var maker = new BatchMaker(images, statistics, CPU);
        using var teacher = new CifarResNet(56, 3, classes);
        teacher.eval();

        var cachePath = Path.Combine(Path.GetTempPath(), $"distill-bench-{Environment.ProcessId}.npy");
        var embeddingsPath = Path.ChangeExtension(cachePath, ".embeddings.npy");
        var (logits, embeddings, width) = Evaluator.LogitsAndEmbeddings(teacher, maker, 256, AugmentationSpec.None, 0, 0);
        NpyWriter.Write(cachePath, logits, examples, classes);
        NpyWriter.Write(embeddingsPath, embeddings, examples, width);
        using var cache = new CachedTeacher(NpyFile.Open(cachePath), NpyFile.Open(embeddingsPath), CPU);
        var live = new LiveTeacher(teacher);
        static IDistillationLoss Kd() => new SoftTargetLoss(4, 1, 1, false);
        static IDistillationLoss Representation(IRepresentationTerm term, double weight) => new RepresentationLoss(term, weight, 1, 0, 4);
        // CRD's memory has a row per example and its heads map each model's embedding: connected before the trainer takes its parameters.
        IDistillationLoss Contrastive(int negatives)
        {
            var loss = Representation(new ContrastiveTerm(FeaturePoints.Embedding, 128, negatives, 0.07, 0.5), 0.8);
            using var probe = new AlexNetCifar(3, 32, 32, classes);
            loss.Connect(new ConnectorContext(probe.FeatureShapes(3, 32, 32), new Dictionary<string, long[]> { [FeaturePoints.Embedding] = [width] }, images.Labels, 1));
            return loss;
        }
        try
        {
            var variants = new (string Name, Func<ITrainingObjective> Objective)[]
            {
                ("plain", () => new LabelSmoothingObjective(0)),
                ("kd cached", () => new DistillationObjective(cache, Kd())),
                ("kd+emb", () => new DistillationObjective(cache, new KdReadingEmbeddings())),
                ("kd live", () => new DistillationObjective(live, Kd())),
                ("rkd cached", () => new DistillationObjective(cache, Representation(new RelationalTerm(FeaturePoints.Embedding, 25, 50), 1))),
                ("pkt cached", () => new DistillationObjective(cache, Representation(new ProbabilisticTransferTerm(FeaturePoints.Embedding), 30000))),
                ("sp cached", () => new DistillationObjective(cache, Representation(new SimilarityPreservingTerm(FeaturePoints.Embedding), 3000))),
                ("crd 1024", () => new DistillationObjective(cache, Contrastive(1024))),
                ("crd 4096", () => new DistillationObjective(cache, Contrastive(4096))),
                ("rkd live", () => new DistillationObjective(live, Representation(new RelationalTerm(FeaturePoints.Embedding, 25, 50), 1))),
            };
            var times = variants.ToDictionary(v => v.Name, _ => new List<double>());
            for (int round = 0; round < Rounds; round++)
                foreach (var (name, objective) in variants)
                    times[name].AddRange(TimeSteps(maker, objective(), batch, options.Warmup, options.Steps));

            double plain = Stats.Median(times["plain"]), cachedKd = Stats.Median(times["kd cached"]);
            Console.WriteLine($"{"variant",-11} {"images/s",10} {"ms/step",9} {"vs plain",9} {"vs kd cached",13}");
            foreach (var (name, _) in variants)
            {
                double median = Stats.Median(times[name]);
                Console.WriteLine($"{name,-11} {batch / (median / 1000),10:F0} {median,9:F1} {median / plain,8:F3}x {median / cachedKd,12:F3}x");
            }
        }
        finally
        {
            File.Delete(cachePath);
            File.Delete(embeddingsPath);
        }
    }

    private const int Rounds = 3;

    /// <summary>KD that also gathers the cache's embeddings and ignores them: what reading embeddings from a cache adds to a step.</summary>
    private sealed class KdReadingEmbeddings : IDistillationLoss
    {
        private readonly SoftTargetLoss _kd = new(4, 1, 1, false);

        public IReadOnlyCollection<string> TeacherPoints { get; } = [FeaturePoints.Embedding];

        public double TaskWeight => _kd.TaskWeight;

        public Tensor Loss(ModelOutputs student, ModelOutputs teacher, TrainingBatch batch) => _kd.Loss(student, teacher, batch);
    }

    private static IEnumerable<double> TimeSteps(BatchMaker maker, ITrainingObjective objective, int batch, int warmup, int steps)
    {
        manual_seed(1);
        using var student = new AlexNetCifar(3, 32, 32, 10);
        var options = new TrainerOptions { Epochs = 1000, BatchSize = batch, LearningRate = 0.01, Seed = 1 };
        using var trainer = new Trainer(student, new ViewReplayBatches(maker, new AugmentationSpec(), 1, 1, 1), options, objective);
        var times = new List<double>();
        var watch = Stopwatch.StartNew();
        using var stop = new CancellationTokenSource();
        int step = 0;
        trainer.StepCompleted = _ =>
        {
            if (step++ >= warmup) times.Add(watch.Elapsed.TotalMilliseconds);
            if (step >= warmup + steps) stop.Cancel();
            watch.Restart();
        };
        trainer.Run(stop.Token);
        return times;
    }
}
