using System.Collections;
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

    /// <summary>The earliest time a zip entry can hold.</summary>
    private static readonly DateTimeOffset FixedZipTime = new(1980, 1, 1, 0, 0, 0, TimeSpan.Zero);

    /// <summary>The weights as a .safetensors file (tensors in state_dict order, names as keys).</summary>
    public static void SaveSafetensors(ClassifierNet model, Stream stream) => Safetensors.SaveStateDict(stream, model.state_dict(), leaveOpen: true);

    /// <summary>
    /// Loads a state_dict written by another program into <paramref name="model"/>. Every name must match, with its
    /// shape: otherwise one <see cref="InvalidDataException"/> lists the missing, extra and wrongly shaped tensors.
    /// </summary>
    public static void LoadExternal(ClassifierNet model, string path, WeightsFormat format)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: weights file not found", path);
        using var scope = NewDisposeScope();
        Dictionary<string, Tensor> loaded;
        try { loaded = Read(path, format); }
        catch (Exception e) when (e is not (FileNotFoundException or OutOfMemoryException))
        {
            throw new InvalidDataException($"{path}: cannot read it as a {Describe(format)} ({e.Message})", e);
        }
        var expected = model.state_dict();
        var missing = expected.Keys.Where(k => !loaded.ContainsKey(k)).ToList();
        var extra = loaded.Keys.Where(k => !expected.ContainsKey(k)).ToList();
        var misshapen = expected.Keys.Where(loaded.ContainsKey)
            .Where(k => !expected[k].shape.SequenceEqual(loaded[k].shape))
            .Select(k => $"{k} is [{string.Join(", ", loaded[k].shape)}], the model needs [{string.Join(", ", expected[k].shape)}]")
            .ToList();
        if (missing.Count + extra.Count + misshapen.Count > 0)
        {
            var parts = new List<string>();
            if (missing.Count > 0) parts.Add($"missing {missing.Count}: {string.Join(", ", missing)}");
            if (extra.Count > 0) parts.Add($"extra {extra.Count}: {string.Join(", ", extra)}");
            if (misshapen.Count > 0) parts.Add($"wrong shape {misshapen.Count}: {string.Join("; ", misshapen)}");
            throw new InvalidDataException($"{path} does not fit model {model.GetName()}: {string.Join(". ", parts)}. " +
                "Parameter names must be those of tools/pytorch-reference/distill_models.py.");
        }
        using (no_grad())
            foreach (var (name, target) in expected)
                target.copy_(loaded[name].to_type(target.dtype));
    }

    private static Dictionary<string, Tensor> Read(string path, WeightsFormat format)
    {
        if (format == WeightsFormat.Safetensors) return Safetensors.LoadStateDict(path);
        using var stream = File.OpenRead(path);
        var table = PyTorchUnpickler.UnpickleStateDict(stream);
        var result = new Dictionary<string, Tensor>();
        foreach (DictionaryEntry entry in table)
            result[(string)entry.Key] = entry.Value as Tensor ?? throw new InvalidDataException($"entry '{entry.Key}' is not a tensor");
        return result;
    }

    private static string Describe(WeightsFormat format) => format == WeightsFormat.PyTorch ? "PyTorch state_dict (torch.save)" : "safetensors file";
}
