namespace Distill.Pipelines.Yaml;

/// <summary>1-based line and column of a node's first character.</summary>
internal readonly record struct Position(int Line, int Column)
{
    public static readonly Position Start = new(1, 1);
    public override string ToString() => $"{Line}:{Column}";
}
