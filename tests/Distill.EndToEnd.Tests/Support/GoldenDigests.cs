using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Distill.Runs;
using Xunit.Abstractions;

namespace Distill.EndToEnd.Tests.Support;

/// <summary>
/// Pins a test run's bits together with the code revisions its keys name (tests/Distill.EndToEnd.Tests/Golden/):
/// per stage, the revisions of its code, and per kernel path (CPU vendor, oneDNN's instruction set, .NET's vector
/// width: each rounds differently) a digest of its outputs and metrics. Bits that change while every revision a
/// stage names stays the same fail, naming the revisions to bump: a result stored under that key would otherwise be
/// reused with the old bits. Revisions that changed make the digests stale: DISTILL_UPDATE_GOLDEN=1 rewrites them.
/// </summary>
public static class GoldenDigests
{
    public const string UpdateVariable = "DISTILL_UPDATE_GOLDEN";

    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    public static string FilePath(string name) =>
        Path.Combine(DistillCli.RepositoryRoot, "tests", "Distill.EndToEnd.Tests", "Golden", name + ".json");

    /// <summary>Checks the completed run in <paramref name="runDirectory"/> against the golden file <paramref name="name"/>.</summary>
    public static void Check(string name, string runDirectory, ITestOutputHelper output)
    {
        var run = Measure(runDirectory);
        var path = FilePath(name);
        var golden = File.Exists(path) ? JsonNode.Parse(File.ReadAllText(path))!.AsObject() : null;
        bool update = Environment.GetEnvironmentVariable(UpdateVariable) == "1";
        output.WriteLine($"kernel path: {run.KernelPath}");

        var goldenCode = golden?["code"]?.AsObject();
        var changed = run.Code.Keys.Where(stage => goldenCode?[stage] is { } code && code.ToJsonString() != run.Code[stage].ToJsonString()).ToList();
        if (golden is null || changed.Count > 0)
        {
            Assert.True(update, golden is null
                ? $"{path} does not exist: create it with {UpdateVariable}=1"
                : $"the code revisions of {Describe(changed, goldenCode!, run.Code)} changed, so {name}'s golden digests are stale. "
                  + $"Rerun this test with {UpdateVariable}=1 (also with ONEDNN_MAX_CPU_ISA=AVX2 DOTNET_EnableAVX512=0 for the AVX2 "
                  + $"path) and commit {Path.GetFileName(path)}");
            Write(path, run.Code, new Dictionary<string, IReadOnlyDictionary<string, string>> { [run.KernelPath] = run.Digests });
            return;
        }

        // Stages added to or removed from the pipeline leave the others' digests standing, on every kernel path.
        var added = run.Code.Keys.Where(stage => goldenCode![stage] is null).ToList();
        bool removed = goldenCode!.Any(c => !run.Code.ContainsKey(c.Key));
        Assert.True(update || (added.Count == 0 && !removed), $"stages were added to or removed from {name} ({string.Join(", ", added)}): "
            + $"rerun this test with {UpdateVariable}=1, also with ONEDNN_MAX_CPU_ISA=AVX2 DOTNET_EnableAVX512=0, and commit {Path.GetFileName(path)}");
        var pinned = golden["digests"]!.AsObject().ToDictionary(p => p.Key, p => p.Value!.AsObject()
            .Where(s => run.Code.ContainsKey(s.Key)).ToDictionary(s => s.Key, s => s.Value!.GetValue<string>()));
        if (!pinned.TryGetValue(run.KernelPath, out var expected))
        {
            if (update)
            {
                pinned[run.KernelPath] = run.Digests.ToDictionary();
                Write(path, run.Code, pinned.ToDictionary(p => p.Key, p => (IReadOnlyDictionary<string, string>)p.Value));
                return;
            }
            // Revisions checked; bits are pinned only on the paths someone has run (the note says which).
            output.WriteLine($"no digests pinned for this kernel path in {path}; add them with {UpdateVariable}=1:");
            foreach (var (stage, digest) in run.Digests) output.WriteLine($"  {stage}: {digest}");
            return;
        }

        var differing = run.Order.Where(stage => expected.TryGetValue(stage, out var digest) && digest != run.Digests[stage]).ToList();
        foreach (var stage in differing) output.WriteLine($"{stage}: {run.Fingerprints[stage]}");
        if (differing.Count > 0)
        {
            var first = differing[0];
            Assert.Fail($"stage '{first}' of {name} computes other bits on {run.KernelPath} than {Path.GetFileName(path)} pins, "
                + $"but none of the code revisions in its key changed, so stores would reuse the old bits under the new code. "
                + $"Bump the revision of the code you changed: {string.Join("; ", run.Code[first].Select(c => $"{c.Key} {c.Value} ({Where(c.Key)})"))}"
                + (differing.Count > 1 ? $". Stages downstream of it differ too: {string.Join(", ", differing.Skip(1))}" : ""));
        }
        var unpinned = run.Order.Where(stage => !expected.ContainsKey(stage)).ToList();
        if (unpinned.Count == 0) return;
        if (!update)
        {
            output.WriteLine($"no digests pinned on this kernel path for {string.Join(", ", unpinned)}; add them with {UpdateVariable}=1");
            return;
        }
        pinned[run.KernelPath] = run.Digests.ToDictionary();
        Write(path, run.Code, pinned.ToDictionary(p => p.Key, p => (IReadOnlyDictionary<string, string>)p.Value));
    }

