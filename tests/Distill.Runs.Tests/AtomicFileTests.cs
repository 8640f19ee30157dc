namespace Distill.Runs.Tests;

public class AtomicFileTests
{
    [Fact]
    public void Writer_that_throws_leaves_old_target_and_no_temp_file()
    {
        using var dir = new TempDirectory();
        var target = dir.File("data.bin");
        AtomicFile.WriteAllText(target, "old content");

        var thrown = Assert.Throws<InvalidOperationException>(() => AtomicFile.WriteStream(target, stream =>
        {
            stream.Write(new byte[100_000]);
            throw new InvalidOperationException("writer failed half-way");
        }));

        Assert.Equal("writer failed half-way", thrown.Message);
        Assert.Equal("old content", File.ReadAllText(target));
        Assert.Equal(["data.bin"], Directory.GetFiles(dir.Path).Select(Path.GetFileName));
    }

    [Fact]
    public void Writer_that_throws_before_first_write_creates_no_target()
    {
        using var dir = new TempDirectory();
        var target = dir.File("new.bin");

        Assert.Throws<IOException>(() => AtomicFile.WriteStream(target, s => { s.WriteByte(1); throw new IOException("disk full", 28 /* ENOSPC: permanent, not retried */); }));

        Assert.Empty(Directory.GetFiles(dir.Path));
    }

    [Fact]
    public void Uncommitted_writer_is_discarded_on_dispose()
    {
        using var dir = new TempDirectory();
        var target = dir.File("a.txt");
        string temp;
        using (var writer = new AtomicFileWriter(target))
        {
            writer.Stream.Write("partial"u8);
            temp = writer.TempPath;
            Assert.True(File.Exists(temp));
            Assert.False(File.Exists(target));
        }
        Assert.False(File.Exists(temp));
        Assert.False(File.Exists(target));
    }

    [Fact]
    public void Writes_replace_the_target_with_the_full_content()
    {
        using var dir = new TempDirectory();
        var target = dir.File("sub/dir/value.json");

        AtomicFile.WriteJson(target, new { Name = "x", Value = 1.5 });
        AtomicFile.WriteAllText(dir.File("t.txt"), "héllo");

        Assert.Contains("\"name\": \"x\"", File.ReadAllText(target));
        Assert.Equal("héllo", File.ReadAllText(dir.File("t.txt")));
        Assert.Equal([0x68, 0xC3, 0xA9], File.ReadAllBytes(dir.File("t.txt"))[..3]); // UTF-8, no BOM
    }

    [Fact]
    public void Temp_names_are_recognised_and_leftovers_removed()
    {
        using var dir = new TempDirectory();
        var temp = AtomicFile.TempPathFor(dir.File("x.npy"));
        File.WriteAllText(temp, "leftover of a killed writer");
        File.WriteAllText(dir.File("x.npy"), "real");
        File.WriteAllText(dir.File(".hidden.tmp"), "not ours");

        Assert.True(AtomicFile.IsTempFile(temp));
        Assert.False(AtomicFile.IsTempFile("x.npy"));
        Assert.Equal(1, AtomicFile.DeleteLeftoverTempFiles(dir.Path));
        Assert.Equal([".hidden.tmp", "x.npy"], Directory.GetFiles(dir.Path).Select(Path.GetFileName).Order(StringComparer.Ordinal));
    }
}
