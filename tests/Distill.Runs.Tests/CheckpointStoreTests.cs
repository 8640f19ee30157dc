namespace Distill.Runs.Tests;

public class CheckpointStoreTests
{
    [Fact]
    public void Names_are_zero_padded_and_sort_in_order()
    {
        Assert.Equal("epoch-0003-step-000000120", CheckpointStore.BaseName(3, 120));
        Assert.True(string.CompareOrdinal(CheckpointStore.BaseName(2, 999), CheckpointStore.BaseName(10, 5)) < 0);
    }

    [Fact]
    public void Written_checkpoints_round_trip_and_latest_is_the_newest()
    {
        using var dir = new TempDirectory();
        var store = new CheckpointStore(dir.File("checkpoints"));
        Assert.Null(store.Latest());

        store.Write(1, 100, s => s.Write([1, 2, 3]));
        store.Write(10, 1000, s => s.Write([9, 9]), new Dictionary<string, string> { ["rng"] = "seed=7;stage=s;epoch=10" }, reason: "epoch-end");
        store.Write(2, 200, s => s.Write([4]));

        var latest = store.Latest()!;
        Assert.Equal((10, 1000L), (latest.Epoch, latest.Step));
        Assert.Equal([9, 9], File.ReadAllBytes(latest.PayloadPath));
        Assert.Equal("seed=7;stage=s;epoch=10", latest.Info.State["rng"]);
        Assert.Equal("epoch-end", latest.Info.Reason);
        Assert.Equal(2, latest.Info.PayloadBytes);
        Assert.Equal([1, 2, 10], store.List().Select(e => e.Epoch));
        using var stream = CheckpointStore.OpenPayload(store.List()[0]);
        Assert.Equal(1, stream.ReadByte());
        Assert.True(File.Exists(Path.Combine(store.DirectoryPath, "epoch-0010-step-000001000.ckpt")));
        Assert.True(File.Exists(Path.Combine(store.DirectoryPath, "epoch-0010-step-000001000.json")));
    }

    [Fact]
    public void Keep_last_deletes_older_checkpoints_and_incomplete_leftovers()
    {
        using var dir = new TempDirectory();
        var store = new CheckpointStore(dir.File("checkpoints"));
        for (var epoch = 0; epoch < 5; epoch++) store.Write(epoch, epoch * 10L, s => s.WriteByte((byte)epoch));
        File.WriteAllText(Path.Combine(store.DirectoryPath, "epoch-0009-step-000000090.ckpt"), "payload without info");
        File.WriteAllText(AtomicFile.TempPathFor(Path.Combine(store.DirectoryPath, "epoch-0009-step-000000090.json")), "x");
        File.WriteAllText(Path.Combine(store.DirectoryPath, "notes.txt"), "not a checkpoint");

        store.Write(5, 50, s => s.WriteByte(5), keepLast: 2);

        Assert.Equal([4, 5], store.List().Select(e => e.Epoch));
        Assert.Equal(
            ["epoch-0004-step-000000040.ckpt", "epoch-0004-step-000000040.json", "epoch-0005-step-000000050.ckpt", "epoch-0005-step-000000050.json", "notes.txt"],
            Directory.GetFiles(store.DirectoryPath).Select(Path.GetFileName).Order(StringComparer.Ordinal));
    }

    [Fact]
    public void Incomplete_or_damaged_checkpoints_are_never_latest()
    {
        using var dir = new TempDirectory();
        var store = new CheckpointStore(dir.File("checkpoints"));
        store.Write(1, 10, s => s.Write([1, 2, 3, 4]));
        var second = store.Write(2, 20, s => s.Write([1, 2, 3, 4]));
        var third = store.Write(3, 30, s => s.Write([1, 2, 3, 4]));

        File.Delete(third.InfoPath);                          // crash between payload and info
        File.WriteAllBytes(second.PayloadPath, [1, 2]);      // payload shorter than recorded

        Assert.Equal(1, store.Latest()!.Epoch);
    }

    [Fact]
    public void Failed_payload_write_leaves_previous_checkpoints_intact()
    {
        using var dir = new TempDirectory();
        var store = new CheckpointStore(dir.File("checkpoints"));
        store.Write(1, 10, s => s.WriteByte(1));

        Assert.Throws<IOException>(() => store.Write(2, 20, s => { s.WriteByte(2); throw new IOException("disk full", 28 /* ENOSPC: permanent, not retried */); }));

        Assert.Equal(1, store.Latest()!.Epoch);
        Assert.Equal(2, Directory.GetFiles(store.DirectoryPath).Length);
    }
}
