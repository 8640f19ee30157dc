using System.Security.Cryptography;

namespace Distill.Learning.Data.Download;

/// <summary>The hash functions a <see cref="Checksum"/> can name.</summary>
public enum ChecksumAlgorithm
{
    Md5,
    Sha256,
}

/// <summary>
/// An expected file hash written as "md5:&lt;hex&gt;" or "sha256:&lt;hex&gt;". MD5 is only here because the
/// official CIFAR archives publish nothing stronger; it guards against corruption, not tampering.
/// </summary>
public sealed record Checksum
{
    public Checksum(ChecksumAlgorithm algorithm, string hex)
    {
        var expectedLength = algorithm == ChecksumAlgorithm.Md5 ? 32 : 64;
        if (hex.Length != expectedLength || !hex.All(Uri.IsHexDigit))
            throw new ArgumentException(
                $"a {Prefix(algorithm)} checksum is {expectedLength} hex digits, got '{hex}'", nameof(hex));
        Algorithm = algorithm;
        Hex = hex.ToLowerInvariant();
    }

    public ChecksumAlgorithm Algorithm { get; }

    /// <summary>Lower-case hex digits.</summary>
    public string Hex { get; }

    /// <summary>Parses "md5:&lt;hex&gt;" or "sha256:&lt;hex&gt;" (prefix case-insensitive).</summary>
    public static Checksum Parse(string text)
    {
        var colon = text.IndexOf(':');
        if (colon > 0)
        {
            var prefix = text[..colon].Trim().ToLowerInvariant();
            var hex = text[(colon + 1)..].Trim();
            if (prefix == "md5")
                return new Checksum(ChecksumAlgorithm.Md5, hex);
            if (prefix == "sha256")
                return new Checksum(ChecksumAlgorithm.Sha256, hex);
        }
        throw new FormatException($"a checksum is written 'md5:<hex>' or 'sha256:<hex>', got '{text}'");
    }

    /// <summary>The hex digest of a file's content with this checksum's algorithm.</summary>
    public string ComputeHex(string path)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 20);
        var digest = Algorithm == ChecksumAlgorithm.Md5 ? MD5.HashData(stream) : SHA256.HashData(stream);
        return Convert.ToHexStringLower(digest);
    }

    /// <summary>Whether the file's content has this hash.</summary>
    public bool Matches(string path, out string actualHex)
    {
        actualHex = ComputeHex(path);
        return actualHex == Hex;
    }

    public override string ToString() => $"{Prefix(Algorithm)}:{Hex}";

    private static string Prefix(ChecksumAlgorithm algorithm) =>
        algorithm == ChecksumAlgorithm.Md5 ? "md5" : "sha256";
}
