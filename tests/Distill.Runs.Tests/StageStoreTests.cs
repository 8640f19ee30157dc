namespace Distill.Runs.Tests;

public class StageStoreTests
{
    private static readonly string Key = new('c', 64);

    [Fact]
    public void Running_pipelines_share_the_store_and_gc_needs_it_alone()
    {
        using var dir = new TempDirectory();
        var store = StageStore.Under(dir.Path);

        using (var first = store.Use())
        using (var second = store.Use())
        {
            Assert.Null(store.TryUseExclusively());
        }

        using (var gc = store.TryUseExclusively())
        {
            Assert.NotNull(gc);
            var error = Assert.Throws<RunLockedException>(() => store.Use());
            Assert.Contains("distill gc", error.Message);
        }
        using var after = store.Use();
    }

    [Fact]
    public async Task A_second_taker_of_a_key_waits_until_the_first_lets_go()
    {
        using var dir = new TempDirectory();
        var store = StageStore.Under(dir.Path);
        var first = store.LockKey(Key, _ => Assert.Fail("the first taker must not wait"), CancellationToken.None)!;
        Assert.True(store.IsBeingComputed(Key, out var holder));
        Assert.Equal(Environment.ProcessId, holder!.Pid);

        var told = new List<RunLockOwner?>();
        var release = Task.Run(() => { Thread.Sleep(400); first.Dispose(); });
        var clock = System.Diagnostics.Stopwatch.StartNew();
        using var second = store.LockKey(Key, told.Add, CancellationToken.None, TimeSpan.FromMilliseconds(20));

        Assert.NotNull(second);
        Assert.True(clock.ElapsedMilliseconds >= 300, $"took the key after {clock.ElapsedMilliseconds} ms, while it was held");
        Assert.Equal(Environment.ProcessId, Assert.Single(told)!.Pid);
        await release;
    }

    [Fact]
    public void Waiting_for_a_key_ends_when_the_run_is_stopped()
    {
        using var dir = new TempDirectory();
        var store = StageStore.Under(dir.Path);
        using var held = store.LockKey(Key, _ => { }, CancellationToken.None)!;
        using var stop = new CancellationTokenSource(TimeSpan.FromMilliseconds(200));

        Assert.Null(store.LockKey(Key, _ => { }, stop.Token, TimeSpan.FromMilliseconds(20)));
    }

    [Fact]
    public void Only_key_folders_are_listed_as_entries()
    {
        using var dir = new TempDirectory();
        var store = StageStore.Under(dir.Path);
        store.Entry(Key).EnsureCreated();
        using (store.LockKey(Key, _ => { }, CancellationToken.None)) { }
        Directory.CreateDirectory(Path.Combine(store.RootPath, "not-a-key"));

        Assert.Equal([Key], store.Keys());
        Assert.Throws<ArgumentException>(() => store.Entry("../x"));
        Assert.Throws<ArgumentException>(() => store.Entry(StageStore.LocksFolderName));
    }
}
