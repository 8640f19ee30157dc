using Distill.Learning.Data;
using Distill.Pipelines;

namespace Distill.Stages.Data;

/// <summary>
/// Checks that the data of every dataset a pipeline defines is present (or downloadable), and every file a stage
/// imports (weights, logits) exists, before anything
/// is written: `validate` reports it with the file's other errors, `run` refuses to start.
/// </summary>
public static class DataPreflight
{
    /// <returns>One `file:line:column: message` line per dataset whose data is missing; empty when all are there.</returns>
    public static IReadOnlyList<string> Problems(PipelineDefinition pipeline)
    {
        var problems = new List<string>();
        foreach (var dataset in pipeline.Datasets.Values)
        {
            try
            {
                DataCatalog.Open(pipeline, dataset).CheckPresent();
            }
            catch (DatasetException e)
            {
                problems.Add($"{dataset.Location}: dataset '{dataset.Name}': {e.Message}");
            }
            if (DataCatalog.StandardisationProblem(pipeline, dataset) is { } problem)
                problems.Add($"{dataset.Location}: dataset '{dataset.Name}': {problem}");
        }
        problems.AddRange(ExternalFiles.Problems(pipeline));
        return problems;
    }
}
