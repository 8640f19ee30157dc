using Distill.Learning.Models.Interop;
using System.IO.Compression;
using TorchSharp.PyBridge;
using static TorchSharp.torch;

namespace Distill.Learning.Models;

/// <summary>A weights file from elsewhere: a PyTorch state_dict saved with torch.save, or a .safetensors file.</summary>
public enum WeightsFormat
{
    PyTorch,
    Safetensors,
}

/// <summary>
/// Saves and loads a model's parameters and buffers: TorchSharp's own format (weights.bin, what Distill reads back),
/// and PyTorch's (a torch.save state_dict, weights.pt) and safetensors for other programs, both through
/// TorchSharp.PyBridge. Parameter names are the module's; tools/pytorch-reference/distill_models.py defines PyTorch
/// modules with the same names.
/// </summary>
public static class ModelWeights
{
    /// <summary>Writes the weights to a stream (the run store wraps it in an atomic file write).</summary>
    public static void Save(ClassifierNet model, Stream stream)
    {
        using var writer = new BinaryWriter(stream, System.Text.Encoding.UTF8, leaveOpen: true);
        model.save(writer);
    }

    public static void Load(ClassifierNet model, string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: weights file not found", path);
        model.load(path);
    }

    /// <summary>
    /// A state_dict PyTorch reads with torch.load (zip format, as torch.save writes it). The zip entries' times are
    /// set to a fixed date, so equal weights give equal bytes (a resumed stage must match an uninterrupted one).
    /// </summary>
    public static void SavePyTorch(ClassifierNet model, Stream stream)
    {
        using var buffer = new MemoryStream();
        model.save_py(buffer, leaveOpen: true);
        using (var zip = new ZipArchive(buffer, ZipArchiveMode.Update, leaveOpen: true))
            foreach (var entry in zip.Entries) entry.LastWriteTime = FixedZipTime;
        buffer.Position = 0;
        buffer.CopyTo(stream);
    }

    /// <summary>
    /// The model as another project's checkpoint: <c>{'model': state_dict in <paramref name="layout"/>'s names, ...}</c>
    /// plus <paramref name="entries"/> (RepDistiller's and mdistiller's scripts read <c>torch.load(path)['model']</c>).
    /// </summary>
    public static void SaveCheckpoint(ClassifierNet model, Stream stream, WeightsLayout layout, IReadOnlyList<KeyValuePair<string, object>> entries)
    {
        if (!WeightsLayouts.Covers(layout, model))
            throw new InvalidOperationException($"the {WeightsLayouts.Key(layout)} layout has no {model.GetName()}" +
                (model is CifarResNet ? " with zero-padded shortcuts (their ResNets use `shortcut: projection`)" : ""));
        var weights = model.state_dict().Select(p => KeyValuePair.Create(WeightsLayouts.Name(layout, model, p.Key), p.Value)).ToList();
        TorchSaveWriter.Write(stream, [KeyValuePair.Create("model", (object)new StateDict(weights)), .. entries]);
    }

    /// <summary>The earliest time a zip entry can hold.</summary>
    private static readonly DateTimeOffset FixedZipTime = new(1980, 1, 1, 0, 0, 0, TimeSpan.Zero);

    /// <summary>The weights as a .safetensors file (tensors in state_dict order, names as keys).</summary>
    public static void SaveSafetensors(ClassifierNet model, Stream stream) => Safetensors.SaveStateDict(stream, model.state_dict(), leaveOpen: true);

