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

    /// <summary>Whether the submission is marked cancelled; waits out a database restart (<see cref="ReadyStages.Reconnecting"/>).</summary>
    public static bool IsCancelled(JobStorage storage, string submission) =>
        ReadyStages.Reconnecting.Execute(() => IsCancelledNow(storage, submission));

    /// <summary>One look, without retrying, for a caller that looks again soon.</summary>
    public static bool IsCancelledNow(JobStorage storage, string submission)
    {
        using var connection = storage.GetConnection();
        return connection.GetAllItemsFromSet(CancelledSet).Contains(submission);
    }
}
