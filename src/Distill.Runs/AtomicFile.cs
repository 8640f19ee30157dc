using System.Text;
using System.Text.Json;

namespace Distill.Runs;

/// <summary>
/// Writes files so that a reader (or a crash) never sees a half-written target: the content goes to a
/// temporary file in the same directory, is flushed to disk, and is then renamed over the target.
/// Rename within one directory is atomic on POSIX file systems and on NTFS. A transient fault retries the whole
/// write (<see cref="TransientIo"/>), so the content must be the same each time it is produced.
/// </summary>
public static class AtomicFile
{
    private const string TempSuffix = ".tmp";

    /// <summary>Writes <paramref name="bytes"/> to <paramref name="path"/> atomically.</summary>
    public static void WriteAllBytes(string path, byte[] bytes) => WriteStream(path, stream => stream.Write(bytes));

    /// <summary>Writes <paramref name="text"/> as UTF-8 without a byte-order mark, atomically.</summary>
    public static void WriteAllText(string path, string text) =>
        WriteAllBytes(path, new UTF8Encoding(false).GetBytes(text));

    /// <summary>Serializes <paramref name="value"/> as JSON (the run store's options unless given) atomically.</summary>
    public static void WriteJson<T>(string path, T value, JsonSerializerOptions? options = null) =>
        WriteAllBytes(path, JsonSerializer.SerializeToUtf8Bytes(value, options ?? RunJson.Options));

    /// <summary>
    /// Lets <paramref name="write"/> fill the file through a stream; the target is replaced only if it
    /// returns normally. If it throws, the temporary file is deleted and the exception propagates.
    /// </summary>
    public static void WriteStream(string path, Action<Stream> write)
    {
        ArgumentNullException.ThrowIfNull(write);
        TransientIo.Run(() =>
        {
            using var writer = new AtomicFileWriter(path);
            write(writer.Stream);
            writer.Commit();
        });
    }

    /// <summary>A fresh temporary name next to <paramref name="path"/>: hidden, unique, recognisable by <see cref="IsTempFile"/>.</summary>
    public static string TempPathFor(string path)
    {
        var full = Path.GetFullPath(path);
        var dir = Path.GetDirectoryName(full) ?? throw new ArgumentException($"'{path}' has no directory.", nameof(path));
        return Path.Combine(dir, $".{Path.GetFileName(full)}.{Guid.NewGuid():N}{TempSuffix}");
    }

    /// <summary>True for names made by <see cref="TempPathFor"/> (left behind only when a process was killed mid-write).</summary>
    public static bool IsTempFile(string fileName)
    {
        var name = Path.GetFileName(fileName);
        return name.StartsWith('.') && name.EndsWith(TempSuffix, StringComparison.Ordinal) && name.Length > 32 + TempSuffix.Length + 2;
    }

    /// <summary>Deletes temporary files a killed writer left in <paramref name="directory"/> (not recursive).</summary>
    public static int DeleteLeftoverTempFiles(string directory)
    {
        if (!Directory.Exists(directory)) return 0;
        var deleted = 0;
        foreach (var file in Directory.EnumerateFiles(directory))
        {
            if (!IsTempFile(file)) continue;
            File.Delete(file);
            deleted++;
        }
        return deleted;
    }
}

/// <summary>
/// A writable temporary file that becomes <see cref="TargetPath"/> on <see cref="Commit"/>. Disposing it
/// without committing deletes the temporary file, so a failed writer leaves the old target untouched.
/// Use it when the content is produced incrementally (e.g. streaming rows into an .npy file).
/// </summary>
public sealed class AtomicFileWriter : IDisposable
{
    private readonly FileStream _stream;
    private bool _done;

    public AtomicFileWriter(string targetPath)
    {
        ArgumentException.ThrowIfNullOrEmpty(targetPath);
        TargetPath = Path.GetFullPath(targetPath);
        Directory.CreateDirectory(Path.GetDirectoryName(TargetPath)!);
        TempPath = AtomicFile.TempPathFor(TargetPath);
        _stream = new FileStream(TempPath, FileMode.CreateNew, FileAccess.ReadWrite, FileShare.None, 1 << 16);
    }

    public string TargetPath { get; }

    public string TempPath { get; }

    /// <summary>The temporary file's stream; seekable, so a header may be patched before committing.</summary>
    public Stream Stream => _done ? throw new ObjectDisposedException(nameof(AtomicFileWriter)) : _stream;

    /// <summary>Flushes to disk (not just to the OS cache) and renames over the target.</summary>
    public void Commit()
    {
        ObjectDisposedException.ThrowIf(_done, this);
        try
        {
            // Flush(true) is fsync: without it a power loss after the rename can leave an empty target.
            _stream.Flush(flushToDisk: true);
            _stream.Dispose();
            File.Move(TempPath, TargetPath, overwrite: true);
            _done = true;
        }
        catch
        {
            Abort();
            throw;
        }
    }

    public void Dispose()
    {
        if (!_done) Abort();
    }

    private void Abort()
    {
        _done = true;
        // Closing flushes what is buffered, which fails again on a full disk: the content is being thrown away, so
        // that failure must not keep the temporary file from being deleted (nor hide the write's own exception).
        try { _stream.Dispose(); }
        catch (IOException) { }
        try { File.Delete(TempPath); }
        catch (IOException) { /* best effort: a leftover temp is recognisable and cleaned later */ }
        catch (UnauthorizedAccessException) { }
    }
}