    /// <summary>
    /// Loads weights written by another program into <paramref name="model"/>: a safetensors file, or a torch.save file
    /// (zip or legacy format) holding a state_dict or a checkpoint with one (<see cref="CheckpointContents"/>), named
    /// in <paramref name="layout"/> (<see cref="WeightsLayouts"/>). Every name must match, with its shape, except a
    /// batch norm's num_batches_tracked (files from before PyTorch 0.4.1 lack it; evaluation does not read it):
    /// otherwise one <see cref="InvalidDataException"/> lists the missing, extra and wrongly shaped tensors.
    /// </summary>
    public static void LoadExternal(ClassifierNet model, string path, WeightsFormat format, WeightsLayout layout = WeightsLayout.Auto)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: weights file not found", path);
        using var scope = NewDisposeScope();
        using var file = Open(path, format);
        var expected = model.state_dict();
        var chosen = ChooseLayout(model, expected.Keys, file.Names, layout);
        var theirs = expected.Keys.ToDictionary(k => k, k => WeightsLayouts.Name(chosen, model, k));
        var problems = Mismatches(expected, theirs, file);
        if (problems.Count > 0)
            throw new InvalidDataException($"{path} does not fit model {model.GetName()} in the {WeightsLayouts.Key(chosen)} layout" +
                $"{(layout == WeightsLayout.Auto ? " (the closest of " + string.Join(", ", WeightsLayouts.Concrete.Select(WeightsLayouts.Key)) + ")" : "")}: " +
                $"{string.Join(". ", problems)}. {LayoutAdvice}");
        using (no_grad())
            foreach (var (name, target) in expected)
                if (file.Names.Contains(theirs[name]))
                    target.copy_(file.Read(theirs[name]).to_type(target.dtype));
    }

    private const string LayoutAdvice = "Distill's names are those of tools/pytorch-reference/distill_models.py; RepDistiller's and " +
        "mdistiller's (`layout: repdistiller`) those of their models/ (their resnet20..110 need `shortcut: projection`)";

    private static bool Optional(string name) => name.EndsWith(".num_batches_tracked", StringComparison.Ordinal);

    /// <summary>The layout asked for, or under <see cref="WeightsLayout.Auto"/> the one that names the most of the model's tensors.</summary>
    private static WeightsLayout ChooseLayout(ClassifierNet model, ICollection<string> ours, IReadOnlySet<string> inFile, WeightsLayout layout)
    {
        if (layout != WeightsLayout.Auto)
        {
            if (!WeightsLayouts.Names(layout, model))
                throw new InvalidDataException($"the {WeightsLayouts.Key(layout)} layout has no {model.GetName()}");
            return layout;
        }
        // Layouts are compared by names alone, so that a RepDistiller file meant for a zero-padded ResNet gets their names in its error.
        return WeightsLayouts.Concrete.Where(l => WeightsLayouts.Names(l, model))
            .MaxBy(l => ours.Count(k => inFile.Contains(WeightsLayouts.Name(l, model, k))));
    }

    private static List<string> Mismatches(Dictionary<string, Tensor> expected, Dictionary<string, string> theirs, ExternalWeights file)
    {
        var missing = expected.Keys.Where(k => !file.Names.Contains(theirs[k]) && !Optional(k)).Select(k => theirs[k]).ToList();
        var used = theirs.Values.ToHashSet();
        var extra = file.Names.Where(n => !used.Contains(n)).ToList();
        var misshapen = expected.Keys.Where(k => file.Names.Contains(theirs[k]))
            .Select(k => (Name: theirs[k], Needed: expected[k].shape, Found: file.Shape(theirs[k])))
            .Where(t => !t.Needed.SequenceEqual(t.Found))
            .Select(t => $"{t.Name} is [{string.Join(", ", t.Found)}], the model needs [{string.Join(", ", t.Needed)}]")
            .ToList();
        var parts = new List<string>();
        if (missing.Count > 0) parts.Add($"missing {missing.Count}: {First(missing)}");
        if (extra.Count > 0) parts.Add($"extra {extra.Count}: {First(extra)}");
        if (misshapen.Count > 0) parts.Add($"wrong shape {misshapen.Count}: {string.Join("; ", misshapen.Take(FirstFew))}");
        return parts;
    }

    private const int FirstFew = 8;

    private static string First(List<string> names) =>
        names.Count <= FirstFew ? string.Join(", ", names) : $"{string.Join(", ", names.Take(FirstFew))} and {names.Count - FirstFew} more";

    private static ExternalWeights Open(string path, WeightsFormat format)
    {
        try { return format == WeightsFormat.Safetensors ? ExternalWeights.Safetensors(path) : ExternalWeights.TorchSave(path); }
        catch (Exception e) when (e is not (FileNotFoundException or OutOfMemoryException))
        {
            throw new InvalidDataException($"{path}: cannot read it as a {Describe(format)} ({e.Message})", e);
        }
    }

    private static string Describe(WeightsFormat format) => format == WeightsFormat.PyTorch ? "PyTorch file (torch.save)" : "safetensors file";
}
