namespace Distill.Pipelines;

/// <summary>A place in a pipeline file (1-based line and column).</summary>
public sealed record SourceLocation(string File, int Line, int Column)
{
    public override string ToString() => $"{File}:{Line}:{Column}";
}

/// <summary>One user-facing problem in a pipeline file; <see cref="ToString"/> is the one-line form
/// <c>file:line:column: message</c> that editors and terminals recognise.</summary>
public sealed record PipelineError(string File, int Line, int Column, string Message)
{
    public override string ToString() => $"{File}:{Line}:{Column}: {Message}";
}
