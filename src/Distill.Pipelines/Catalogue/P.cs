namespace Distill.Pipelines.Catalogue;

/// <summary>Short constructors that keep the catalogue tables readable.</summary>
public static class P
{
    public static ParameterSpec Int(string name, int? @default, string description, double? min = null, double? max = null,
        bool affectsResult = true) =>
        new() { Name = name, Type = ParameterType.Integer, Default = @default, Description = description, Minimum = min, Maximum = max, AffectsResult = affectsResult };

    public static ParameterSpec Enum(string name, string? @default, string description, params string[] values) =>
        new() { Name = name, Type = ParameterType.Enum, Default = @default, Description = description, Values = values };

    public static ParameterSpec Str(string name, string description, string? pattern = null, bool required = false,
        string? @default = null, bool affectsResult = true) =>
        new()
        {
            Name = name, Type = ParameterType.String, Description = description, Pattern = pattern, Required = required,
            Default = @default, AffectsResult = affectsResult,
        };
}
