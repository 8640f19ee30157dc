namespace Distill.Runs.Tests;

public class LogitCacheTests
{
    private const long Examples = 120;
    private const int Classes = 10;
    private static readonly string TeacherKey = new('a', 64);

    private static LogitCacheSidecar Expected(string teacherKey = "") => new(
        LogitCacheSidecar.CurrentFormatVersion,
        teacherKey.Length > 0 ? teacherKey : TeacherKey,
        new string('c', 64),
        "fashion-mnist:train:9f3e",
        "train",
        ExampleSelection.Range(0, Examples),
        2,
        "view0=none;view1=hflip+crop4",
        LogitCacheSidecar.Float32Dtype,
        [Examples * 2, Classes]);

    /// <summary>Writes a cache the way the cache-logits stage does: .npy committed first, then the sidecar.</summary>
    private static string WriteCache(TempDirectory dir, long rows = Examples * 2)
    {
        var path = dir.File("train.npy");
        var values = Enumerable.Range(0, (int)(rows * Classes)).Select(i => i * 0.25f).ToArray();
        NpyWriter.Write(path, values, rows, Classes);
        Expected().Save(LogitCacheSidecar.PathFor(path));
        return path;
    }

    [Fact]
    public void Matching_cache_has_no_differences_and_sidecar_round_trips()
    {
        using var dir = new TempDirectory();
        var path = WriteCache(dir);

        Assert.Empty(LogitCacheValidator.Check(Expected(), path));
        var stored = LogitCacheSidecar.Load(path + ".json")!;
        Assert.Equal(Examples * 2, stored.ExpectedRows);
        Assert.True(stored.Examples.SameAs(new ExampleSelection(null, Examples, Enumerable.Range(0, (int)Examples).Select(i => (long)i).ToList())));
        Assert.Equal(Expected().AugmentationViewSpec, stored.AugmentationViewSpec);
    }

    [Fact]
    public void Other_teacher_is_reported_with_both_keys()
    {
        using var dir = new TempDirectory();
        var path = WriteCache(dir);

        var differences = LogitCacheValidator.Check(Expected(teacherKey: new string('d', 64)), path);

        Assert.Equal("teacher: expected key dddddddddddd..., sidecar says aaaaaaaaaaaa...", Assert.Single(differences));
    }

    [Fact]
    public void Wrong_shape_is_reported()
    {
        using var dir = new TempDirectory();
        var path = WriteCache(dir);

        var differences = LogitCacheValidator.Check(Expected() with { Shape = [300, Classes] }, path);

        Assert.Equal("shape: expected 300x10, file has 240x10", Assert.Single(differences));
    }

    [Fact]
    public void Provenance_differences_are_each_reported()
    {
        using var dir = new TempDirectory();
        var path = WriteCache(dir);
        var expected = Expected() with
        {
            Split = "test",
            Views = 3,
            DatasetFingerprint = "fashion-mnist:train:0000",
            AugmentationViewSpec = "none",
            Examples = new ExampleSelection(null, 3, [0, 5, 9]),
        };

        var differences = LogitCacheValidator.Check(expected, path);

        Assert.Equal(5, differences.Count);
        Assert.Contains("split: expected 'test', sidecar says 'train'", differences);
        Assert.Contains("views: expected 3, sidecar says 2", differences);
        Assert.Contains("examples: expected 3 listed examples, sidecar says 120 examples from index 0", differences);
    }

    [Fact]
    public void Truncation_is_reported_with_sizes()
    {
        using var dir = new TempDirectory();
        var path = WriteCache(dir);
        var full = new FileInfo(path).Length;
        using (var stream = new FileStream(path, FileMode.Open)) stream.SetLength(full - 400);

        var difference = Assert.Single(LogitCacheValidator.Check(Expected(), path));
        Assert.Equal($"file: truncated: shape (240, 10) float32 needs {full} bytes, file has {full - 400} bytes", difference);
    }

    [Fact]
    public void Missing_sidecar_or_file_is_reported()
    {
        using var dir = new TempDirectory();
        var path = WriteCache(dir);
        File.Delete(path + ".json");
        Assert.Equal($"sidecar: '{path}.json' does not exist", Assert.Single(LogitCacheValidator.Check(Expected(), path)));

        var other = dir.File("none.npy");
        Assert.Contains($"file: '{other}' does not exist", LogitCacheValidator.Check(Expected(), other));
    }
}
