using System.Net;
using System.Text;

namespace Distill.Analysis.Reporting;

/// <summary>Renders a <see cref="ReportDocument"/> as one HTML file with no external resources.</summary>
internal static class HtmlReportRenderer
{
    private const string Css = """
        body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; max-width: 960px;
               margin: 2rem auto; padding: 0 1rem; line-height: 1.5; color: #222; background: #fff; }
        h1 { border-bottom: 2px solid #ddd; padding-bottom: .3rem; }
        h2 { margin-top: 2.2rem; border-bottom: 1px solid #eee; padding-bottom: .2rem; }
        table { border-collapse: collapse; margin: 1rem 0; font-variant-numeric: tabular-nums; }
        caption { caption-side: top; text-align: left; font-weight: 600; padding-bottom: .4rem; }
        th, td { border: 1px solid #ccc; padding: .35rem .7rem; text-align: left; }
        th { background: #f3f3f3; }
        tr:nth-child(even) td { background: #fafafa; }
        figure { margin: 1.5rem 0; }
        figure img { max-width: 100%; height: auto; border: 1px solid #eee; }
        figcaption { font-size: .95rem; color: #444; margin-top: .4rem; }
        .finding { background: #eef6ee; border-left: 4px solid #4a9a4a; padding: .5rem .8rem; margin: .5rem 0 0; }
        """;

    public static string Render(ReportDocument document)
    {
        var html = new StringBuilder();
        html.AppendLine("<!DOCTYPE html>");
        html.AppendLine("<html lang=\"en\">");
        html.AppendLine("<head>");
        html.AppendLine("<meta charset=\"utf-8\">");
        html.AppendLine("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">");
        html.Append("<title>").Append(Escape(document.Title)).AppendLine("</title>");
        html.Append("<style>").Append(Css).AppendLine("</style>");
        html.AppendLine("</head>");
        html.AppendLine("<body>");
        html.Append("<h1>").Append(Escape(document.Title)).AppendLine("</h1>");

        foreach (ReportSection section in document.Sections)
        {
            switch (section)
            {
                case HeadingSection heading:
                    html.Append($"<h{heading.Level}>").Append(Escape(heading.Text)).AppendLine($"</h{heading.Level}>");
                    break;
                case ParagraphSection paragraph:
                    html.Append("<p>").Append(Escape(paragraph.Text)).AppendLine("</p>");
                    break;
                case TableSection table:
                    AppendTable(html, table);
                    break;
                case FigureSection figure:
                    AppendFigure(html, figure);
                    break;
                default:
                    throw new InvalidOperationException($"Unknown section type {section.GetType().Name}.");
            }
        }

        html.AppendLine("</body>");
        html.AppendLine("</html>");
        return html.ToString();
    }

    private static void AppendTable(StringBuilder html, TableSection table)
    {
        html.AppendLine("<table>");
        if (!string.IsNullOrWhiteSpace(table.Caption))
            html.Append("<caption>").Append(Escape(table.Caption)).AppendLine("</caption>");
        html.Append("<thead><tr>");
        foreach (string cell in table.Header)
            html.Append("<th>").Append(Escape(cell)).Append("</th>");
        html.AppendLine("</tr></thead>");
        html.AppendLine("<tbody>");
        foreach (IReadOnlyList<string> row in table.Rows)
        {
            html.Append("<tr>");
            foreach (string cell in row)
                html.Append("<td>").Append(Escape(cell)).Append("</td>");
            html.AppendLine("</tr>");
        }
        html.AppendLine("</tbody>");
        html.AppendLine("</table>");
        AppendFinding(html, table.Finding);
    }

    private static void AppendFigure(StringBuilder html, FigureSection figure)
    {
        html.AppendLine("<figure>");
        html.Append("<img src=\"data:image/png;base64,").Append(Convert.ToBase64String(figure.Png))
            .Append("\" alt=\"").Append(Escape(figure.Caption)).AppendLine("\">");
        html.Append("<figcaption>").Append(Escape(figure.Caption)).AppendLine("</figcaption>");
        AppendFinding(html, figure.Finding);
        html.AppendLine("</figure>");
    }

    private static void AppendFinding(StringBuilder html, string? finding)
    {
        if (finding is not null) html.Append("<p class=\"finding\"><strong>Finding:</strong> ").Append(Escape(finding)).AppendLine("</p>");
    }

    // Escapes &, <, >, " and ' so text is safe both between tags and inside attribute values.
    private static string Escape(string? text) => WebUtility.HtmlEncode(text ?? string.Empty);
}
