using Distill.Learning.Models;
using static TorchSharp.torch;

namespace Distill.Learning.Training;

/// <summary>
/// KDSVD (Lee, Kim, Song, "Self-supervised Knowledge Distillation Using Singular Value Decomposition", ECCV 2018),
/// `loss: kdsvd`, as mdistiller's kdsvd_loss computes it, on the authors' layout: each point's map, read as an
/// (H·W) x C matrix per example, gives its top k right singular vectors (over the channels) and singular values, each
/// L2-normalised; the student's k + 3 are aligned to the teacher's k (for each teacher vector the student vector of the
/// largest |cosine|, times that cosine's sign), both sets scaled by the teacher's normalised singular values, and
/// between consecutive points the two models' RBF kernels exp(-(v_i - v_(i-1))^2 / 8) over every pair of channels are
/// compared: squared differences (non-finite ones dropped) summed, divided by the batch size, summed over the pairs.
/// </summary>
/// <remarks>
/// Two choices the published code leaves to its platform. (1) A singular vector's sign is LAPACK's choice, and the
/// kernel between two of the teacher's levels changes with it; the student's vectors follow the teacher's through the
/// alignment. Here each teacher vector is turned so that its entry of largest magnitude is positive (scikit-learn's
/// svd_flip): for maps after a ReLU the top vector is then the non-negative one, the same on every LAPACK build.
/// (2) The gradient of a singular vector divides by differences of squared singular values; where two are equal
/// (dead channels give repeated zeros) LibTorch's SVD backward returns NaN, as the TF original's custom gradient
/// would have but for its removenan. Here the student's vectors carry their first-order derivative explicitly, each
/// an eigenvector of A = X^T X: dv_j = sum over i != j of v_i v_i^T dA v_j / (s_j^2 - s_i^2), i over all C eigenvectors
/// (those outside X's row space with s_i = 0), with the couplings of equal singular values set to zero (the TF
/// original's removenan). Where the singular values are distinct this is the gradient PyTorch's SVD backward gives
/// (the twin test compares them). The vectors themselves come from the eigen-decomposition of X^T X in float64, the
/// same vectors as the SVD's at a fraction of its time.
/// mdistiller views an NCHW map as (C·H) x W, a port of the TF original's NHWC reshape that turns its vectors into
/// rows over the width; Distill reads the authors' layout.
/// </remarks>
public sealed class SingularVectorTerm(IReadOnlyList<string> points, int vectors) : IRepresentationTerm
{
    private const int ExtraStudentVectors = 3;

    public IReadOnlyList<string> Points { get; } = points.Count >= 2 ? points : throw new ArgumentException("KDSVD compares consecutive points: it needs at least two", nameof(points));

    /// <summary>Why KDSVD cannot compare maps of these C x H x W shapes at one point; null when it can.</summary>
    public static string? Problem(long[] student, long[] teacher) =>
        student.Length != 3 || teacher.Length != 3 ? "KDSVD needs feature maps in both models, not vectors"
        : student[0] != teacher[0] ? $"KDSVD aligns singular vectors over the channels, so it needs the same channels in both models, and the student has {student[0]} where the teacher has {teacher[0]}"
        : null;

    public Tensor Loss(ModelOutputs student, ModelOutputs teacher, TrainingBatch batch)
    {
        using var scope = NewDisposeScope();
        Tensor? total = null, previousStudent = null, previousTeacher = null;
        foreach (var point in Points)
        {
            var (teacherValues, teacherVectors) = TeacherVectors(teacher[point].detach(), vectors);
            var studentVectors = Align(StudentVectors(student[point], vectors + ExtraStudentVectors), teacherVectors);
            var scale = teacherValues.unsqueeze(1);
            var (s, t) = (studentVectors.mul(scale), teacherVectors.mul(scale));
            if (previousStudent is not null)
            {
                var difference = Kernel(s, previousStudent).sub(Kernel(t, previousTeacher!)).square();
                var pair = RemoveNan(difference).sum();
                total = total is null ? pair : total.add(pair);
            }
            (previousStudent, previousTeacher) = (s, t);
        }
        return total!.div(student[Points[0]].shape[0]).MoveToOuterDisposeScope();
    }

    /// <summary>exp(-(a_i - b_j)^2 / 8) for every channel i of one level and j of the previous: N x C_a x C_b x k.</summary>
    private static Tensor Kernel(Tensor a, Tensor b) => a.unsqueeze(2).sub(b.unsqueeze(1)).square().div(-8).exp();

