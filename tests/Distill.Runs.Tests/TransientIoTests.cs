namespace Distill.Runs.Tests;

/// <summary>Retries sit at the file operation they protect: transient faults are retried there, others fail at once.</summary>
public class TransientIoTests
{
    private static readonly Polly.ResiliencePipeline Fast = TransientIo.Create(TimeSpan.FromMilliseconds(1));

    [Fact]
    public void A_transient_fault_is_retried_at_the_call_and_the_call_succeeds()
    {
        int calls = 0;
        var result = Fast.Execute(() => ++calls < 3 ? throw new IOException("the mount hiccupped") : "written");

        Assert.Equal(("written", 3), (result, calls));
    }

    [SkippableTheory]
    [InlineData(28)] // ENOSPC: waiting will not free the disk
    [InlineData(30)] // EROFS
    public void A_fault_waiting_cannot_fix_fails_at_once(int errno)
    {
        Skip.If(OperatingSystem.IsWindows(), "errno values are the Unix ones");
        int calls = 0;
        Assert.Throws<IOException>(() => Fast.Execute(() => { calls++; throw new IOException("no space", errno); }));
        Assert.Equal(1, calls);
    }

    [Fact]
    public void A_malformed_file_or_a_missing_one_is_not_retried()
    {
        int calls = 0;
        Assert.Throws<RunFormatException>(() => Fast.Execute(() => { calls++; throw new RunFormatException("m.json", "is not JSON"); }));
        Assert.Throws<FileNotFoundException>(() => Fast.Execute(() => { calls++; throw new FileNotFoundException("gone"); }));
        Assert.Equal(2, calls);
    }
}
