using static TorchSharp.torch;

namespace Distill.Learning.Models.Interop;

/// <summary>
/// The named tensors of a weights file from another program, their shapes known before any is read: a torch.save file
/// (read lazily, <see cref="TorchSaveFile"/>) or a safetensors file (read whole by TorchSharp.PyBridge).
/// </summary>
public sealed class ExternalWeights : IDisposable
{
    private readonly TorchSaveFile? _file;
    private readonly IReadOnlyDictionary<string, StoredTensor>? _stored;
    private readonly Dictionary<string, Tensor>? _loaded;

    private ExternalWeights(TorchSaveFile file)
    {
        _file = file;
        try { _stored = CheckpointContents.StateDict(file.Root); }
        catch (InvalidDataException e) { throw new InvalidDataException($"{e.Message} ({file.Format})", e); }
        Names = _stored.Keys.ToHashSet();
    }

    private ExternalWeights(Dictionary<string, Tensor> loaded)
    {
        _loaded = loaded;
        Names = loaded.Keys.ToHashSet();
    }

    public static ExternalWeights TorchSave(string path)
    {
        var file = TorchSaveFile.Open(path);
        try { return new ExternalWeights(file); }
        catch
        {
            file.Dispose();
            throw;
        }
    }

    public static ExternalWeights Safetensors(string path) => new(TorchSharp.PyBridge.Safetensors.LoadStateDict(path));

    public IReadOnlySet<string> Names { get; }

    public long[] Shape(string name) => _stored is not null ? _stored[name].Shape : _loaded![name].shape;

    /// <summary>The tensor (a new one for a torch.save file; the caller's dispose scope owns it).</summary>
    public Tensor Read(string name) => _stored is not null ? _file!.Read(_stored[name]) : _loaded![name];

    public void Dispose()
    {
        _file?.Dispose();
        if (_loaded is not null) foreach (var tensor in _loaded.Values) tensor.Dispose();
    }
}
