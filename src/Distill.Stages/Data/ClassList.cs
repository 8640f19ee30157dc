using Distill.Stages.Engine;
namespace Distill.Stages.Data;

/// <summary>Class lists of a pipeline (`classes:`) as indices: given as 0-based indices or as class names.</summary>
public static class ClassList
{
    public static int[] Resolve(IReadOnlyList<object> given, IReadOnlyList<string> names, string stageId) =>
        given.Select(g => g switch
        {
            int i when i >= 0 && i < names.Count => i,
            string s when names.ToList().FindIndex(n => string.Equals(n, s, StringComparison.OrdinalIgnoreCase)) is var i && i >= 0 => i,
            _ => throw new StageInputException($"stage '{stageId}': class '{g}' is not one of the dataset's {names.Count} classes"),
        }).ToArray();
}
