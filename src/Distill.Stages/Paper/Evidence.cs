namespace Distill.Stages.Paper;

/// <summary>Cluster geometry of one model: tightness and centroid spread on training and held-out examples.</summary>
public sealed record ClusterGeometry(double TightnessTraining, double TightnessHeldOut, double SpreadTraining, double SpreadHeldOut);

/// <summary>Finding 1, one seed: the hard-target and the smoothed model's geometry.</summary>
public sealed record ClusterSeed(int Seed, ClusterGeometry Hard, ClusterGeometry Smooth);

/// <summary>Finding 2, one seed: ECE on the test split of the hard-target teacher at T = 1 and temperature-scaled, and of the smoothed teacher at T = 1.</summary>
public sealed record CalibrationSeed(int Seed, double HardEce, double HardEceScaled, double SmoothEce);

/// <summary>Finding 3: one student, by its teacher's smoothing, the teacher's smoothness gamma at the student's T, and its test accuracy.</summary>
public sealed record StudentPoint(int Seed, double Gamma, double Accuracy);

/// <summary>Finding 3, one smoothed alpha: its students at T = 1, one per seed.</summary>
public sealed record SmoothedStudents(double Alpha, IReadOnlyList<StudentPoint> Students);

/// <summary>Teacher test accuracy of one seed, without and with smoothing (reported beside finding 3).</summary>
public sealed record TeacherSeed(int Seed, double Hard, double Smooth);

/// <summary>Finding 4, one seed: mutual information per probed epoch of the hard-target and the smoothed teacher.</summary>
public sealed record InformationSeed(int Seed, IReadOnlyList<double> Hard, IReadOnlyList<double> Smooth);
