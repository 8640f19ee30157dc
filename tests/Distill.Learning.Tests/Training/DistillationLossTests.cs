using Distill.Learning.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace Distill.Learning.Tests.Training;

public sealed class DistillationLossTests
{
    [Fact]
    public void Reverse_KL_and_the_symmetric_JSD_worked_by_hand()
    {
        // Teacher logits [0, 0]: p_t = [0.5, 0.5]; student [ln 3, 0]: p_s = [0.75, 0.25]. Reverse KL(p_s || p_t) =
        // 0.75 ln 1.5 + 0.25 ln 0.5; JSD at beta 0.5, with m = [0.625, 0.375]: (KL(p_t || m) + KL(p_s || m)) / 2.
        using var student = tensor(new double[] { Math.Log(3), 0 }).reshape(1, 2);
        using var teacher = tensor(new double[] { 0, 0 }).reshape(1, 2);
        using var labels = tensor(new long[] { 0 });
        using var reverse = new SoftTargetLoss(1, 1, 1, false) { Divergence = SoftTargetDivergence.ReverseKl }.Loss(student, teacher, labels);
        using var jsd = new SoftTargetLoss(1, 1, 1, false) { Divergence = SoftTargetDivergence.Jsd }.Loss(student, teacher, labels);
        Assert.Equal(0.13081203594113697, reverse.item<double>(), 12);
        Assert.Equal(0.033822075568605205, jsd.item<double>(), 12);
        using var same = new SoftTargetLoss(1, 1, 1, false) { Divergence = SoftTargetDivergence.Jsd }.Loss(teacher, teacher, labels);
        Assert.Equal(0, same.item<double>(), 12);
    }

    [Fact]
    public void Logit_standardization_z_scores_each_example_worked_by_hand()
    {
        // [1, 2, 3]: mean 2, standard deviation (Bessel) 1, so [-1, 0, 1]; [10, 10, 16]: mean 12, sd sqrt(12), so
        // [-2, -2, 4] / sqrt(12). Each over (sd + 1e-7).
        using var logits = tensor(new double[] { 1, 2, 3, 10, 10, 16 }).reshape(2, 3);
        using var standardized = LogitStandardization.Apply(logits);
        double[] expected = [-1 / (1 + 1e-7), 0, 1 / (1 + 1e-7), -2 / (Math.Sqrt(12) + 1e-7), -2 / (Math.Sqrt(12) + 1e-7), 4 / (Math.Sqrt(12) + 1e-7)];
        Assert.Equal(expected, standardized.data<double>().ToArray(), (a, b) => Math.Abs(a - b) < 1e-12);
    }

    [Fact]
    public void A_standardized_logit_loss_does_not_see_a_teachers_shift_and_scale_but_its_cross_entropy_sees_raw_logits()
    {
        // The distillation term reads z-scores, so 3 t + 5 teaches as t does; the hard-label term (beta 0.5) still
        // reads the student's raw logits, so scaling the student changes the loss.
        using var student = tensor(new double[] { 1, 2, 0, 0.5, -1, 2 }).reshape(2, 3);
        using var teacher = tensor(new double[] { 2, 1, 0, 0, 0, 3 }).reshape(2, 3);
        using var labels = tensor(new long[] { 0, 2 });
        var loss = new SoftTargetLoss(2, 2, 0.5, true) { Standardized = true };
        using var plain = loss.Loss(student, teacher, labels);
        using var shifted = teacher.mul(3).add(5);
        using var moved = loss.Loss(student, shifted, labels);
        Assert.Equal(plain.item<double>(), moved.item<double>(), 7); // up to the 1e-7 in the z-score's denominator
        using var scaledStudent = student.mul(3);
        using var scaled = loss.Loss(scaledStudent, teacher, labels);
        Assert.NotEqual(plain.item<double>(), scaled.item<double>(), 6);
        using var unstandardized = new SoftTargetLoss(2, 2, 0.5, true).Loss(student, shifted, labels);
        Assert.NotEqual(plain.item<double>(), unstandardized.item<double>(), 6);
    }

    [Fact]
    public void Decoupled_loss_matches_the_paper_formula_worked_by_hand()
    {
        // Two examples, three classes, T = 2, alpha = 1, beta = 8, ce-weight = 1. Worked with the paper's
        // definitions (p = softmax(z / T); b = [p_y, 1 - p_y]; q = p without y, renormalised):
        // mean TCKD = 0.05396219611814719, mean NCKD = 0.04833943164607169, mean CE at T = 1 = 0.8244586305507687,
        // loss = 2^2 * (1 * TCKD + 8 * NCKD) + CE = 2.5871692276976517.
        using var student = tensor(new float[] { 1, 2, 0, 0.5f, -1, 2 }).reshape(2, 3);
        using var teacher = tensor(new float[] { 2, 1, 0, 0, 0, 3 }).reshape(2, 3);
        using var labels = tensor(new long[] { 0, 2 });

        using var loss = new DecoupledLoss(2, 1, 8, 1).Loss(student, teacher, labels);

        Assert.Equal(2.5871692276976517, loss.item<float>(), 5);
    }