    private sealed record Measured(string KernelPath, IReadOnlyList<string> Order, IReadOnlyDictionary<string, JsonObject> Code,
        IReadOnlyDictionary<string, string> Digests, IReadOnlyDictionary<string, string> Fingerprints);

    private static Measured Measure(string runDirectory)
    {
        var run = RunDirectory.AtPath(runDirectory);
        var fingerprints = RunResults.Fingerprint(runDirectory);
        var manifests = run.ExistingStageIds().ToDictionary(id => id, id => run.Stage(id)!.ReadManifest()!);
        var paths = manifests.Values.Select(m => m.KernelPath).Distinct().ToList();
        Assert.True(paths.Count == 1 && paths[0] is not null, $"one kernel path recorded for every stage, not {string.Join(" / ", paths)}");
        var code = manifests.Keys.ToDictionary(id => id,
            id => JsonNode.Parse(run.ReadPointer(id)!.Definition.GetProperty("code").GetRawText())!.AsObject());
        var digests = fingerprints.ToDictionary(f => f.Key,
            f => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(f.Value)))[..32]);
        return new Measured(paths[0]!, TopologicalOrder(manifests), code, digests, fingerprints);
    }

    /// <summary>Stages before the stages that read them, so the first stage that differs is the one whose code changed.</summary>
    private static List<string> TopologicalOrder(IReadOnlyDictionary<string, StageManifest> manifests)
    {
        var depth = new Dictionary<string, int>();
        int Depth(string id) => depth.TryGetValue(id, out var d) ? d
            : depth[id] = 1 + manifests[id].Inputs.Where(i => manifests.ContainsKey(i.StageId)).Select(i => Depth(i.StageId)).DefaultIfEmpty(0).Max();
        return manifests.Keys.OrderBy(Depth).ThenBy(id => id, StringComparer.Ordinal).ToList();
    }

    private static string Describe(IReadOnlyList<string> stages, JsonObject before, IReadOnlyDictionary<string, JsonObject> after) =>
        stages.Count == 0 ? "the pipeline's stages"
            : string.Join(", ", stages.Take(3).Select(s => $"{s} ({before[s]?.ToJsonString() ?? "new"} -> {after[s].ToJsonString()})"))
              + (stages.Count > 3 ? $" and {stages.Count - 3} more" : "");

    /// <summary>Where a piece of code declares its revision.</summary>
    private static string Where(string component) => component.Split('/')[0] switch
    {
        "kind" => "Revision in the kind's Definition, src/Distill.Stages/Kinds/",
        "dataset" => "revision: in the dataset kind, src/Distill.Stages/Datasets/",
        "architecture" => "revision: in the architecture, src/Distill.Stages/Models/",
        "loss" => "revision: or Revision in the method, src/Distill.Stages/Kinds/Distill/Losses/",
        "kernel" => "Revision of ConvolutionRouting or BatchNormReluKernels, listed in src/Distill.Learning/Platform/KernelRevisions.cs",
        _ => "changes with the package version",
    };

    private static void Write(string path, IReadOnlyDictionary<string, JsonObject> code,
        IReadOnlyDictionary<string, IReadOnlyDictionary<string, string>> digests)
    {
        var document = new JsonObject
        {
            ["about"] = "Pinned by GoldenDigests (tests/Distill.EndToEnd.Tests/Support/GoldenDigests.cs): rewrite with "
                + $"{UpdateVariable}=1 after bumping a revision, never to make other bits pass.",
            ["code"] = new JsonObject(code.OrderBy(c => c.Key, StringComparer.Ordinal)
                .Select(c => KeyValuePair.Create(c.Key, (JsonNode?)c.Value.DeepClone()))),
            ["digests"] = new JsonObject(digests.OrderBy(d => d.Key, StringComparer.Ordinal).Select(d => KeyValuePair.Create(d.Key,
                (JsonNode?)new JsonObject(d.Value.OrderBy(s => s.Key, StringComparer.Ordinal)
                    .Select(s => KeyValuePair.Create(s.Key, (JsonNode?)JsonValue.Create(s.Value))))))),
        };
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, document.ToJsonString(Indented) + "\n");
    }
}
