using Distill.Pipelines.Yaml;

namespace Distill.Pipelines;

/// <summary>Collects errors for one file so that every problem is reported at once, not just the first.</summary>
internal sealed class ErrorSink(string file)
{
    private readonly List<PipelineError> _errors = [];

    public string File { get; } = file;
    public int Count => _errors.Count;

    public void Add(Position at, string message) => _errors.Add(new PipelineError(File, at.Line, at.Column, message));

    /// <summary>Errors sorted by place; exact repeats (one template expanded into many stages) appear once.</summary>
    public IReadOnlyList<PipelineError> ToList() =>
        _errors.Distinct()
            .Select((e, i) => (e, i))
            .OrderBy(x => x.e.Line).ThenBy(x => x.e.Column).ThenBy(x => x.i)
            .Select(x => x.e)
            .ToList();
}