    /// <summary>The map as an N x (H·W) x C matrix per example, in float32 at least (mdistiller's .float()).</summary>
    private static Tensor Matrix(Tensor map)
    {
        var x = map.permute(0, 2, 3, 1).reshape(map.shape[0], map.shape[2] * map.shape[3], map.shape[1]);
        return x.dtype == ScalarType.Float64 ? x : x.to(ScalarType.Float32);
    }

    /// <summary>The teacher's top normalised singular values (N x k) and its signed, normalised right singular vectors (N x C x k).</summary>
    public static (Tensor Values, Tensor Vectors) TeacherVectors(Tensor map, int count)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var (squares, basis) = Decompose(Matrix(map));
        int n = (int)Math.Min(count, squares.shape[1]);
        var top = RemoveNan(basis.narrow(2, 0, n));
        var vectors = nn.functional.normalize(top.mul(LargestEntrySign(top)), dim: 1);
        var normalised = nn.functional.normalize(RemoveNan(squares.narrow(1, 0, n).sqrt()), dim: 1);
        return (normalised.MoveToOuterDisposeScope(), vectors.MoveToOuterDisposeScope());
    }

    /// <summary>
    /// The right singular vectors of each N x (H·W) x C matrix (N x C x C, a column each) and the squared singular values
    /// (N x C), largest first: the eigen-decomposition of X^T X, in float64 whatever X's type (its squared condition
    /// number then costs no accuracy a float32 SVD would have), with the null space's rounding below 0 set to 0. On the
    /// benchmark's shapes it takes a third to a tenth of LibTorch's SVD of X.
    /// </summary>
    private static (Tensor Squares, Tensor Basis) Decompose(Tensor x)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var wide = x.detach().to(ScalarType.Float64);
        var (values, vectors) = linalg.eigh(wide.transpose(1, 2).bmm(wide));
        // eigh gives them smallest first.
        var squares = values.flip(1).clamp_min(0).to(x.dtype);
        var basis = vectors.flip(2).to(x.dtype);
        return (squares.MoveToOuterDisposeScope(), basis.MoveToOuterDisposeScope());
    }

    /// <summary>Per vector (column), the sign of its entry of largest magnitude: N x 1 x k.</summary>
    public static Tensor LargestEntrySign(Tensor vectors)
    {
        var largest = vectors.abs().argmax(1, keepdim: true);
        return vectors.gather(1, largest).sign();
    }

    /// <summary>
    /// The student's top right singular vectors (N x C x n), normalised, whose value is LAPACK's and whose gradient is
    /// the eigenvector derivative described in the class remarks.
    /// </summary>
    public static Tensor StudentVectors(Tensor map, int count)
    {
        using var scope = NewDisposeScope();
        var x = Matrix(map);
        var (squares, basis) = Decompose(x);
        int n = (int)Math.Min(count, squares.shape[1]);
        var top = basis.narrow(2, 0, n);
        // (A - A0) V_n is zero in value and carries dA V_n: X^T X differentiated, its value subtracted.
        var gram = x.transpose(1, 2).bmm(x);
        var perturbation = gram.sub(gram.detach()).bmm(top);
        // Couplings 1 / (s_j^2 - s_i^2) over the whole basis (the null space's s_i^2 = 0 included), zero where the two
        // are equal (or i == j).
        var gaps = squares.narrow(1, 0, n).unsqueeze(1).sub(squares.unsqueeze(2));
        var derivative = basis.bmm(ReciprocalOrZero(gaps).mul(basis.transpose(1, 2).bmm(perturbation)));
        var vectors = RemoveNan(top).add(derivative);
        return nn.functional.normalize(vectors, dim: 1).MoveToOuterDisposeScope();
    }

    /// <summary>mdistiller's align_rsv: for each teacher vector, the student vector of the largest |cosine|, times its sign.</summary>
    public static Tensor Align(Tensor student, Tensor teacher)
    {
        using var scope = NewDisposeScope();
        var cosine = student.transpose(1, 2).bmm(teacher);
        var largest = cosine.abs().amax([1], keepdim: true);
        var mask = where(largest.eq(cosine.abs()), cosine.sign(), zeros_like(cosine));
        return student.bmm(mask).MoveToOuterDisposeScope();
    }

    private static Tensor RemoveNan(Tensor x) => where(x.isfinite(), x, zeros_like(x));

    /// <summary>1 / x, and 0 where x is 0 (the couplings of equal singular values, the TF original's removenan).</summary>
    private static Tensor ReciprocalOrZero(Tensor x) => where(x.eq(0), zeros_like(x), x.reciprocal());
}
