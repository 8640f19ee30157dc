using Distill.Runs;

namespace Distill.Cli.Queue;

/// <summary>
/// A pipeline file this worker took from the queue: <see cref="Path"/> is its place in queue/claimed/, and
/// <see cref="Claim"/> the OS lock that says so for as long as this process lives.
/// </summary>
internal sealed record ClaimedJob(string FileName, string Path, DateTimeOffset ClaimedAt, OwnerLock Claim);
