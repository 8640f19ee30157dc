using System.Collections;
using System.Globalization;

namespace Distill.Pipelines;

/// <summary>Resolved, typed parameters (defaults applied). Values are <see cref="int"/>, <see cref="double"/>,
/// <see cref="bool"/>, <see cref="string"/>, <see cref="IReadOnlyList{T}"/> of those, or a nested
/// <see cref="ParameterSet"/>. The accessors throw on a missing key or wrong type: after validation
/// that can only be a bug in the caller.</summary>
public sealed class ParameterSet : IReadOnlyDictionary<string, object>
{
    public static readonly ParameterSet Empty = new(new SortedDictionary<string, object>(StringComparer.Ordinal));

    private readonly SortedDictionary<string, object> _values;

    private ParameterSet(SortedDictionary<string, object> values) => _values = values;

    public static ParameterSet From(IEnumerable<KeyValuePair<string, object>> values) =>
        new(new SortedDictionary<string, object>(values.ToDictionary(kv => kv.Key, kv => kv.Value), StringComparer.Ordinal));

    public int GetInt(string name) => Get<int>(name);

    /// <summary>A number; integers widen, as a YAML author may write 1 for 1.0.</summary>
    public double GetDouble(string name) => this[name] switch
    {
        double d => d,
        int i => i,
        var other => throw WrongType(name, "a number", other),
    };

    public bool GetBool(string name) => Get<bool>(name);
    public string GetString(string name) => Get<string>(name);
    public IReadOnlyList<object> GetList(string name) => Get<IReadOnlyList<object>>(name);
    public IReadOnlyList<double> GetDoubles(string name) => GetList(name).Select(v => v is int i ? i : (double)v).ToList();
    public IReadOnlyList<string> GetStrings(string name) => GetList(name).Select(v => Convert.ToString(v, CultureInfo.InvariantCulture)!).ToList();
    public ParameterSet GetMap(string name) => Get<ParameterSet>(name);

    public ParameterSet? TryGetMap(string name) => _values.TryGetValue(name, out var v) ? v as ParameterSet : null;
    public string? TryGetString(string name) => _values.TryGetValue(name, out var v) ? v as string : null;
    public int? TryGetInt(string name) => _values.TryGetValue(name, out var v) && v is int i ? i : null;

    /// <summary>A copy with one value replaced or added.</summary>
    public ParameterSet With(string name, object value)
    {
        var copy = new SortedDictionary<string, object>(_values, StringComparer.Ordinal) { [name] = value };
        return new ParameterSet(copy);
    }

    private T Get<T>(string name) => this[name] is T t ? t : throw WrongType(name, typeof(T).Name, this[name]);

    private static InvalidCastException WrongType(string name, string wanted, object actual) =>
        new($"parameter '{name}' is {actual.GetType().Name}, not {wanted}");

    public object this[string key] =>
        _values.TryGetValue(key, out var v) ? v : throw new KeyNotFoundException($"no parameter '{key}'");

    public IEnumerable<string> Keys => _values.Keys;
    public IEnumerable<object> Values => _values.Values;
    public int Count => _values.Count;
    public bool ContainsKey(string key) => _values.ContainsKey(key);
    public bool TryGetValue(string key, [System.Diagnostics.CodeAnalysis.MaybeNullWhen(false)] out object value) => _values.TryGetValue(key, out value);
    public IEnumerator<KeyValuePair<string, object>> GetEnumerator() => _values.GetEnumerator();
    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    public override string ToString() => CanonicalJson.Write(this);
}
