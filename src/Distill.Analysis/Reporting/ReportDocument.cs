using System.Text;
using System.Text.RegularExpressions;
using Distill.Analysis.Plotting;

namespace Distill.Analysis.Reporting;

/// <summary>
/// Collects headings, paragraphs, tables and figures, and renders them as one self-contained
/// HTML file (images embedded as data URIs, no external resources) and a Markdown twin that
/// references the figures as PNG files written beside it. All text is escaped, never trusted as markup.
/// </summary>
public sealed partial class ReportDocument
{
    private readonly List<ReportSection> _sections = [];
    private readonly HashSet<string> _figureFiles = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>Starts a report whose title becomes the HTML &lt;title&gt; and the top heading.</summary>
    public ReportDocument(string title)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(title);
        Title = title;
    }

    /// <summary>The document title.</summary>
    public string Title { get; }

    /// <summary>The sections in the order they were added.</summary>
    public IReadOnlyList<ReportSection> Sections => _sections;

    /// <summary>Adds a heading (level 2 to 6; the title is level 1).</summary>
    public ReportDocument AddHeading(string text, int level = 2)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(text);
        if (level is < 2 or > 6)
            throw new ArgumentOutOfRangeException(nameof(level), level, "Section headings use levels 2 to 6; level 1 is the title.");
        _sections.Add(new HeadingSection(text, level));
        return this;
    }

    /// <summary>Adds a paragraph of plain text.</summary>
    public ReportDocument AddParagraph(string text)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(text);
        _sections.Add(new ParagraphSection(text));
        return this;
    }

    /// <summary>Adds a table; each row must have as many cells as the header. A named table can carry a finding (<see cref="StateFinding"/>).</summary>
    public ReportDocument AddTable(IReadOnlyList<string> header, IEnumerable<IReadOnlyList<string>> rows, string? caption = null, string? name = null)
    {
        ArgumentNullException.ThrowIfNull(header);
        ArgumentNullException.ThrowIfNull(rows);
        if (header.Count == 0)
            throw new ArgumentException("A table needs at least one column.", nameof(header));
        var copied = new List<IReadOnlyList<string>>();
        foreach (IReadOnlyList<string> row in rows)
        {
            if (row is null || row.Count != header.Count)
                throw new ArgumentException($"Row {copied.Count} has {row?.Count ?? 0} cells; the header has {header.Count}.", nameof(rows));
            copied.Add(row.ToArray());
        }
        if (name is not null && _sections.OfType<TableSection>().Any(t => t.Name == name))
            throw new ArgumentException($"A table named '{name}' already exists in this report.", nameof(name));
        _sections.Add(new TableSection(header.ToArray(), copied, caption, name));
        return this;
    }

    /// <summary>
    /// Adds a figure. <paramref name="name"/> names its PNG in the Markdown twin
    /// (letters, digits, '-' and '_' kept, ".png" appended) and must be unique in the document;
    /// <paramref name="finding"/>, when given, is what the figure shows of a study's question.
    /// </summary>
    public ReportDocument AddFigure(string name, byte[] png, string caption, string? finding)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentNullException.ThrowIfNull(png);
        ArgumentException.ThrowIfNullOrWhiteSpace(caption);
        if (finding is not null) ArgumentException.ThrowIfNullOrWhiteSpace(finding);
        if (!PngImage.HasPngSignature(png))
            throw new ArgumentException($"Figure '{name}' is not a PNG image.", nameof(png));

        string stem = UnsafeFileChars().Replace(name.Trim(), "-").Trim('-');
        if (stem.Length == 0)
            throw new ArgumentException($"Figure name '{name}' has no usable file-name characters.", nameof(name));
        string fileName = stem + ".png";
        if (!_figureFiles.Add(fileName))
            throw new ArgumentException($"A figure named '{fileName}' already exists in this report.", nameof(name));
        _sections.Add(new FigureSection(fileName, png.ToArray(), caption, finding));
        return this;
    }

    /// <summary>
    /// States a finding beside the figure (by the name it was added under) or the named table it rests on: the finding's
    /// one paragraph in the report. False when no such exhibit exists or it already states a finding.
    /// </summary>
    public bool StateFinding(string exhibit, string finding)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(exhibit);
        ArgumentException.ThrowIfNullOrWhiteSpace(finding);
        string fileName = FigureFileName(exhibit);
        int index = _sections.FindIndex(s => s is FigureSection { Finding: null } f && f.FileName == fileName || s is TableSection { Finding: null } t && t.Name == exhibit);
        if (index < 0) return false;
        _sections[index] = _sections[index] switch
        {
            FigureSection figure => figure with { Finding = finding },
            TableSection table => table with { Finding = finding },
            var other => other,
        };
        return true;
    }

    private static string FigureFileName(string name) => UnsafeFileChars().Replace(name.Trim(), "-").Trim('-') + ".png";

    /// <summary>The self-contained HTML document.</summary>
    public string RenderHtml() => HtmlReportRenderer.Render(this);

    /// <summary>The Markdown document; figures are referenced by their file names, relative to the .md file.</summary>
    public string RenderMarkdown() => MarkdownReportRenderer.Render(this);

    /// <summary>Writes the Markdown file and every figure's PNG beside it; returns the Markdown file's full path.</summary>
    public string WriteMarkdown(string path)
    {
        string full = PrepareFolder(path);
        string folder = Path.GetDirectoryName(full)!;
        foreach (FigureSection figure in _sections.OfType<FigureSection>())
            File.WriteAllBytes(Path.Combine(folder, figure.FileName), figure.Png);
        File.WriteAllText(full, RenderMarkdown(), new UTF8Encoding(false));
        return full;
    }

    private static string PrepareFolder(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        string full = Path.GetFullPath(path);
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        return full;
    }

    [GeneratedRegex("[^A-Za-z0-9_-]+")]
    private static partial Regex UnsafeFileChars();
}
