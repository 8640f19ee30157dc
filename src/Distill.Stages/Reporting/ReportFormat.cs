using System.Globalization;

namespace Distill.Stages.Reporting;

/// <summary>How the report prints numbers: invariant culture, "n/a" for a missing (non-finite) value.</summary>
public static class ReportFormat
{
    public static string F3(double value) => double.IsFinite(value) ? value.ToString("0.000", CultureInfo.InvariantCulture) : "n/a";

    public static string F2(double value) => double.IsFinite(value) ? value.ToString("0.00", CultureInfo.InvariantCulture) : "n/a";

    public static string F(double value) => double.IsFinite(value) ? value.ToString("0.###", CultureInfo.InvariantCulture) : "n/a";

    public static string P(double fraction) =>
        double.IsFinite(fraction) ? (100 * fraction).ToString("0.0", CultureInfo.InvariantCulture) + " %" : "n/a";

    public static string N(int value) => value.ToString(CultureInfo.InvariantCulture);
}
