using System.Text.Json;
using Distill.EndToEnd.Tests.Support;
using Distill.Runs;
using Xunit.Abstractions;

namespace Distill.EndToEnd.Tests;

/// <summary>
/// Distill and real PyTorch (Debian's python3-torch) on the same models: a PyTorch teacher imported, cached and
/// matched logit for logit; a student exported and matched in PyTorch; caches scored by numpy alone; logits from
/// elsewhere imported as a teacher.
/// </summary>
[Collection(EndToEndCollection.Name)]
[Trait("Category", "Slow")]
public sealed class PyTorchInteropTests(ITestOutputHelper output) : IDisposable
{
    private const double Tolerance = 1e-5;

    private readonly TempFolder _temp = new();

    public void Dispose() => _temp.Dispose();

    private const string Header = """
        seed: 3
        threads: 2
        datasets:
          fmnist: { kind: fashion-mnist, validation: 100, subset: { train: 400, test: 200 } }
          fixed:
            kind: fashion-mnist
            validation: 100
            subset: { train: 400, test: 200 }
            standardisation: { mean: [0.3], std: [0.35] }
        models:
          tiny: { architecture: resnet, depth: 8, width: 8 }
          alex: { architecture: alexnet }
          wide: { architecture: wrn, depth: 10, widen-factor: 1 }
          x4: { architecture: resnet-x4, depth: 8 }
          vgg: { architecture: vgg, depth: 8 }
          their-resnet20: { architecture: resnet, depth: 20, shortcut: projection }
          script: { architecture: torchscript }
        stages:
        """;

    private string Runs => _temp.Combine("runs");

    private void Run(string name, string stages)
    {
        var file = _temp.Combine(name + ".yaml");
        File.WriteAllText(file, $"name: {name}\n{Header}\n{stages}");
        var (code, log) = DistillCli.Run(TimeSpan.FromMinutes(4), "run", file, "--runs", Runs);
        output.WriteLine(log);
        Assert.True(code == 0, log);
    }

    private string Outputs(string run, string stage) => RunResults.Stage(Path.Combine(Runs, run), stage).OutputsPath;

    /// <summary>The largest absolute difference between the logits an interop.py <paramref name="command"/> writes and the first rows of a Distill cache.</summary>
    private double LargestDifference(string cache, params string[] command)
    {
        var theirs = _temp.Combine($"torch-{Guid.NewGuid():N}.npy");
        PyTorchReference.Run([.. command, "--cache", cache, "--split", "test", "--rows", "100", "--out", theirs]);
        using var torch = NpyFile.Open(theirs);
        using var ours = NpyFile.Open(Path.Combine(cache, "logits-test.npy"));
        Assert.Equal(100, torch.Rows);
        var (a, b) = (torch.GetRows(0, 100).ToArray(), ours.GetRows(0, 100).ToArray());
        return a.Zip(b, (x, y) => Math.Abs((double)x - y)).Max();
    }

    /// <summary>PyTorch told the architecture, loading a weights file, standardising as the cache's training rows say.</summary>
    private double FromWeights(string weights, string cache, params string[] architecture) =>
        LargestDifference(cache, ["logits", "--weights", weights, .. architecture]);

    /// <summary>PyTorch given an exported outputs/ folder and nothing else (distill_models.load), on raw images.</summary>
    private double FromExport(string outputs, string cache) => LargestDifference(cache, "exported", "--model", outputs);

    /// <summary>
    /// The folder's model.onnx checked by python3-onnx, then served as the README shows on the raw images of the cache's
    /// first 100 rows: the largest logit difference from the cache, and how often the predicted classes agree.
    /// </summary>
    private (double Gap, double Agreement) FromOnnx(string outputs, string cache)
    {
        var pixelsFile = _temp.Combine($"pixels-{Guid.NewGuid():N}.npy");
        output.WriteLine(PyTorchReference.Run("onnx", "--model", outputs, "--cache", cache, "--split", "test", "--rows", "100", "--out", pixelsFile));
        float[] pixels;
        using (var file = NpyFile.Open(pixelsFile)) pixels = file.GetRows(0, 100).ToArray();
        var (logits, predicted) = OnnxServing.Serve(Path.Combine(outputs, "model.onnx"), pixels, 100);
        using var ours = NpyFile.Open(Path.Combine(cache, "logits-test.npy"));
        var expected = ours.GetRows(0, 100).ToArray();
        var gap = expected.Zip(logits.ToArray(), (x, y) => Math.Abs((double)x - y)).Max();
        var card = JsonDocument.Parse(File.ReadAllText(Path.Combine(outputs, "model.json"))).RootElement;
        var classes = card.GetProperty("classes").EnumerateArray().Select(c => c.GetString()!).ToArray();
        int columns = ours.Columns;
        var ourPredictions = Enumerable.Range(0, 100).Select(i => classes[Enumerable.Range(0, columns).MaxBy(k => expected[i * columns + k])]);
        return (gap, ourPredictions.Zip(predicted, (a, b) => a == b ? 1.0 : 0.0).Average());
    }

