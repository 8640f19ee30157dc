using Hangfire;

namespace Distill.Cli.Cluster;

/// <summary>
/// `distill cancel RUN --engine postgres`: marks every submission of the pipeline RUN as cancelled in Hangfire's
/// storage. Stage jobs watch the mark: a running stage checkpoints and stops (resumable by a new submission), a
/// queued one ends without running, and no further stage of the submission is enqueued.
/// </summary>
public static class ClusterCancellation
{
    public const string CancelledSet = "distill:cancelled";

    /// <summary>The submissions of <paramref name="run"/> under the root (its pipeline files), now marked cancelled.</summary>
    public static IReadOnlyList<string> Cancel(JobStorage storage, ClusterLayout layout, string run)
    {
        var submissions = layout.SubmissionsOf(run);
        ReadyStages.Reconnecting.Execute(() =>
        {
            using var connection = storage.GetConnection();
            using var transaction = connection.CreateWriteTransaction();
            foreach (var submission in submissions) transaction.AddToSet(CancelledSet, submission);
            transaction.Commit();
        });
        return submissions;
    }

    public static bool IsCancelled(JobStorage storage, string submission) =>
        ReadyStages.Reconnecting.Execute(() =>
        {
            using var connection = storage.GetConnection();
            return connection.GetAllItemsFromSet(CancelledSet).Contains(submission);
        });
}
