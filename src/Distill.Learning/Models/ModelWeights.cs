
namespace Distill.Learning.Models;

/// <summary>Saves and loads a model's parameters and buffers in TorchSharp's format.</summary>
public static class ModelWeights
{
    /// <summary>Writes the weights to a stream (the run store wraps it in an atomic file write).</summary>
    public static void Save(ClassifierNet model, Stream stream)
    {
        using var writer = new BinaryWriter(stream, System.Text.Encoding.UTF8, leaveOpen: true);
        model.save(writer);
    }

    /// <summary>Writes the weights to a temporary file, flushes it and renames it into place.</summary>
    public static void Save(ClassifierNet model, string path)
    {
        var temp = path + ".tmp-" + Environment.ProcessId;
        try
        {
            using (var stream = new FileStream(temp, FileMode.Create, FileAccess.Write))
            {
                Save(model, stream);
                stream.Flush(flushToDisk: true);
            }
            File.Move(temp, path, overwrite: true);
        }
        finally
        {
            if (File.Exists(temp)) File.Delete(temp);
        }
    }

    public static void Load(ClassifierNet model, string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: weights file not found", path);
        model.load(path);
    }
}
