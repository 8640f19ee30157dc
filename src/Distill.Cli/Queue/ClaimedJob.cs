namespace Distill.Cli.Queue;

/// <summary>A pipeline file this worker took from the queue: <see cref="Path"/> is its place in queue/claimed/.</summary>
internal sealed record ClaimedJob(string FileName, string Path, DateTimeOffset ClaimedAt);