    /// <summary>The interop pipeline's models, each with the cache of its logits.</summary>
    private static readonly (string Model, string Cache)[] ExportedModels =
        [("teacher", "teacher-cache"), ("student", "student-cache"), ("alex-student", "alex-cache"), ("wide-student", "wide-cache"),
         ("x4-student", "x4-cache"), ("vgg-student", "vgg-cache")];

    /// <summary>A one-epoch student of model <paramref name="model"/> from the teacher's cache, and the cache of its own logits.</summary>
    private static string StudentWithCache(string model) => $$"""

          {{model}}-student:
            kind: distill
            dataset: fmnist
            model: {{model}}
            epochs: 1
            batch-size: 32
            inputs: { teacher: teacher-cache }
          {{model}}-cache: { kind: cache-logits, splits: [train, test], inputs: { teacher: {{model}}-student } }
        """;

    [Fact]
    public void A_RepDistiller_checkpoint_in_the_legacy_format_teaches_with_its_standardisation_and_the_student_goes_back_as_theirs()
    {
        var checkpoint = _temp.Combine("their-resnet20.pth");
        string[] constants = ["--mean", "0.3", "--std", "0.35"];
        output.WriteLine(PyTorchReference.Run(["train", "--their-model", "resnet20", "--legacy", "--steps", "5", "--out", checkpoint, .. constants]));
        Run("their-teacher", """
              teacher:
                kind: train
                dataset: fixed
                model: their-resnet20
                weights: { format: pytorch, path: their-resnet20.pth, layout: repdistiller }
              teacher-cache: { kind: cache-logits, inputs: { teacher: teacher } }
              student: { kind: distill, dataset: fixed, model: their-resnet20, epochs: 1, batch-size: 32, inputs: { teacher: teacher-cache } }
              student-cache: { kind: cache-logits, inputs: { teacher: student } }
              zero-padded: { kind: distill, dataset: fixed, model: tiny, epochs: 1, batch-size: 32, inputs: { teacher: teacher-cache } }
            """);

        var gap = LargestDifference(Outputs("their-teacher", "teacher-cache"), ["logits", "--their-model", "resnet20", "--weights", checkpoint, .. constants]);
        output.WriteLine($"largest |PyTorch - Distill| on 100 test logits of RepDistiller's resnet20 (legacy checkpoint, fixed standardisation): {gap:E2}");
        Assert.True(gap <= Tolerance, $"the imported checkpoint's logits differ from PyTorch's by {gap}");
        var standardisation = JsonDocument.Parse(File.ReadAllText(Path.Combine(Outputs("their-teacher", "teacher"), "model.json")))
            .RootElement.GetProperty("standardisation");
        Assert.Equal(0.3, standardisation.GetProperty("mean")[0].GetDouble(), 6);
        Assert.Equal(0.35, standardisation.GetProperty("std")[0].GetDouble(), 6);
        Assert.Contains("standardisation key", standardisation.GetProperty("formula").GetString());

        // The student, exported as their checkpoint, is read by their model code and gives Distill's logits.
        var exported = _temp.Combine("student-ckpt_epoch_1.pth");
        var (code, log) = DistillCli.Run(TimeSpan.FromMinutes(1), "export", Outputs("their-teacher", "student"), "--out", exported);
        Assert.True(code == 0, log);
        var studentGap = LargestDifference(Outputs("their-teacher", "student-cache"), ["logits", "--their-model", "resnet20", "--weights", exported, .. constants]);
        output.WriteLine($"the student exported in RepDistiller's layout, read by their model code: largest difference {studentGap:E2}");
        Assert.True(studentGap <= Tolerance, $"the exported student's logits differ from PyTorch's by {studentGap}");
        var (refused, message) = DistillCli.Run(TimeSpan.FromMinutes(1), "export", Outputs("their-teacher", "zero-padded"), "--out", _temp.Combine("no.pth"));
        Assert.True(refused == 1 && message.Contains("zero-padded shortcuts", StringComparison.Ordinal), message);
        Assert.False(File.Exists(_temp.Combine("no.pth")));
    }

