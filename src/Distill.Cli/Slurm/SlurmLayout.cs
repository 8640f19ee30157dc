using Distill.Cli.Cluster;
using Distill.Runs;

namespace Distill.Cli.Slurm;

/// <summary>
/// The shared root of `--engine slurm`: as `--engine postgres`'s (<see cref="ClusterLayout"/>: the submitted pipeline
/// copies and the runs), plus <c>slurm/&lt;submission&gt;/</c>: each stage's job script, resolved identity and output,
/// the submission's record of its jobs, and the mark `distill cancel` leaves.
/// </summary>
internal sealed class SlurmLayout(string root)
{
    public ClusterLayout Cluster { get; } = new(root);

    public string Jobs => Path.Combine(Cluster.Root, "slurm");

    public string SubmissionFolder(string submission)
    {
        PathNames.ValidateSegment(submission, "submission");
        return Path.Combine(Jobs, submission);
    }

    public string RecordFile(string submission) => Path.Combine(SubmissionFolder(submission), "submission.json");

    /// <summary>Left by `distill cancel`: a job stopped with a checkpoint does not requeue itself then.</summary>
    public string CancelMark(string submission) => Path.Combine(SubmissionFolder(submission), "cancelled");

    /// <summary>The pipeline as `submit` loaded it (JSON): every job runs its stage of it without parsing the YAML again.</summary>
    public string ResolvedPipeline(string submission) => Path.Combine(SubmissionFolder(submission), "pipeline.json");

    public string Script(string submission, string stage) => Path.Combine(SubmissionFolder(submission), stage + ".sh");

    public string Identity(string submission, string stage) => Path.Combine(SubmissionFolder(submission), stage + ".identity.json");

    public string Output(string submission, string stage) => Path.Combine(SubmissionFolder(submission), stage + ".out");

    /// <summary>The submissions of <paramref name="run"/> that have a record, oldest first.</summary>
    public IReadOnlyList<SlurmSubmission> SubmissionsOf(string run) =>
        [.. Cluster.SubmissionsOf(run).Where(s => File.Exists(RecordFile(s))).Select(s => SlurmSubmission.Load(RecordFile(s)))];
}

/// <summary>A stage's job: its Slurm job id and the key it computes.</summary>
internal sealed record SlurmStageJob(string Stage, string JobId, string Key, IReadOnlyList<string> Dependencies);

/// <summary>What `distill submit --engine slurm` submitted: one job per stage to compute; the stages the store already held.</summary>
internal sealed record SlurmSubmission(string Run, string Submission, string Pipeline, IReadOnlyList<SlurmStageJob> Jobs, IReadOnlyList<string> Reused)
{
    public void Save(string path) => AtomicFile.WriteJson(path, this);

    public static SlurmSubmission Load(string path) =>
        System.Text.Json.JsonSerializer.Deserialize<SlurmSubmission>(File.ReadAllText(path), RunJson.Options)
            ?? throw new InvalidDataException($"{path}: not a Slurm submission record");
}
