namespace Distill.Pipelines.Binding;

/// <summary>"Did you mean" hints for misspelt keys and names.</summary>
internal static class Suggest
{
    public static string Hint(string given, IEnumerable<string> candidates)
    {
        var best = candidates
            .Select(c => (c, d: Distance(given, c)))
            .Where(x => x.d <= Math.Max(1, Math.Min(3, x.c.Length / 3)))
            .OrderBy(x => x.d)
            .Select(x => x.c)
            .FirstOrDefault();
        return best is null ? "" : $" (did you mean '{best}'?)";
    }

    private static int Distance(string a, string b)
    {
        var prev = Enumerable.Range(0, b.Length + 1).ToArray();
        for (var i = 1; i <= a.Length; i++)
        {
            var cur = new int[b.Length + 1];
            cur[0] = i;
            for (var j = 1; j <= b.Length; j++)
                cur[j] = Math.Min(Math.Min(cur[j - 1] + 1, prev[j] + 1), prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1));
            prev = cur;
        }
        return prev[b.Length];
    }
}
