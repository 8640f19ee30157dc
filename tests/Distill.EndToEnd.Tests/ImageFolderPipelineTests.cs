using System.Diagnostics;
using Distill.EndToEnd.Tests.Support;
using SkiaSharp;
using Xunit.Abstractions;

namespace Distill.EndToEnd.Tests;

/// <summary>A pipeline on an image-folder dataset (PNG and JPEG files of three classes) runs end to end with the real program.</summary>
[Collection(EndToEndCollection.Name)]
[Trait("Category", "Slow")]
public sealed class ImageFolderPipelineTests(ITestOutputHelper output) : IDisposable
{
    private static readonly TimeSpan RunTimeout = TimeSpan.FromMinutes(3);
    private readonly TempFolder _temp = new();

    public void Dispose() => _temp.Dispose();

    private static readonly (string Name, SKColor Colour)[] Classes =
    [
        ("circle", new SKColor(220, 40, 40)),
        ("square", new SKColor(40, 180, 60)),
        ("triangle", new SKColor(40, 70, 220)),
    ];

    /// <summary>A shape of the class's colour on a noisy background, at a random size, place and image size.</summary>
    private static void WriteShape(string path, int cls, Random random)
    {
        var side = random.Next(28, 60);
        using var bitmap = new SKBitmap(new SKImageInfo(side, side, SKColorType.Rgba8888, SKAlphaType.Premul));
        for (var y = 0; y < side; y++)
            for (var x = 0; x < side; x++)
            {
                var g = (byte)random.Next(90, 170);
                bitmap.SetPixel(x, y, new SKColor(g, g, g));
            }
        using (var canvas = new SKCanvas(bitmap))
        using (var paint = new SKPaint { Color = Classes[cls].Colour, IsAntialias = true, Style = SKPaintStyle.Fill })
        {
            var r = side * (0.2f + 0.15f * (float)random.NextDouble());
            var cx = side / 2f + (float)(random.NextDouble() - 0.5) * side * 0.2f;
            var cy = side / 2f + (float)(random.NextDouble() - 0.5) * side * 0.2f;
            switch (cls)
            {
                case 0: canvas.DrawCircle(cx, cy, r, paint); break;
                case 1: canvas.DrawRect(cx - r, cy - r, 2 * r, 2 * r, paint); break;
                default:
                    using (var triangle = new SKPath())
                    {
                        triangle.MoveTo(cx, cy - r);
                        triangle.LineTo(cx + r, cy + r);
                        triangle.LineTo(cx - r, cy + r);
                        triangle.Close();
                        canvas.DrawPath(triangle, paint);
                    }
                    break;
            }
        }
        var png = path.EndsWith(".png", StringComparison.OrdinalIgnoreCase);
        using var stream = File.Create(path);
        Assert.True(bitmap.Encode(stream, png ? SKEncodedImageFormat.Png : SKEncodedImageFormat.Jpeg, 90));
    }

    private static void WriteImageFolder(string root, int trainPerClass, int testPerClass)
    {
        var random = new Random(5);
        foreach (var (split, count) in new[] { ("train", trainPerClass), ("test", testPerClass) })
            for (var cls = 0; cls < Classes.Length; cls++)
            {
                var folder = Path.Combine(root, split, Classes[cls].Name);
                Directory.CreateDirectory(folder);
                for (var i = 0; i < count; i++)
                    WriteShape(Path.Combine(folder, $"{i:000}{(i % 3 == 0 ? ".jpg" : ".png")}"), cls, random);
            }
    }

    [Fact]
    public void ImageFolderPipelineTrainsCachesAndDistils()
    {
        var images = _temp.Combine("shapes");
        WriteImageFolder(images, trainPerClass: 30, testPerClass: 10);
        var pipeline = _temp.Combine("shapes.yaml");
        File.WriteAllText(pipeline, $$"""
            name: shapes
            seed: 3
            device: cpu
            threads: 2
            datasets:
              shapes:
                kind: image-folder
                path: "{{images}}"
                image-size: 24
                validation: 15
                augmentation: { crop-padding: 2, flip: true }
            models:
              tiny-resnet: { architecture: resnet, depth: 8, width: 8 }
            x-training: &training
              dataset: shapes
              model: tiny-resnet
              epochs: 2
              batch-size: 16
              lr: 0.05
              schedule: cosine
            stages:
              teacher:
                <<: *training
                kind: train
                alpha: 0.1
              cache:
                kind: cache-logits
                inputs: { teacher: teacher }
                views: 2
              student:
                <<: *training
                kind: distill
                temperature: 4
                views: 2
                inputs: { teacher: cache }
            """);

        var watch = Stopwatch.StartNew();
        var (code, log) = DistillCli.Run(RunTimeout, "run", pipeline, "--runs", _temp.Combine("runs"));
        output.WriteLine($"image-folder pipeline: {watch.Elapsed.TotalSeconds:F1} s");
        output.WriteLine(log);
        Assert.True(code == 0, $"exit code {code}:\n{log}");

        var run = _temp.Combine("runs", "shapes");
        var stages = RunResults.Fingerprint(run);
        Assert.Equal(["cache", "student", "teacher"], stages.Keys);
        Assert.All(stages, s => Assert.True(s.Value.StartsWith("Completed|", StringComparison.Ordinal), $"{s.Key}: {s.Value}"));
        var student = RunResults.Manifest(run, "student");
        foreach (var metric in new[] { "test_accuracy", "validation_accuracy", "train_loss", "teacher_gamma" })
            Assert.True(student.Metrics.ContainsKey(metric), $"student metrics lack {metric}: {string.Join(", ", student.Metrics.Keys)}");
        Assert.InRange(student.Metrics["test_accuracy"], 0, 1);

        // A second run finds everything up to date: the folder's fingerprint is stable.
        var (again, againLog) = DistillCli.Run(RunTimeout, "run", pipeline, "--runs", _temp.Combine("runs"));
        Assert.True(again == 0, againLog);
        Assert.DoesNotContain("starting", againLog);
    }
}
