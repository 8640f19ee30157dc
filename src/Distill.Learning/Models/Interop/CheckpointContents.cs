namespace Distill.Learning.Models.Interop;

/// <summary>
/// Finds the state_dict in what torch.save wrote: the top level when it is one, else its <c>model</c> or
/// <c>state_dict</c> entry (RepDistiller's and mdistiller's checkpoints are <c>{epoch, model, accuracy, optimizer}</c>),
/// with the <c>module.</c> prefix of a DataParallel model taken off.
/// </summary>
public static class CheckpointContents
{
    /// <summary>The entries a checkpoint keeps its weights under, in the order they are looked for.</summary>
    public static readonly IReadOnlyList<string> WeightEntries = ["model", "state_dict"];

    private const string DataParallelPrefix = "module.";

    public static IReadOnlyDictionary<string, StoredTensor> StateDict(object? root)
    {
        if (root is PickledObject whole)
            throw new InvalidDataException($"it holds a whole {whole.Type.FullName} object (torch.save(model)), not its weights: save " +
                "model.state_dict() instead, or save it as TorchScript (torch.jit.save) and use it as a `torchscript:` teacher");
        if (root is not Dictionary<object, object?> top)
            throw new InvalidDataException($"it holds a {Describe(root)}, not a dict of tensors");
        var dict = WeightEntries.Select(e => top.GetValueOrDefault(e)).OfType<Dictionary<object, object?>>().FirstOrDefault(HasTensors) ?? top;
        var nonTensors = dict.Where(e => e.Value is not StoredTensor).Select(e => $"'{e.Key}' ({Describe(e.Value)})").ToList();
        if (nonTensors.Count > 0 || dict.Count == 0)
            throw new InvalidDataException("no state_dict in it: " + (ReferenceEquals(dict, top)
                ? $"its entries are {List(top.Select(e => $"'{e.Key}' ({Describe(e.Value)})"))}, and none of {List(WeightEntries.Select(e => $"'{e}'"))} holds the tensors"
                : $"its weights entry has {List(nonTensors)}"));
        var tensors = dict.ToDictionary(e => e.Key.ToString()!, e => (StoredTensor)e.Value!);
        return tensors.Keys.All(k => k.StartsWith(DataParallelPrefix, StringComparison.Ordinal))
            ? tensors.ToDictionary(e => e.Key[DataParallelPrefix.Length..], e => e.Value)
            : tensors;
    }

    private static bool HasTensors(Dictionary<object, object?> dict) => dict.Count > 0 && dict.Values.All(v => v is StoredTensor);

    private static string List(IEnumerable<string> items)
    {
        var all = items.ToList();
        return all.Count <= 8 ? string.Join(", ", all) : $"{string.Join(", ", all.Take(8))} and {all.Count - 8} more";
    }

    private static string Describe(object? value) => value switch
    {
        null => "None",
        StoredTensor t => $"tensor {t}",
        PickledObject o => o.Type.FullName,
        Dictionary<object, object?> d => $"dict of {d.Count}",
        List<object?> l => $"list of {l.Count}",
        object?[] t => $"tuple of {t.Length}",
        string => "string",
        long => "int",
        double => "float",
        bool => "bool",
        _ => value.GetType().Name,
    };
}