    [Theory]
    [InlineData(1.0, 1.0, 8.0, 1.0)]
    [InlineData(4.0, 1.0, 8.0, 1.0)]
    [InlineData(4.0, 0.5, 2.0, 0.0)]
    public void Decoupled_loss_matches_a_reference_in_doubles_and_has_finite_gradients(double temperature, double alpha, double beta, double ceWeight)
    {
        var generator = new Generator(11);
        using var studentLogits = randn([16, 10], generator: generator).mul(3).requires_grad_();
        using var teacherLogits = randn([16, 10], generator: generator).mul(3);
        using var labels = randint(0, 10, [16], generator: generator);

        using var loss = new DecoupledLoss(temperature, alpha, beta, ceWeight).Loss(studentLogits, teacherLogits, labels);
        loss.backward();

        double expected = Reference(studentLogits.detach().data<float>().ToArray(), teacherLogits.data<float>().ToArray(),
            labels.data<long>().ToArray(), 10, temperature, alpha, beta, ceWeight);
        Assert.Equal(expected, loss.item<float>(), 3);
        Assert.True(studentLogits.grad!.isfinite().all().item<bool>());
    }

    [Fact]
    public void Soft_target_loss_is_hintons_at_beta_one_and_mixes_in_the_labels_below()
    {
        using var student = tensor(new float[] { 1, 2, 0 }).reshape(1, 3);
        using var teacher = tensor(new float[] { 2, 1, 0 }).reshape(1, 3);
        using var labels = tensor(new long[] { 0 });
        double soft = -Softmax([2, 1, 0], 1).Zip(Softmax([1, 2, 0], 1), (t, s) => t * Math.Log(s)).Sum();
        double hard = -Math.Log(Softmax([1, 2, 0], 1)[0]);

        using var pure = new SoftTargetLoss(1, 1, 1, false).Loss(student, teacher, labels);
        using var mixed = new SoftTargetLoss(1, 1, 0.25, false).Loss(student, teacher, labels);

        Assert.Equal(soft, pure.item<float>(), 5);
        Assert.Equal(0.25 * soft + 0.75 * hard, mixed.item<float>(), 5);
    }

    [Fact]
    public void Soft_target_loss_reads_the_student_at_its_own_temperature()
    {
        // T = 4. The paper's form: H(softmax(t / 4), softmax(s)); Hinton's: H(softmax(t / 4), softmax(s / 4)) * 16.
        using var student = tensor(new float[] { 1, 2, 0 }).reshape(1, 3);
        using var teacher = tensor(new float[] { 6, 1, 0 }).reshape(1, 3);
        using var labels = tensor(new long[] { 0 });
        double Cross(double studentT) => -Softmax([6, 1, 0], 4).Zip(Softmax([1, 2, 0], studentT), (t, s) => t * Math.Log(s)).Sum();

        using var paper = new SoftTargetLoss(4, 1, 1, false).Loss(student, teacher, labels);
        using var hinton = new SoftTargetLoss(4, 4, 1, true).Loss(student, teacher, labels);

        Assert.Equal(Cross(1), paper.item<float>(), 5);
        Assert.Equal(16 * Cross(4), hinton.item<float>(), 4);
    }

    [Fact]
    public void Reading_the_student_at_T_without_T_squared_shrinks_its_gradient_about_T_fold()
    {
        // d/ds H(p_t(T), softmax(s / T_s)) = (softmax(s / T_s) - p_t(T)) / T_s. At T_s = T (Hinton's form without
        // T^2) the 1 / T factor and the softened difference both shrink it; at T_s = 1 (the paper's form) neither does.
        // Worked in doubles for these logits: ratio 3.99 at T = 4, 20.2 at T = 16.
        double GradientNorm(double t, double studentT)
        {
            using var student = tensor(new float[] { 0.1f, -0.2f, 0.05f, 0, 0.3f, -0.1f, 0.2f, 0, -0.3f, 0.1f }).reshape(1, 10).requires_grad_();
            using var teacher = tensor(new float[] { 9, 0, 1, 0, 0, 2, 0, 0, 1, 0 }).reshape(1, 10);
            using var labels = tensor(new long[] { 0 });
            using var loss = new SoftTargetLoss(t, studentT, 1, false).Loss(student, teacher, labels);
            loss.backward();
            return student.grad!.norm().item<float>();
        }

        Assert.Equal(3.99, GradientNorm(4, 1) / GradientNorm(4, 4), 2);
        Assert.Equal(20.2, GradientNorm(16, 1) / GradientNorm(16, 16), 1);
    }

    /// <summary>The loss of Zhao et al. written out in doubles, one example at a time.</summary>
    private static double Reference(float[] student, float[] teacher, long[] labels, int classes, double t, double alpha, double beta, double ceWeight)
    {
        double tckd = 0, nckd = 0, ce = 0;
        for (int i = 0; i < labels.Length; i++)
        {
            int y = (int)labels[i];
            var s = student.Skip(i * classes).Take(classes).Select(v => (double)v).ToArray();
            var te = teacher.Skip(i * classes).Take(classes).Select(v => (double)v).ToArray();
            var ps = Softmax(s, t);
            var pt = Softmax(te, t);
            tckd += pt[y] * Math.Log(pt[y] / ps[y]) + (1 - pt[y]) * Math.Log((1 - pt[y]) / (1 - ps[y]));
            for (int k = 0; k < classes; k++)
            {
                if (k == y) continue;
                double qt = pt[k] / (1 - pt[y]), qs = ps[k] / (1 - ps[y]);
                nckd += qt * Math.Log(qt / qs);
            }
            ce -= Math.Log(Softmax(s, 1)[y]);
        }
        int n = labels.Length;
        return t * t * (alpha * tckd / n + beta * nckd / n) + ceWeight * ce / n;
    }

    private static double[] Softmax(double[] logits, double temperature)
    {
        double max = logits.Max();
        var e = logits.Select(v => Math.Exp((v - max) / temperature)).ToArray();
        double sum = e.Sum();
        return e.Select(v => v / sum).ToArray();
    }
}
