using System.CommandLine;
using System.Globalization;
using Distill.Runs;

namespace Distill.Cli.Commands;

/// <summary>`distill gc`: removes store entries no run points to, by age and/or to fit a size.</summary>
internal static class GcCommand
{
    public static Command Create()
    {
        var days = new Option<double?>("--keep-days") { Description = "Remove entries no run points to that were last written more than this many days ago (0: all of them)" };
        var size = new Option<string?>("--max-size") { Description = "Then remove the oldest entries no run points to until the store fits this size (e.g. 500M, 20G)" };
        var dryRun = new Option<bool>("--dry-run") { Description = "Only list what would be removed" };
        var command = new Command("gc", "Remove results from the store that no pipeline points to (entries in use are always kept)") { RunCommand.RunsRoot, days, size, dryRun };
        command.SetAction(parse => Run(parse.GetValue(RunCommand.RunsRoot)!, parse.GetValue(days), parse.GetValue(size), parse.GetValue(dryRun), Console.Out));
        return command;
    }

    internal static int Run(string runsRoot, double? keepDays, string? maxSize, bool dryRun, TextWriter output)
    {
        long? limit = null;
        if (maxSize is not null)
        {
            if (ParseSize(maxSize) is not { } parsed)
            {
                Console.Error.WriteLine($"error: --max-size '{maxSize}' is not a size (a number with K, M, G or T, e.g. 20G)");
                return 2;
            }
            limit = parsed;
        }
        if (keepDays is null && limit is null || keepDays < 0)
        {
            Console.Error.WriteLine("error: give --keep-days N (N >= 0) or --max-size SIZE, or both");
            return 2;
        }
        CollectionResult result;
        try { result = StoreCollector.Collect(runsRoot, keepDays is { } d ? TimeSpan.FromDays(d) : null, limit, dryRun, DateTimeOffset.UtcNow); }
        catch (RunLockedException e)
        {
            Console.Error.WriteLine($"error: {e.Message}");
            return 1;
        }
        catch (RunFormatException e)
        {
            Console.Error.WriteLine($"error: {e.Message}; nothing was removed");
            return 1;
        }
        var verb = dryRun ? "would remove" : "removed";
        foreach (var entry in result.Removed)
            output.WriteLine($"{verb} {StageKey.Short(entry.Key)}  {entry.Kind,-12} {Bytes(entry.Bytes),9}  last written {entry.LastWritten:yyyy-MM-dd HH:mm}  made by {entry.Origin}");
        if (result.TempFiles > 0)
            output.WriteLine($"{verb} {result.TempFiles} temporary file{(result.TempFiles == 1 ? "" : "s")} left by interrupted writes");
        int inUse = result.Kept.Count(e => e.UsedBy.Count > 0);
        output.WriteLine($"{(dryRun ? "Would remove" : "Removed")} {result.Removed.Count} entr{(result.Removed.Count == 1 ? "y" : "ies")} ({Bytes(result.FreedBytes)}); " +
            $"kept {result.Kept.Count} ({Bytes(result.KeptBytes)}), {inUse} of them in use by a run.");
        return 0;
    }

    /// <summary>"500M" -> bytes (binary multiples); a plain number is bytes.</summary>
    internal static long? ParseSize(string text)
    {
        text = text.Trim().ToUpperInvariant().TrimEnd('B', 'I');
        long unit = text.Length > 0 ? text[^1] switch { 'K' => 1L << 10, 'M' => 1L << 20, 'G' => 1L << 30, 'T' => 1L << 40, _ => 1 } : 1;
        var number = unit == 1 ? text : text[..^1];
        return double.TryParse(number, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) && value >= 0 ? (long)(value * unit) : null;
    }

    private static string Bytes(long bytes) =>
        bytes >= 1L << 30 ? string.Create(CultureInfo.InvariantCulture, $"{bytes / (double)(1L << 30):0.0} GiB")
        : bytes >= 1L << 20 ? string.Create(CultureInfo.InvariantCulture, $"{bytes / (double)(1L << 20):0.0} MiB")
        : string.Create(CultureInfo.InvariantCulture, $"{bytes / 1024.0:0.0} KiB");
}
