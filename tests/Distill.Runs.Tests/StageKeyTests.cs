namespace Distill.Runs.Tests;

public class StageKeyTests
{
    private const string Definition = """{"kind":"train","lr":0.1}""";
    private static readonly string[] Inputs = ["aaaa", "bbbb", "cccc"];

    private static string Key(string definition = Definition, string dataset = "fmnist:abc", int version = 1, IEnumerable<string>? inputs = null) =>
        StageKey.Compute(definition, dataset, version, inputs ?? Inputs);

    [Fact]
    public void Key_is_lowercase_hex_sha256_and_deterministic()
    {
        var key = Key();
        Assert.Matches("^[0-9a-f]{64}$", key);
        Assert.Equal(key, Key());
    }

    [Fact]
    public void Key_changes_when_any_ingredient_changes()
    {
        var baseline = Key();
        var variants = new[]
        {
            Key(definition: """{"kind":"train","lr":0.2}"""),
            Key(dataset: "fmnist:abd"),
            Key(version: 2),
            Key(inputs: ["aaaa", "bbbb"]),
            Key(inputs: ["aaaa", "bbbb", "cccd"]),
            Key(inputs: []),
        };
        Assert.All(variants, v => Assert.NotEqual(baseline, v));
        Assert.Equal(variants.Length, variants.Distinct().Count());
    }

    [Fact]
    public void Key_does_not_depend_on_input_order()
    {
        Assert.Equal(Key(inputs: ["cccc", "aaaa", "bbbb"]), Key());
        Assert.Equal(Key(inputs: ["BBBB", "cccc", "aaaa"]), Key());
    }

    [Fact]
    public void Key_hashes_exactly_the_documented_text()
    {
        // The encoding in docs/formats.md, written out by hand: tools outside .NET recompute keys from it.
        var text = "distill-stage-key/v1\n" +
                   "definition:25\n{\"kind\":\"train\",\"lr\":0.1}\n" +
                   "dataset:10\nfmnist:abc\n" +
                   "format-version:1\n" +
                   "inputs:3\naaaa\nbbbb\ncccc\n";
        var expected = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(text)));

        Assert.Equal(expected, StageKey.Compute(Definition, "fmnist:abc", 1, ["cccc", "aaaa", "bbbb"]));
    }

    [Fact]
    public void Fields_cannot_bleed_into_each_other()
    {
        // Moving text from the definition to the dataset fingerprint must change the key (length prefixes).
        Assert.NotEqual(StageKey.Compute("ab", "c", 1, []), StageKey.Compute("a", "bc", 1, []));
    }
}
