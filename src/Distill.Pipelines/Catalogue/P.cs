namespace Distill.Pipelines.Catalogue;

/// <summary>Short constructors that keep the catalogue tables readable.</summary>
public static class P
{
    public static ParameterSpec Int(string name, int? @default, string description, double? min = null, double? max = null,
        bool affectsResult = true) =>
        new() { Name = name, Type = ParameterType.Integer, Default = @default, Description = description, Minimum = min, Maximum = max, AffectsResult = affectsResult };

    public static ParameterSpec Num(string name, double? @default, string description, double? min = null, bool exMin = false,
        double? max = null, bool exMax = false, bool affectsResult = true) =>
        new()
        {
            Name = name, Type = ParameterType.Number, Default = @default, Description = description,
            Minimum = min, ExclusiveMinimum = exMin, Maximum = max, ExclusiveMaximum = exMax, AffectsResult = affectsResult,
        };

    public static ParameterSpec Bool(string name, bool @default, string description, bool affectsResult = true) =>
        new() { Name = name, Type = ParameterType.Boolean, Default = @default, Description = description, AffectsResult = affectsResult };

    public static ParameterSpec Enum(string name, string? @default, string description, params string[] values) =>
        new() { Name = name, Type = ParameterType.Enum, Default = @default, Description = description, Values = values };

    public static ParameterSpec Str(string name, string description, string? pattern = null, bool required = false,
        string? @default = null, bool affectsResult = true) =>
        new()
        {
            Name = name, Type = ParameterType.String, Description = description, Pattern = pattern, Required = required,
            Default = @default, AffectsResult = affectsResult,
        };

    public static ParameterSpec Classes(string name, int count, string description, params int[] @default) =>
        new()
        {
            Name = name, Type = ParameterType.ClassList, Description = description, MinItems = count, MaxItems = count,
            Default = @default.Cast<object>().ToList(),
        };

    public static ParameterSpec Map(string name, string description, bool optional, params ParameterSpec[] fields) =>
        new()
        {
            Name = name, Type = ParameterType.Map, Description = description, Fields = fields,
            // An empty default map makes the binder fill in every field's default.
            Default = optional ? null : ParameterSet.Empty,
        };

    /// <summary>A key naming one of several variants, each with keys of its own; new, so its default stays out of stage keys.</summary>
    public static ParameterSpec Variant(string name, string @default, string description, params VariantSpec[] variants) =>
        new()
        {
            Name = name, Type = ParameterType.Variant, Default = @default, Description = description, Variants = variants,
            Values = variants.Select(v => v.Name).ToList(), KeyOmitsDefault = true,
        };
}
