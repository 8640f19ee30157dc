using Distill.Learning.Data;
using Distill.Runs;
using Distill.Stages.Kinds.ImportLogits;
using static TorchSharp.torch;

namespace Distill.Stages.Tests;

/// <summary>import-logits refuses files that do not fit the dataset, naming the file and the difference.</summary>
public sealed class ExternalLogitsTests : IDisposable
{
    private readonly TempFolder _temp = new();

    public void Dispose() => _temp.Dispose();

    // A split of 4 examples, taken from published positions 10..13, with 3 classes.
    private static LabeledImages Split() => new(zeros(4, 1, 2, 2, ScalarType.Byte), [0, 1, 2, 1], ["a", "b", "c"], [10, 11, 12, 13]);

    private void Write(int rows, int columns, long[] labels, long[] indices)
    {
        NpyWriter.Write(_temp.Combine("logits-test.npy"), Enumerable.Range(0, rows * columns).Select(i => (float)i).ToArray(), rows, columns);
        NpyVector.WriteInt64(_temp.Combine("labels-test.npy"), labels);
        NpyVector.WriteInt64(_temp.Combine("indices-test.npy"), indices);
    }

    private string Refusal()
    {
        using var split = Split();
        return Assert.Throws<InvalidDataException>(() => ExternalLogits.Read(_temp.Path, DataSplit.Test, split, 3)).Message;
    }

    [Fact]
    public void Rows_in_any_order_come_back_in_the_splits_order()
    {
        Write(4, 3, [1, 2, 1, 0], [13, 12, 11, 10]);
        using var split = Split();
        var rows = ExternalLogits.Read(_temp.Path, DataSplit.Test, split, 3);
        Assert.Equal([9f, 10f, 11f, 6f, 7f, 8f, 3f, 4f, 5f, 0f, 1f, 2f], rows);
    }

    [Fact]
    public void A_wrong_row_count_is_refused()
    {
        Write(3, 3, [0, 1, 2], [10, 11, 12]);
        Assert.Equal($"{_temp.Combine("logits-test.npy")}: 3 rows, but the test split has 4 examples", Refusal());
    }

    [Fact]
    public void A_wrong_class_count_is_refused()
    {
        Write(4, 2, [0, 1, 2, 1], [10, 11, 12, 13]);
        Assert.Equal($"{_temp.Combine("logits-test.npy")}: 2 columns, but the dataset has 3 classes", Refusal());
    }

    [Fact]
    public void A_wrong_label_or_an_unknown_or_repeated_index_is_refused()
    {
        Write(4, 3, [0, 2, 2, 1], [10, 11, 12, 13]);
        Assert.Equal($"{_temp.Combine("labels-test.npy")}: row 1 (dataset index 11) has label 2, the dataset says 1", Refusal());
        Write(4, 3, [0, 1, 2, 1], [10, 11, 12, 99]);
        Assert.Equal($"{_temp.Combine("indices-test.npy")}: row 3 has index 99, which is not an example of the test split", Refusal());
        Write(4, 3, [0, 1, 1, 1], [10, 11, 11, 13]);
        Assert.Equal($"{_temp.Combine("indices-test.npy")}: index 11 appears twice (rows 1 and 2)", Refusal());
    }

    [Fact]
    public void A_missing_file_or_a_float_label_array_is_refused_by_name()
    {
        Write(4, 3, [0, 1, 2, 1], [10, 11, 12, 13]);
        File.Delete(_temp.Combine("indices-test.npy"));
        Assert.StartsWith($"{_temp.Combine("indices-test.npy")}: missing", Refusal());
        NpyVector.WriteInt64(_temp.Combine("indices-test.npy"), [10, 11, 12, 13]);
        File.WriteAllBytes(_temp.Combine("labels-test.npy"), [.. NpyHeader.Build("<f4", [4]), .. new byte[16]]);
        Assert.Contains("labels-test.npy: dtype is '<f4', expected a little-endian integer type", Refusal());
    }
}
