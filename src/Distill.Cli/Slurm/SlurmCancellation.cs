namespace Distill.Cli.Slurm;

/// <summary>
/// `distill cancel RUN --engine slurm`: marks each submission of RUN cancelled (so a stage stopped with a checkpoint
/// does not requeue its job) and scancels its jobs: Slurm sends TERM, running stages checkpoint and stop, pending ones
/// never start. A new submission reuses what completed and resumes the rest from their checkpoints.
/// </summary>
internal static class SlurmCancellation
{
    public static IReadOnlyList<SlurmSubmission> Cancel(SlurmLayout layout, string run)
    {
        var submissions = layout.SubmissionsOf(run).Where(s => !File.Exists(layout.CancelMark(s.Submission))).ToList();
        foreach (var submission in submissions)
        {
            File.WriteAllText(layout.CancelMark(submission.Submission), $"cancelled at {DateTimeOffset.UtcNow:O}\n");
            SlurmClient.Cancel(submission.Jobs.Select(j => j.JobId).ToList());
        }
        return submissions;
    }
}
