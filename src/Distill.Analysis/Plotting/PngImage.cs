namespace Distill.Analysis.Plotting;

/// <summary>Small helpers around PNG bytes produced by the plot functions.</summary>
public static class PngImage
{
    private static readonly byte[] Signature = [0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A];

    /// <summary>True when <paramref name="bytes"/> starts with the 8-byte PNG signature.</summary>
    public static bool HasPngSignature(ReadOnlySpan<byte> bytes) => bytes.StartsWith(Signature);

    /// <summary>Writes PNG bytes to <paramref name="path"/>, creating its folder; returns the full path.</summary>
    public static string Write(string path, byte[] png)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        ArgumentNullException.ThrowIfNull(png);
        if (!HasPngSignature(png))
            throw new ArgumentException("The bytes are not a PNG image.", nameof(png));
        string full = Path.GetFullPath(path);
        string? folder = Path.GetDirectoryName(full);
        if (!string.IsNullOrEmpty(folder))
            Directory.CreateDirectory(folder);
        File.WriteAllBytes(full, png);
        return full;
    }
}
