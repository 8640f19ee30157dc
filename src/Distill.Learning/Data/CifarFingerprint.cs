using Distill.Runs;
using System.Security.Cryptography;
using System.Text;

namespace Distill.Learning.Data;

/// <summary>
/// SHA-256 over a dataset's identity and the names, sizes and content hashes of its files (content
/// hashes remembered per process by <see cref="FileHash"/>, so repeated stage keys stay cheap).
/// </summary>
internal static class CifarFingerprint
{
    public static string Compute(string identity, string folder, IEnumerable<string> fileNames)
    {
        var text = new StringBuilder().Append("distill-cifar-fingerprint-v1\n").Append(identity).Append('\n');
        foreach (var name in fileNames)
        {
            var path = Path.Combine(folder, name);
            text.Append(name).Append('\n')
                .Append(new FileInfo(path).Length).Append('\n')
                .Append(Convert.ToHexStringLower(FileHash.Sha256OfSource(path))).Append('\n');
        }
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text.ToString())));
    }
}
