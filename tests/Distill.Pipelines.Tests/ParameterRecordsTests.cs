using Distill.Pipelines.Catalogue;

namespace Distill.Pipelines.Tests;

/// <summary>A parameter record is the one declaration of its keys: specs come from it and values read back into it.</summary>
public sealed class ParameterRecordsTests
{
    public enum Draw { FirstPerClass, Stratified }

    public sealed record Inner(
        [Key("size", "A size.", Min = 1)] int? Size = null,
        [Key("draw", "How to draw.")] Draw Mode = Draw.FirstPerClass);

    public sealed record Shared(
        [Key("rate", "A rate.", Min = 0, ExclusiveMin = true)] double Rate = 0.1,
        [Key("steps", "Milestones.", DefaultNumbers = [0.5, 0.75], Ascending = true)] IReadOnlyList<double> Steps = null!);

    public sealed record Sample(
        [Key("path", "Where.", HashesFiles = true)] string Path,
        Shared Shared,
        [Key("odd", "An odd number.", Rule = nameof(Sample.MustBeOdd), RuleText = "odd")] int Odd = 3,
        [Key("inner", "Optional map.")] Inner? Inner = null,
        [Key("always", "Map with defaults.")] Inner Always = null!,
        [Key("title", "Optional text.", AffectsResult = false)] string? Title = null)
    {
        private static string? MustBeOdd(object v) => (int)v % 2 == 1 ? null : "must be odd";
    }

    public sealed record Twice([Key("a", "x")] int A = 1, [Key("a", "y")] int B = 2);

    [Fact]
    public void Specs_follow_the_constructor_with_groups_inlined()
    {
        var specs = ParameterRecords.Specs<Sample>();

        Assert.Equal(["path", "rate", "steps", "odd", "inner", "always", "title"], specs.Select(s => s.Name));
        var path = specs[0];
        Assert.Equal((ParameterType.String, true, true, (object?)null), (path.Type, path.Required, path.HashesFiles, path.Default));
        Assert.Equal((ParameterType.Number, 0.1, 0.0, true), (specs[1].Type, specs[1].Default, specs[1].Minimum, specs[1].ExclusiveMinimum));
        Assert.Equal([0.5, 0.75], ((List<object>)specs[2].Default!).Cast<double>());
        Assert.Equal("must be odd", specs[3].Rule!(4));
        Assert.Null(specs[3].Rule!(5));
        Assert.Equal((ParameterType.Map, (object?)null), (specs[4].Type, specs[4].Default));
        Assert.Same(ParameterSet.Empty, specs[5].Default);
        Assert.Equal(["first-per-class", "stratified"], specs[5].Fields[1].Values);
        Assert.Equal("first-per-class", specs[5].Fields[1].Default);
        Assert.False(specs[6].AffectsResult);
        Assert.False(specs[6].Required);
    }

    [Fact]
    public void Values_read_back_into_the_record()
    {
        var always = ParameterSet.From(new Dictionary<string, object> { ["draw"] = "stratified" });
        var values = ParameterSet.From(new Dictionary<string, object>
        {
            ["path"] = "/data", ["rate"] = 0.5, ["steps"] = new List<object> { 0.25, 1 }, ["odd"] = 7, ["always"] = always,
        });

        var sample = ParameterRecords.Read<Sample>(values);

        Assert.Equal(("/data", 0.5, 7), (sample.Path, sample.Shared.Rate, sample.Odd));
        Assert.Equal([0.25, 1.0], sample.Shared.Steps);
        Assert.Null(sample.Inner);
        Assert.Equal(new Inner(null, Draw.Stratified), sample.Always);
        Assert.Null(sample.Title);
    }

    [Fact]
    public void A_key_declared_twice_is_a_programming_error()
    {
        var error = Assert.Throws<InvalidOperationException>(() => ParameterRecords.Specs<Twice>());
        Assert.Contains("'a' twice", error.Message);
    }
}
