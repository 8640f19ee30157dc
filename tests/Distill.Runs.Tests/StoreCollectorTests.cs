namespace Distill.Runs.Tests;

/// <summary>gc also sweeps the temporary files of writes that died, anywhere under the runs root.</summary>
public sealed class StoreCollectorTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("distill-gc-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    private string Leftover(params string[] folder)
    {
        var dir = Path.Combine([_root, .. folder]);
        Directory.CreateDirectory(dir);
        var path = AtomicFile.TempPathFor(Path.Combine(dir, "manifest.json"));
        File.WriteAllText(path, "");
        return path;
    }

    [Fact]
    public void Gc_removes_temporary_files_of_interrupted_writes_and_a_dry_run_only_counts_them()
    {
        var a = Leftover("store");
        var b = Leftover("quickstart", "stages");
        var kept = Path.Combine(_root, "quickstart", "report.html");
        File.WriteAllText(kept, "<html/>");

        var dry = StoreCollector.Collect(_root, TimeSpan.Zero, null, dryRun: true, DateTimeOffset.UtcNow);
        Assert.Equal(2, dry.TempFiles);
        Assert.True(File.Exists(a) && File.Exists(b));

        var done = StoreCollector.Collect(_root, TimeSpan.Zero, null, dryRun: false, DateTimeOffset.UtcNow);
        Assert.Equal(2, done.TempFiles);
        Assert.False(File.Exists(a) || File.Exists(b));
        Assert.True(File.Exists(kept));
    }
}