    [Fact]
    public void Any_PyTorch_network_saved_as_TorchScript_is_cached_with_its_embedding_and_teaches_from_the_cache_and_live()
    {
        // OddNet (interop.py): resized input, 24 and 40 channels, GELU; forward returns (logits, 40-d embedding).
        var script = _temp.Combine("teacher.ts");
        output.WriteLine(PyTorchReference.Run("train", "--arch", "oddnet", "--steps", "5", "--out", script));
        Run("script", """
              teacher:
                kind: train
                dataset: fmnist
                model: script
                weights: { format: torchscript, path: teacher.ts }
              teacher-cache: { kind: cache-logits, embeddings: true, inputs: { teacher: teacher } }
              cached-student: { kind: distill, dataset: fmnist, model: tiny, epochs: 1, batch-size: 32, inputs: { teacher: teacher-cache } }
              live-student:
                kind: distill
                dataset: fmnist
                model: tiny
                epochs: 1
                batch-size: 32
                teacher-source: live
                loss: { name: dkd }
                inputs: { teacher: teacher }
            """);

        var cache = Outputs("script", "teacher-cache");
        var gap = LargestDifference(cache, "logits", "--arch", "oddnet", "--weights", script);
        output.WriteLine($"largest |PyTorch - Distill| on 100 test logits of a TorchScript teacher: {gap:E2}");
        Assert.True(gap <= Tolerance, $"the TorchScript teacher's cached logits differ from PyTorch's by {gap}");
        using (var embeddings = NpyFile.Open(Path.Combine(cache, "embeddings-train.npy"))) Assert.Equal(40, embeddings.Columns);
        var card = JsonDocument.Parse(File.ReadAllText(Path.Combine(Outputs("script", "teacher"), "model.json"))).RootElement;
        Assert.Equal("model.ts", card.GetProperty("weights").GetProperty("torchscript").GetString());
        foreach (var student in new[] { "cached-student", "live-student" })
            Assert.True(File.Exists(Path.Combine(Outputs("script", student), "model.json")), $"{student} was not distilled");
    }

