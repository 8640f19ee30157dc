using Distill.EndToEnd.Tests.Support;

namespace Distill.EndToEnd.Tests;

/// <summary>The README's ONNX Runtime snippet is the code the interoperability test runs (Support/OnnxServing.cs).</summary>
public sealed class OnnxServingReadmeTests
{
    [Fact]
    public void The_README_quotes_the_tested_serving_code_verbatim()
    {
        var source = File.ReadAllLines(Path.Combine(DistillCli.RepositoryRoot, "tests", "Distill.EndToEnd.Tests", "Support", "OnnxServing.cs"));
        int begin = Array.FindIndex(source, l => l.Trim() == OnnxServing.Begin), end = Array.FindIndex(source, l => l.Trim() == OnnxServing.End);
        Assert.True(begin >= 0 && end > begin + 1, "OnnxServing.cs has lost its README markers");
        var block = source[(begin + 1)..end];
        int indent = block.Where(l => l.Trim().Length > 0).Min(l => l.Length - l.TrimStart().Length);
        var snippet = string.Join('\n', block.Select(l => l.Length >= indent ? l[indent..] : l.Trim()));

        var readme = File.ReadAllText(Path.Combine(DistillCli.RepositoryRoot, "README.md")).Replace("\r\n", "\n");
        Assert.Contains($"```csharp\n{snippet}\n```", readme);
    }
}
