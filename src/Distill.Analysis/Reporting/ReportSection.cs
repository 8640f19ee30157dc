namespace Distill.Analysis.Reporting;

/// <summary>One block of a report, rendered in order.</summary>
public abstract record ReportSection;

/// <summary>A heading; level 1 is the document title, sections use 2 and below.</summary>
public sealed record HeadingSection(string Text, int Level) : ReportSection;

/// <summary>A paragraph of plain text (escaped on rendering, never interpreted as markup).</summary>
public sealed record ParagraphSection(string Text) : ReportSection;

/// <summary>
/// A table with a header row; every row has the header's number of cells. <paramref name="Name"/>, when given, lets a
/// study state a finding beside it (<see cref="ReportDocument.StateFinding"/>).
/// </summary>
public sealed record TableSection(IReadOnlyList<string> Header, IReadOnlyList<IReadOnlyList<string>> Rows, string? Caption,
    string? Name = null, string? Finding = null) : ReportSection;

/// <summary>
/// A PNG figure with its caption and the one-sentence finding it supports.
/// <paramref name="FileName"/> is where the Markdown twin expects the image, next to the .md file.
/// </summary>
public sealed record FigureSection(string FileName, byte[] Png, string Caption, string? Finding) : ReportSection;