    [Fact]
    public void A_PyTorch_teacher_is_imported_and_matched_teaches_a_student_and_the_student_goes_back_to_PyTorch()
    {
        var teacherFile = _temp.Combine("teacher.pt");
        output.WriteLine(PyTorchReference.Run("train", "--out", teacherFile, "--depth", "8", "--width", "8", "--steps", "5"));
        Run("interop", """
              teacher:
                kind: train
                dataset: fmnist
                model: tiny
                weights: { format: pytorch, path: teacher.pt }
              teacher-cache: { kind: cache-logits, inputs: { teacher: teacher } }
              calibration: { kind: calibrate, inputs: { logits: teacher-cache } }
              student:
                kind: distill
                dataset: fmnist
                model: tiny
                epochs: 1
                batch-size: 32
                temperature: 2
                inputs: { teacher: teacher-cache }
              student-cache: { kind: cache-logits, splits: [train, test], inputs: { teacher: student } }
            """ + StudentWithCache("alex") + StudentWithCache("wide") + StudentWithCache("x4") + StudentWithCache("vgg"));

        var teacherGap = FromWeights(teacherFile, Outputs("interop", "teacher-cache"));
        var student = Outputs("interop", "student");
        var studentGap = FromWeights(Path.Combine(student, "weights.pt"), Outputs("interop", "student-cache"));
        var alexGap = FromWeights(Path.Combine(Outputs("interop", "alex-student"), "weights.pt"), Outputs("interop", "alex-cache"), "--arch", "alexnet");
        var wideGap = FromWeights(Path.Combine(Outputs("interop", "wide-student"), "weights.pt"), Outputs("interop", "wide-cache"), "--arch", "wrn", "--depth", "10", "--width", "1");
        output.WriteLine($"largest |PyTorch - Distill| on 100 test logits: imported ResNet teacher {teacherGap:E2}, exported ResNet student {studentGap:E2}, exported AlexNet student {alexGap:E2}, exported WRN-10-1 student {wideGap:E2}");
        Assert.True(teacherGap <= Tolerance, $"imported teacher's logits differ from PyTorch's by {teacherGap}");
        Assert.True(studentGap <= Tolerance, $"exported student's logits differ from PyTorch's by {studentGap}");
        Assert.True(alexGap <= Tolerance, $"exported AlexNet student's logits differ from PyTorch's by {alexGap}");
        Assert.True(wideGap <= Tolerance, $"exported WRN student's logits differ from PyTorch's by {wideGap}");
        Assert.True(File.Exists(Path.Combine(student, "weights.safetensors")));

        // Every exported folder is usable alone: model.json says what to build and how to standardise raw pixels.
        foreach (var (model, cache) in ExportedModels)
        {
            var gap = FromExport(Outputs("interop", model), Outputs("interop", cache));
            output.WriteLine($"{model} from its exported folder alone: largest |PyTorch - Distill| on 100 test logits {gap:E2}");
            Assert.True(gap <= Tolerance, $"{model}'s exported folder gives logits {gap} away from Distill's");
        }

        // Every exported folder's model.onnx passes ONNX's checker, and ONNX Runtime turns raw pixels into Distill's logits.
        foreach (var (model, cache) in ExportedModels)
        {
            var (gap, agreement) = FromOnnx(Outputs("interop", model), Outputs("interop", cache));
            output.WriteLine($"{model}'s model.onnx in ONNX Runtime: largest |ONNX Runtime - Distill| on 100 test logits {gap:E2}, same predicted class {agreement:P0}");
            Assert.True(gap <= Tolerance, $"{model}'s model.onnx gives logits {gap} away from Distill's");
            Assert.Equal(1.0, agreement);
        }

        var card = JsonDocument.Parse(File.ReadAllText(Path.Combine(student, "model.json"))).RootElement;
        Assert.Equal(RunResults.Stage(Path.Combine(Runs, "interop"), "student").Key, card.GetProperty("origin").GetProperty("key").GetString());
        Assert.Equal("""{"depth":8,"shortcut":"zero-pad","width":8}""", card.GetProperty("model").GetProperty("parameters").GetRawText().Replace(" ", "").Replace("\n", "").Replace("\r", ""));
        Assert.Equal("Ankle boot", card.GetProperty("classes")[9].GetString());
        Assert.StartsWith("fashion-mnist:", card.GetProperty("origin").GetProperty("datasetFingerprint").GetString());

        // numpy alone scores a cache the way the calibrate stage does (labels from the cache, no Distill).
        var score = JsonDocument.Parse(PyTorchReference.Run("score", "--cache", Outputs("interop", "teacher-cache"), "--split", "test")).RootElement;
        var calibration = RunResults.Manifest(Path.Combine(Runs, "interop"), "calibration").Metrics;
        Assert.Equal(calibration[MetricNames.Accuracy], score.GetProperty("accuracy").GetDouble(), 9);
        Assert.Equal(calibration[MetricNames.Nll], score.GetProperty("nll").GetDouble(), 6);
        Assert.Equal(calibration[MetricNames.Ece], score.GetProperty("ece").GetDouble(), 6);

        // The imported file's contents are part of the key: other weights under the same name re-run the teacher.
        PyTorchReference.Run("train", "--out", teacherFile, "--depth", "8", "--width", "8", "--steps", "6");
        var (_, plan) = DistillCli.Run(TimeSpan.FromMinutes(1), "plan", _temp.Combine("interop.yaml"), "--runs", Runs);
        Assert.Contains("dataset or imported files changed", plan.Split('\n').Single(l => l.StartsWith("teacher ", StringComparison.Ordinal)));

        // The exported safetensors file imports back into the same logits, bit for bit.
        File.Copy(Path.Combine(student, "weights.safetensors"), _temp.Combine("student.safetensors"));
        Run("reimport", """
              back:
                kind: train
                dataset: fmnist
                model: tiny
                weights: { format: safetensors, path: student.safetensors }
              back-cache: { kind: cache-logits, splits: [train, test], inputs: { teacher: back } }
            """);
        Assert.Equal(File.ReadAllBytes(Path.Combine(Outputs("interop", "student-cache"), "logits-test.npy")),
            File.ReadAllBytes(Path.Combine(Outputs("reimport", "back-cache"), "logits-test.npy")));
    }

