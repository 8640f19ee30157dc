using Distill.Learning.Data;
using Distill.Learning.Platform;
using Distill.Learning.Training;

namespace Distill.Stages.Engine;

/// <summary>
/// A stage cannot run with the data or settings it was given (an empty split, a class without examples): a user-caused
/// failure, reported as the stage's one-line reason.
/// </summary>
public sealed class StageInputException(string message) : Exception(message);

/// <summary>
/// Which exceptions fail a stage with one line (caused by the user's data or settings, or by the environment: I/O, the
/// platform, a diverging run) and which are programming errors that must crash with their stack trace.
/// </summary>
public static class StageFailure
{
    public static bool IsStageFailure(Exception e) =>
        e is StageInputException or DatasetException or TrainingDivergedException or PlatformDefectException
            or IOException or UnauthorizedAccessException or InvalidDataException or FormatException;

    public static string Reason(Exception e) => e.Message.ReplaceLineEndings(" ");
}
