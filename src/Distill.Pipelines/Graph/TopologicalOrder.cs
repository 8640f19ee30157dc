namespace Distill.Pipelines.Graph;

/// <summary>Orders stages so each comes after the stages it reads (Kahn's algorithm, ties broken by
/// declaration order so the order is stable); reports each dependency cycle once.</summary>
internal static class TopologicalOrder
{
    public static IReadOnlyList<BoundStage>? Sort(IReadOnlyList<BoundStage> stages, ErrorSink errors)
    {
        var byId = stages.GroupBy(s => s.Id).ToDictionary(g => g.Key, g => g.First());
        var deps = stages.ToDictionary(s => s, s => s.Resolved.Values.SelectMany(v => v).Distinct().Where(byId.ContainsKey).Select(id => byId[id]).ToList());
        var waiting = deps.ToDictionary(kv => kv.Key, kv => kv.Value.Count);
        var readers = stages.ToDictionary(s => s, _ => new List<BoundStage>());
        foreach (var (stage, ds) in deps) foreach (var d in ds) readers[d].Add(stage);

        var ready = new PriorityQueue<BoundStage, int>();
        foreach (var s in stages.Where(s => waiting[s] == 0)) ready.Enqueue(s, s.Order);
        var order = new List<BoundStage>();
        while (ready.TryDequeue(out var next, out _))
        {
            order.Add(next);
            foreach (var r in readers[next])
                if (--waiting[r] == 0) ready.Enqueue(r, r.Order);
        }
        if (order.Count == stages.Count) return order;

        ReportCycles(stages.Where(s => waiting[s] > 0).ToList(), deps, errors);
        return null;
    }

    /// <summary>Walks dependencies among the stages left over; each walk ends in a cycle, reported at the
    /// inputs of its first stage.</summary>
    private static void ReportCycles(List<BoundStage> left, Dictionary<BoundStage, List<BoundStage>> deps, ErrorSink errors)
    {
        var reported = new HashSet<BoundStage>();
        foreach (var start in left)
        {
            if (reported.Contains(start)) continue;
            var path = new List<BoundStage> { start };
            var current = start;
            while (true)
            {
                current = deps[current].Where(left.Contains).OrderBy(s => s.Order).First();
                var index = path.IndexOf(current);
                if (index >= 0) { path = path[index..]; break; }
                path.Add(current);
            }
            if (path.Any(reported.Contains)) { reported.Add(start); continue; }
            foreach (var s in path) reported.Add(s);
            var first = path.OrderBy(s => s.Order).First();
            var rotated = path.SkipWhile(s => s != first).Concat(path.TakeWhile(s => s != first)).ToList();
            errors.Add(first.At("inputs"),
                $"dependency cycle: {string.Join(" -> ", rotated.Append(first).Select(s => s.Id))} (each stage reads the next)");
        }
    }
}