    [Fact]
    public void A_weights_file_that_does_not_fit_names_the_missing_extra_and_misshapen_tensors()
    {
        var file = _temp.Combine("wrong.pt");
        PyTorchReference.Run("train", "--out", file, "--depth", "8", "--width", "16", "--steps", "1");
        var yaml = _temp.Combine("wrong.yaml");
        File.WriteAllText(yaml, $"name: wrong\n{Header}\n  teacher: {{ kind: train, dataset: fmnist, model: tiny, weights: {{ format: pytorch, path: wrong.pt }} }}\n");
        var (code, log) = DistillCli.Run(TimeSpan.FromMinutes(2), "run", yaml, "--runs", Runs);
        output.WriteLine(log);
        Assert.Equal(1, code);
        Assert.Contains("wrong.pt does not fit model resnet8", log);
        Assert.Contains("wrong shape", log);
        Assert.Contains("_body.stem.weight is [16, 1, 3, 3], the model needs [8, 1, 3, 3]", log);
    }

    [Fact]
    public void Logits_from_elsewhere_teach_like_a_cache_in_any_row_order_and_a_wrong_label_is_refused()
    {
        // "Elsewhere" is a Distill cache with its rows reversed, so the expected result is known.
        Run("source", """
              teacher: { kind: train, dataset: fmnist, model: tiny, epochs: 1, batch-size: 32 }
              cache: { kind: cache-logits, inputs: { teacher: teacher } }
            """);
        var external = _temp.Combine("external");
        Directory.CreateDirectory(external);
        foreach (var split in new[] { "train", "validation", "test" })
            ReverseInto(Outputs("source", "cache"), external, split);

        Run("imported", """
              outside: { kind: import-logits, dataset: fmnist, path: external }
              calibration: { kind: calibrate, inputs: { logits: outside } }
              student: { kind: distill, dataset: fmnist, model: tiny, epochs: 1, batch-size: 32, inputs: { teacher: outside } }
            """);
        var source = RunResults.Manifest(Path.Combine(Runs, "source"), "cache");
        var imported = RunResults.Manifest(Path.Combine(Runs, "imported"), "outside");
        Assert.Equal(source.Metrics["test_accuracy"], imported.Metrics["test_accuracy"]);
        // Stored in Distill's order again: the same bytes as the cache they came from.
        Assert.Equal(File.ReadAllBytes(Path.Combine(Outputs("source", "cache"), "logits-test.npy")),
            File.ReadAllBytes(Path.Combine(Outputs("imported", "outside"), "logits-test.npy")));
        Assert.Equal(StageStatus.Completed, RunResults.Manifest(Path.Combine(Runs, "imported"), "student").Status);

        // One label changed: the stage fails naming the file, the row and both labels.
        var labelsPath = Path.Combine(external, "labels-test.npy");
        var labels = NpyVector.ReadInt64(labelsPath);
        labels[5] = (labels[5] + 1) % 10;
        NpyVector.WriteInt64(labelsPath, labels);
        var file = _temp.Combine("imported.yaml");
        var (code, log) = DistillCli.Run(TimeSpan.FromMinutes(2), "run", file, "--runs", Runs);
        output.WriteLine(log);
        Assert.Equal(1, code);
        Assert.Contains($"{labelsPath}: row 5 (dataset index", log);
        Assert.Contains($"has label {labels[5]}, the dataset says {(labels[5] + 9) % 10}", log);
    }

    /// <summary>Copies a cache split's view-0 rows, labels and indices into <paramref name="folder"/> in reverse order.</summary>
    private static void ReverseInto(string cache, string folder, string split)
    {
        var labels = NpyVector.ReadInt64(Path.Combine(cache, $"labels-{split}.npy"));
        var indices = NpyVector.ReadInt64(Path.Combine(cache, $"indices-{split}.npy"));
        using var logits = NpyFile.Open(Path.Combine(cache, $"logits-{split}.npy"));
        int n = labels.Length, k = logits.Columns;
        var reversed = new float[n * k];
        for (int i = 0; i < n; i++) logits.GetRows(n - 1 - i, 1).CopyTo(reversed.AsSpan(i * k, k));
        NpyWriter.Write(Path.Combine(folder, $"logits-{split}.npy"), reversed, n, k);
        NpyVector.WriteInt64(Path.Combine(folder, $"labels-{split}.npy"), labels.Reverse().ToArray());
        NpyVector.WriteInt64(Path.Combine(folder, $"indices-{split}.npy"), indices.Reverse().ToArray());
    }
}
