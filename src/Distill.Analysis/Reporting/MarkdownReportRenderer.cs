using System.Text;

namespace Distill.Analysis.Reporting;

/// <summary>Renders a <see cref="ReportDocument"/> as Markdown with figures as relative PNG links.</summary>
internal static class MarkdownReportRenderer
{
    public static string Render(ReportDocument document)
    {
        var md = new StringBuilder();
        md.Append("# ").AppendLine(Escape(document.Title)).AppendLine();

        foreach (ReportSection section in document.Sections)
        {
            switch (section)
            {
                case HeadingSection heading:
                    md.Append('#', heading.Level).Append(' ').AppendLine(Escape(heading.Text)).AppendLine();
                    break;
                case ParagraphSection paragraph:
                    md.AppendLine(Escape(paragraph.Text)).AppendLine();
                    break;
                case TableSection table:
                    AppendTable(md, table);
                    break;
                case FigureSection figure:
                    md.Append("![").Append(Escape(figure.Caption)).Append("](").Append(figure.FileName).AppendLine(")").AppendLine();
                    md.Append('*').Append(Escape(figure.Caption)).AppendLine("*").AppendLine();
                    AppendFinding(md, figure.Finding);
                    break;
                default:
                    throw new InvalidOperationException($"Unknown section type {section.GetType().Name}.");
            }
        }
        return md.ToString();
    }

    private static void AppendTable(StringBuilder md, TableSection table)
    {
        if (!string.IsNullOrWhiteSpace(table.Caption))
            md.Append("**").Append(Escape(table.Caption)).AppendLine("**").AppendLine();
        md.Append("| ").AppendJoin(" | ", table.Header.Select(Cell)).AppendLine(" |");
        md.Append('|').AppendJoin('|', table.Header.Select(_ => " --- ")).AppendLine("|");
        foreach (IReadOnlyList<string> row in table.Rows)
            md.Append("| ").AppendJoin(" | ", row.Select(Cell)).AppendLine(" |");
        md.AppendLine();
        AppendFinding(md, table.Finding);
    }

    private static void AppendFinding(StringBuilder md, string? finding)
    {
        if (finding is not null) md.Append("**Finding:** ").AppendLine(Escape(finding)).AppendLine();
    }

    private static string Cell(string text) => Escape(text).Replace("\r", string.Empty).Replace("\n", " ");

    // Backslash-escapes Markdown punctuation (and '<' / '&' as entities) so text is shown literally.
    private static string Escape(string? text)
    {
        var escaped = new StringBuilder();
        foreach (char c in text ?? string.Empty)
        {
            switch (c)
            {
                case '\\' or '`' or '*' or '_' or '[' or ']' or '|' or '#':
                    escaped.Append('\\').Append(c);
                    break;
                case '<':
                    escaped.Append("&lt;");
                    break;
                case '&':
                    escaped.Append("&amp;");
                    break;
                default:
                    escaped.Append(c);
                    break;
            }
        }
        return escaped.ToString();
    }
}
