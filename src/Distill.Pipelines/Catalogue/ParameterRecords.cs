using System.Collections;
using System.Collections.Concurrent;
using System.Reflection;
using System.Text;

namespace Distill.Pipelines.Catalogue;

/// <summary>
/// Parameter records (records whose constructor parameters carry <see cref="KeyAttribute"/>) as the one declaration of
/// a kind's keys: <see cref="Specs{T}"/> gives the keys' specs in constructor order, <see cref="Read{T}"/> builds the
/// record from resolved values (defaults already filled in by the binder). Shapes are read once per type.
/// </summary>
public static class ParameterRecords
{
    private static readonly ConcurrentDictionary<Type, RecordShape> Shapes = new();

    public static IReadOnlyList<ParameterSpec> Specs<T>() => Shape(typeof(T)).Specs;

    public static T Read<T>(ParameterSet values) => (T)Read(typeof(T), values);

    private static object Read(Type type, ParameterSet values)
    {
        var shape = Shape(type);
        return shape.Constructor.Invoke([.. shape.Members.Select(m => m.Read(values))]);
    }

    /// <summary>An enum member's name in a pipeline: its C# name in kebab case (FirstPerClass -> first-per-class).</summary>
    public static string KebabName(Enum value) => Kebab(value.ToString());

    private static string Kebab(string pascal)
    {
        var text = new StringBuilder();
        foreach (var c in pascal)
        {
            if (char.IsUpper(c) && text.Length > 0) text.Append('-');
            text.Append(char.ToLowerInvariant(c));
        }
        return text.ToString();
    }

    private sealed record Member(Func<ParameterSet, object?> Read);

    private sealed record RecordShape(ConstructorInfo Constructor, IReadOnlyList<Member> Members, IReadOnlyList<ParameterSpec> Specs);

    private static RecordShape Shape(Type type) => Shapes.GetOrAdd(type, Build);

