namespace Distill.Stages.Reporting;

/// <summary>A result that knows its test accuracy at the epoch of best validation accuracy (NaN without a validation split).</summary>
public interface IBestValidationResult
{
    double TestAccuracyAtBestValidation { get; }
}

/// <summary>
/// The second epoch rule beside the last epoch's: a table of trained models gets a column of the test accuracy at the
/// epoch of best validation accuracy when any of its models has a validation split, and its caption says which epoch
/// each column is (the field's tables use either rule; Distill never picks an epoch on test).
/// </summary>
public static class BestValidationColumn
{
    public const string Header = "Test accuracy at best validation";

    public const string Caption = " \"Test accuracy\" is the last epoch's; \"at best validation\" is the test accuracy at the epoch of " +
        "best validation accuracy (chosen on the validation split, never on test).";

    public static bool Applies<T>(IEnumerable<T> results) where T : IBestValidationResult =>
        results.Any(r => double.IsFinite(r.TestAccuracyAtBestValidation));

    /// <summary><paramref name="headers"/> with the column inserted after <paramref name="after"/> where it applies.</summary>
    public static IReadOnlyList<string> Headers(IReadOnlyList<string> headers, string after, bool applies) =>
        applies ? [.. headers.Take(IndexAfter(headers, after)), Header, .. headers.Skip(IndexAfter(headers, after))] : headers;

    /// <summary>A row with the group's cell inserted at the same place.</summary>
    public static IReadOnlyList<string> Row<T>(IReadOnlyList<string> row, IReadOnlyList<string> headers, string after, bool applies, IEnumerable<T> group)
        where T : IBestValidationResult =>
        applies
            ? [.. row.Take(IndexAfter(headers, after)), Replicates.Cell(group.Select(r => r.TestAccuracyAtBestValidation), ReportFormat.P), .. row.Skip(IndexAfter(headers, after))]
            : row;

    private static int IndexAfter(IReadOnlyList<string> headers, string after)
    {
        for (int i = 0; i < headers.Count; i++)
            if (headers[i] == after) return i + 1;
        throw new ArgumentException($"no column '{after}'", nameof(after));
    }
}
