namespace Distill.Analysis.Calibration;

/// <summary>
/// One confidence bin B_m = (Lower, Upper] of a reliability diagram.
/// For an empty bin, MeanConfidence and Accuracy are 0 (there is nothing to average); check <see cref="Count"/>.
/// </summary>
/// <param name="Index">1-based bin number m.</param>
/// <param name="Lower">(m - 1) / M, exclusive.</param>
/// <param name="Upper">m / M, inclusive.</param>
/// <param name="Count">Number of examples whose confidence falls in the bin.</param>
/// <param name="MeanConfidence">Mean max-probability of those examples.</param>
/// <param name="Accuracy">Fraction of those examples predicted correctly.</param>
public sealed record ReliabilityBin(int Index, double Lower, double Upper, int Count, double MeanConfidence, double Accuracy)
{
    /// <summary>True when no example fell into the bin.</summary>
    public bool IsEmpty => Count == 0;

    /// <summary>|acc(B_m) - conf(B_m)|, the bin's calibration gap.</summary>
    public double Gap => Math.Abs(Accuracy - MeanConfidence);
}

/// <summary>All bins of a reliability diagram plus the ECE they add up to.</summary>
/// <param name="Bins">M bins in order of confidence.</param>
/// <param name="ExampleCount">n, the number of examples binned.</param>
/// <param name="ExpectedCalibrationError">sum_m |B_m| / n * |acc(B_m) - conf(B_m)|.</param>
public sealed record ReliabilityDiagramData(IReadOnlyList<ReliabilityBin> Bins, int ExampleCount, double ExpectedCalibrationError);

/// <summary>Accuracy, NLL and ECE of one set of logits read at one temperature.</summary>
/// <param name="Temperature">T used in softmax(z / T).</param>
/// <param name="Accuracy">Top-1 accuracy in [0, 1].</param>
/// <param name="NegativeLogLikelihood">Mean -log p_y in nats.</param>
/// <param name="ExpectedCalibrationError">ECE over the bins below.</param>
/// <param name="Reliability">Per-bin statistics for the reliability diagram.</param>
public sealed record CalibrationSummary(
    double Temperature,
    double Accuracy,
    double NegativeLogLikelihood,
    double ExpectedCalibrationError,
    ReliabilityDiagramData Reliability);
