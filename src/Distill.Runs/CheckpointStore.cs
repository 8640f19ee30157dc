using System.Globalization;
using System.Text.RegularExpressions;

namespace Distill.Runs;

/// <summary>
/// What is known about a checkpoint besides its opaque payload: position, when and why it was written, the
/// payload size (checked on read), and free-form trainer state such as RNG seeds (string -> string).
/// </summary>
public sealed record CheckpointInfo(
    int FormatVersion,
    int Epoch,
    long Step,
    DateTimeOffset WrittenAt,
    long PayloadBytes,
    string? Reason,
    IReadOnlyDictionary<string, string> State)
{
    public const int CurrentFormatVersion = 1;
}

/// <summary>One checkpoint on disk: its payload file, its info file and the parsed info.</summary>
public sealed record CheckpointEntry(int Epoch, long Step, string PayloadPath, string InfoPath, CheckpointInfo Info);

/// <summary>
/// The checkpoints of one stage: <c>epoch-0003-step-000000120.ckpt</c> (opaque payload, e.g. TorchSharp state)
/// plus <c>epoch-0003-step-000000120.json</c> (<see cref="CheckpointInfo"/>). Each file is written atomically
/// and the info file last, so a checkpoint counts only when both exist and the payload has the recorded size.
/// </summary>
public sealed partial class CheckpointStore
{
    public const string PayloadExtension = ".ckpt";
    public const string InfoExtension = ".json";

    public CheckpointStore(string directory)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        DirectoryPath = Path.GetFullPath(directory);
    }

    public string DirectoryPath { get; }

    /// <summary>The file name stem of a checkpoint: zero-padded so names also sort in order.</summary>
    public static string BaseName(int epoch, long step)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(epoch);
        ArgumentOutOfRangeException.ThrowIfNegative(step);
        return string.Create(CultureInfo.InvariantCulture, $"epoch-{epoch:D4}-step-{step:D9}");
    }

    /// <summary>
    /// Writes a checkpoint: <paramref name="writePayload"/> fills the payload stream, then the info file is
    /// written. Afterwards only the newest <paramref name="keepLast"/> checkpoints are kept (0 or less keeps all).
    /// </summary>
    public CheckpointEntry Write(int epoch, long step, Action<Stream> writePayload, IReadOnlyDictionary<string, string>? state = null,
        string? reason = null, int keepLast = 0, DateTimeOffset? now = null)
    {
        ArgumentNullException.ThrowIfNull(writePayload);
        Directory.CreateDirectory(DirectoryPath);
        var stem = BaseName(epoch, step);
        var payloadPath = Path.Combine(DirectoryPath, stem + PayloadExtension);
        var infoPath = Path.Combine(DirectoryPath, stem + InfoExtension);

        // Remove a stale info file first: during the payload write, the pair must not look complete.
        if (File.Exists(infoPath)) File.Delete(infoPath);
        AtomicFile.WriteStream(payloadPath, writePayload);
        var info = new CheckpointInfo(CheckpointInfo.CurrentFormatVersion, epoch, step, now ?? DateTimeOffset.UtcNow,
            new FileInfo(payloadPath).Length, reason, new Dictionary<string, string>(state ?? new Dictionary<string, string>()));
        AtomicFile.WriteJson(infoPath, info);

        if (keepLast > 0) KeepLast(keepLast);
        return new CheckpointEntry(epoch, step, payloadPath, infoPath, info);
    }

    /// <summary>Complete checkpoints, oldest first (ordered by epoch, then step).</summary>
    public IReadOnlyList<CheckpointEntry> List()
    {
        if (!Directory.Exists(DirectoryPath)) return [];
        var entries = new List<CheckpointEntry>();
        foreach (var infoPath in Directory.EnumerateFiles(DirectoryPath, "*" + InfoExtension))
        {
            var match = NamePattern().Match(Path.GetFileNameWithoutExtension(infoPath));
            if (!match.Success) continue;
            var payloadPath = Path.ChangeExtension(infoPath, PayloadExtension);
            if (!File.Exists(payloadPath)) continue;

            CheckpointInfo? info;
            try { info = RunJson.ReadFile<CheckpointInfo>(infoPath); }
            catch (RunFormatException) { continue; } // not ours or damaged: never resume from it
            if (info is null || new FileInfo(payloadPath).Length != info.PayloadBytes) continue;

            entries.Add(new CheckpointEntry(
                int.Parse(match.Groups["epoch"].Value, CultureInfo.InvariantCulture),
                long.Parse(match.Groups["step"].Value, CultureInfo.InvariantCulture),
                payloadPath, infoPath, info));
        }
        return entries.OrderBy(e => e.Epoch).ThenBy(e => e.Step).ToList();
    }

    /// <summary>The newest complete checkpoint, or null.</summary>
    public CheckpointEntry? Latest() => List().LastOrDefault();

    /// <summary>Opens a checkpoint's payload for reading.</summary>
    public static Stream OpenPayload(CheckpointEntry entry) =>
        new FileStream(entry.PayloadPath, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);


    /// <summary>
    /// Deletes all but the newest <paramref name="count"/> complete checkpoints, plus incomplete pairs and
    /// temporary leftovers (they can never be resumed from). Returns how many files were deleted.
    /// </summary>
    public int KeepLast(int count)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1);
        if (!Directory.Exists(DirectoryPath)) return 0;
        var keep = List().TakeLast(count)
            .SelectMany(e => new[] { e.PayloadPath, e.InfoPath })
            .ToHashSet(StringComparer.Ordinal);

        var deleted = 0;
        foreach (var file in Directory.EnumerateFiles(DirectoryPath))
        {
            var name = Path.GetFileName(file);
            var ours = AtomicFile.IsTempFile(name) || NamePattern().IsMatch(Path.GetFileNameWithoutExtension(name))
                && (name.EndsWith(PayloadExtension, StringComparison.Ordinal) || name.EndsWith(InfoExtension, StringComparison.Ordinal));
            if (!ours || keep.Contains(file)) continue;
            File.Delete(file);
            deleted++;
        }
        return deleted;
    }

    [GeneratedRegex(@"^epoch-(?<epoch>\d{4,9})-step-(?<step>\d{9,18})$", RegexOptions.CultureInvariant)]
    private static partial Regex NamePattern();
}
