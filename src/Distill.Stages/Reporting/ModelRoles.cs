using Distill.Stages.Kinds.Distill;
using Distill.Stages.Kinds.Train;

namespace Distill.Stages.Reporting;

/// <summary>Which train stages teach and which are the baseline "student trained alone", read from the run's results.</summary>
public static class ModelRoles
{
    /// <summary>Train stages of a student's architecture that teach no one: the baseline a distilled student is compared with.</summary>
    public static IReadOnlyList<TeacherResult> StudentsTrainedAlone(RunResults results) =>
        results.Of<TeacherResult>().Where(t => t.Model is { } m && results.Of<StudentResult>().Any(s => s.Model == m) && results.Of<StudentResult>().All(s => s.Teacher != t.Id)).ToList();

    /// <summary>Train stages other than students trained alone: the models studies are about.</summary>
    public static IReadOnlyList<TeacherResult> Teachers(RunResults results)
    {
        var alone = StudentsTrainedAlone(results).Select(t => t.Id).ToHashSet();
        return results.Of<TeacherResult>().Where(t => !alone.Contains(t.Id)).ToList();
    }

    /// <summary>Teachers that recorded the mutual-information probe.</summary>
    public static IReadOnlyList<TeacherResult> Probed(RunResults results) =>
        Teachers(results).Where(t => t.MutualInformation.Points.Count > 0).ToList();

    /// <summary>The estimator's ceiling, log of the number of probe examples (the largest any teacher recorded).</summary>
    public static double LogN(IEnumerable<TeacherResult> teachers) =>
        teachers.Select(t => t.MutualInformationBound).Where(double.IsFinite).DefaultIfEmpty(double.NaN).Max();

    /// <summary>The replicate seed used for pairing; a stage run once is seed 0 of its own.</summary>
    public static int SeedOf(int? replicate) => replicate ?? 0;
}
