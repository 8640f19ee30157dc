namespace Distill.Learning.Training;

/// <summary>How the stage-wise feature methods of RepDistiller and mdistiller (AB, OFD) weigh their stages.</summary>
public static class StageWeights
{
    /// <summary>Stage <paramref name="stage"/> of <paramref name="count"/> (shallowest 0) weighs 2^(stage - count + 1): the deepest 1, each shallower one half the next.</summary>
    public static double Deeper(int stage, int count) => Math.Pow(2, stage - count + 1);
}