    private static RecordShape Build(Type type)
    {
        var constructor = type.GetConstructors().OrderByDescending(c => c.GetParameters().Length).FirstOrDefault()
            ?? throw new InvalidOperationException($"{type.Name} has no public constructor to read parameters into");
        var members = new List<Member>();
        var specs = new List<ParameterSpec>();
        foreach (var parameter in constructor.GetParameters())
        {
            if (parameter.GetCustomAttribute<KeyAttribute>() is not { } key)
            {
                if (!IsRecord(parameter.ParameterType))
                    throw new InvalidOperationException($"{type.Name}.{parameter.Name} has no [Key] and is not a group of keys");
                var group = parameter.ParameterType;
                specs.AddRange(Shape(group).Specs);
                members.Add(new Member(values => Read(group, values)));
                continue;
            }
            var spec = SpecOf(type, parameter, key);
            specs.Add(spec);
            members.Add(new Member(Reader(parameter, key.Name)));
        }
        var duplicate = specs.GroupBy(s => s.Name).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null) throw new InvalidOperationException($"{type.Name} declares key '{duplicate.Key}' twice");
        return new RecordShape(constructor, members, specs);
    }

    private static bool IsRecord(Type t) =>
        t.IsClass && t != typeof(string) && t != typeof(Choice) && t != typeof(ParameterSet) && !typeof(IEnumerable).IsAssignableFrom(t);

    private static bool IsNullable(ParameterInfo parameter) =>
        Nullable.GetUnderlyingType(parameter.ParameterType) is not null
        || (!parameter.ParameterType.IsValueType && new NullabilityInfoContext().Create(parameter).ReadState == NullabilityState.Nullable);

    private static ParameterSpec SpecOf(Type owner, ParameterInfo parameter, KeyAttribute key)
    {
        var type = Nullable.GetUnderlyingType(parameter.ParameterType) ?? parameter.ParameterType;
        var hasDefault = parameter.HasDefaultValue;
        var optional = IsNullable(parameter);
        var spec = new ParameterSpec
        {
            Name = key.Name,
            Type = ParameterType.String,
            Description = key.Description,
            Minimum = double.IsNaN(key.Min) ? null : key.Min,
            ExclusiveMinimum = key.ExclusiveMin,
            Maximum = double.IsNaN(key.Max) ? null : key.Max,
            ExclusiveMaximum = key.ExclusiveMax,
            AffectsResult = key.AffectsResult,
            HashesFiles = key.HashesFiles,
            SeedOmitsDefault = key.SeedOmitsDefault,
            Pattern = key.Pattern,
            RuleText = key.RuleText,
            CheckedText = key.Checked,
            Rule = key.Rule is { } rule ? RuleOf(owner, rule) : null,
        };
        object? Default() => hasDefault ? parameter.DefaultValue : null;
        bool Required() => !hasDefault && !optional;

        if (type == typeof(int)) return spec with { Type = ParameterType.Integer, Default = Default(), Required = Required() };
        if (type == typeof(double)) return spec with { Type = ParameterType.Number, Default = Default(), Required = Required() };
        if (type == typeof(bool)) return spec with { Type = ParameterType.Boolean, Default = Default(), Required = Required() };
        if (type == typeof(string))
            return key.Values is { } values
                ? spec with { Type = ParameterType.Enum, Values = values, Default = Default(), Required = Required() }
                : spec with { Default = Default(), Required = Required() };
        if (type.IsEnum)
        {
            var names = Enum.GetValues(type).Cast<Enum>().Select(KebabName).ToList();
            return spec with
            {
                Type = ParameterType.Enum, Values = names, Required = Required(),
                Default = hasDefault && parameter.DefaultValue is { } d ? KebabName((Enum)Enum.ToObject(type, d)) : null,
            };
        }
        if (type == typeof(IReadOnlyList<double>))
            return spec with
            {
                Type = ParameterType.NumberList, Ascending = key.Ascending, MinItems = key.MinItems > 0 ? key.MinItems : null,
                Default = key.DefaultNumbers?.Cast<object>().ToList(),
            };
        if (type == typeof(IReadOnlyList<string>))
            return spec with
            {
                Type = ParameterType.EnumList, Values = key.Values ?? throw new InvalidOperationException($"{owner.Name}.{parameter.Name}: a list of strings needs Values"),
                MinItems = key.MinItems > 0 ? key.MinItems : null, Default = key.DefaultValues?.Cast<object>().ToList(),
            };
        if (type == typeof(IReadOnlyList<IReadOnlyList<object>>))
            return spec with
            {
                Type = ParameterType.ClassPairs, MinItems = key.MinItems > 0 ? key.MinItems : null, Required = Required(),
                Default = key.DefaultPairs?.Select(p => (object)p.Split(" | ").Cast<object>().ToList()).ToList(),
            };
        if (type == typeof(IReadOnlyList<object>))
        {
            var count = key.DefaultClasses?.Length ?? throw new InvalidOperationException($"{owner.Name}.{parameter.Name}: a class list needs DefaultClasses");
            return spec with { Type = ParameterType.ClassList, MinItems = count, MaxItems = count, Default = key.DefaultClasses.Cast<object>().ToList() };
        }
        if (type == typeof(Choice))
        {
            var source = key.Variants ?? throw new InvalidOperationException($"{owner.Name}.{parameter.Name}: a choice needs Variants");
            var variants = (IReadOnlyList<VariantSpec>)StaticMember(source, "Variants");
            return spec with
            {
                Type = ParameterType.Variant, Variants = variants, Values = variants.Select(v => v.Name).ToList(),
                Default = (string)StaticMember(source, "Default"),
            };
        }
        if (IsRecord(type))
            // An optional map stays absent; any other gets every field's default (the binder fills in an empty map).
            return spec with { Type = ParameterType.Map, Fields = Shape(type).Specs, Default = optional ? null : ParameterSet.Empty };
        throw new InvalidOperationException($"{owner.Name}.{parameter.Name}: no pipeline key type for {type.Name}");
    }

    private static object StaticMember(Type source, string name) =>
        source.GetProperty(name, BindingFlags.Public | BindingFlags.Static)?.GetValue(null)
        ?? source.GetField(name, BindingFlags.Public | BindingFlags.Static)?.GetValue(null)
        ?? throw new InvalidOperationException($"{source.Name} has no public static {name}");

    private static Func<object, string?> RuleOf(Type owner, string name)
    {
        var method = owner.GetMethod(name, BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Static, [typeof(object)])
            ?? throw new InvalidOperationException($"{owner.Name} has no static method {name}(object)");
        return value => (string?)method.Invoke(null, [value]);
    }

    private static Func<ParameterSet, object?> Reader(ParameterInfo parameter, string key)
    {
        var type = Nullable.GetUnderlyingType(parameter.ParameterType) ?? parameter.ParameterType;
        var fallback = parameter.HasDefaultValue ? parameter.DefaultValue : null;
        Func<ParameterSet, object?> read =
            type == typeof(int) ? p => p.GetInt(key)
            : type == typeof(double) ? p => p.GetDouble(key)
            : type == typeof(bool) ? p => p.GetBool(key)
            : type == typeof(string) ? p => p.GetString(key)
            : type.IsEnum ? p => ParseEnum(type, p.GetString(key))
            : type == typeof(IReadOnlyList<double>) ? p => p.GetDoubles(key)
            : type == typeof(IReadOnlyList<string>) ? p => p.GetStrings(key)
            : type == typeof(IReadOnlyList<object>) ? p => p.GetList(key)
            : type == typeof(IReadOnlyList<IReadOnlyList<object>>) ? p => p.GetList(key).Select(pair => (IReadOnlyList<object>)pair).ToList()
            : type == typeof(Choice) ? p => new Choice(p.GetMap(key).GetString("name"), p.GetMap(key))
            : p => Read(type, p.GetMap(key));
        // Absent means the C# default (null for optional keys): the binder fills in every key that has a catalogue default.
        return values => values.ContainsKey(key) ? read(values) : type.IsEnum && fallback is not null ? Enum.ToObject(type, fallback) : fallback;
    }

    private static object ParseEnum(Type type, string name) =>
        Enum.GetValues(type).Cast<Enum>().FirstOrDefault(v => KebabName(v) == name)
        ?? throw new InvalidOperationException($"'{name}' is not a {type.Name}");
}
