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
    public void Wttm_weighs_the_powered_teachers_divergence_by_its_normaliser_worked_by_hand()
    {
        // Teacher [ln 4, 0]: p_t = [0.8, 0.2]; to the power 0.5, [2, 1] / sqrt(5), so U = 3 / sqrt(5) and q = [2/3, 1/3].
        // Student [ln 3, 0]: p_s = [0.75, 0.25]. Loss = U KL(q || p_s) = U (2/3 ln(8/9) + 1/3 ln(4/3)).
        using var student = tensor(new double[] { Math.Log(3), 0 }).reshape(1, 2);
        using var teacher = tensor(new double[] { Math.Log(4), 0 }).reshape(1, 2);
        using var labels = tensor(new long[] { 0 });
        using var loss = new TransformedTeacherLoss(0.5, 1, 0).Loss(student, teacher, labels);
        Assert.Equal(3 / Math.Sqrt(5) * (2.0 / 3 * Math.Log(8.0 / 9) + 1.0 / 3 * Math.Log(4.0 / 3)), loss.item<double>(), 12);
        // A smooth teacher weighs more: the uniform teacher's U is sqrt(2) at power 0.5, against 3 / sqrt(5) above.
        using var uniform = tensor(new double[] { 0, 0 }).reshape(1, 2);
        using var smooth = new TransformedTeacherLoss(0.5, 1, 0).Loss(student, uniform, labels);
        Assert.Equal(Math.Sqrt(2) * (0.5 * Math.Log(0.5 / 0.75) + 0.5 * Math.Log(0.5 / 0.25)), smooth.item<double>(), 12);
    }

    [Fact]
    public void Mlkd_sums_its_three_levels_worked_by_hand()
    {
        // One example, two classes, T = 1: p_t = [0.5, 0.5], p_s = [0.75, 0.25]. Both shares are 1 (one example, and
        // two classes of equal confidence, each at most the median). KD = KL(p_t || p_s) = 0.5 ln(2/3) + 0.5 ln 2, counted
        // twice (weak view masked by 1, strong view); BC = (p_t.p_t - p_s.p_s)^2 / 1 = (0.5 - 0.625)^2;
        // CC = sum((P_t'P_t - P_s'P_s)^2) / 2 with P_t'P_t = 0.25 everywhere, P_s'P_s = [[0.5625, 0.1875], [0.1875, 0.0625]].
        using var student = tensor(new double[] { Math.Log(3), 0 }).reshape(1, 2);
        using var teacher = tensor(new double[] { 0, 0 }).reshape(1, 2);
        using var labels = tensor(new long[] { 0 });
        using var loss = new MultiLevelLoss([1], 1, 0).Loss(student, teacher, labels);
        double kd = 0.5 * Math.Log(2.0 / 3) + 0.5 * Math.Log(2);
        double cc = (0.3125 * 0.3125 + 2 * 0.0625 * 0.0625 + 0.1875 * 0.1875) / 2;
        Assert.Equal(2 * kd + 0.125 * 0.125 + cc, loss.item<double>(), 12);
        // A student that matches its teacher leaves only the two cross-entropies.
        using var matched = new MultiLevelLoss([2, 3], 1, 0.1).Loss(teacher, teacher, labels);
        Assert.Equal(2 * 0.1 * Math.Log(2), matched.item<double>(), 12);
    }

    [Fact]
    public void Mlkd_shares_count_the_examples_and_classes_at_most_the_median_confidence()
    {
        // Four examples of confidence 0.9, 0.7, 0.6, 0.4 over classes (the max of softmax): numpy's median is 0.65, so
        // half are at most it. Class sums over three classes: two at most the median class.
        using var probabilities = tensor(new double[] { 0.9, 0.05, 0.05, 0.7, 0.2, 0.1, 0.6, 0.3, 0.1, 0.4, 0.35, 0.25 }).reshape(4, 3);
        var (examples, classes) = MultiLevelLoss.ConfidenceShares(probabilities.log());
        Assert.Equal(0.5, examples, 12);
        Assert.Equal(2.0 / 3, classes, 12);
    }

    [Fact]
    public void Ctkd_curriculum_reverses_the_temperatures_gradient_along_a_half_cosine()
    {
        // The authors' CosineDecay(0, -1, 10) at epochs 1, 5, 10 and after: (cos(i pi / 10) + 1) / 2 - 1.
        var curriculum = new CurriculumTemperature();
        Assert.Equal((Math.Cos(Math.PI / 10) + 1) / 2 - 1, curriculum.Reversal(0), 12);
        Assert.Equal(-0.5, curriculum.Reversal(4), 12);
        Assert.Equal(-1, curriculum.Reversal(9), 12);
        Assert.Equal(-1, curriculum.Reversal(30), 12);
        Assert.Equal(-0.25, (curriculum with { MaxReversal = 0.5 }).Reversal(4), 12);
    }

    [Fact]
    public void Ctkd_starts_at_its_published_temperature_and_its_gradient_reversal_leaves_the_value_alone()
    {
        var loss = new CurriculumTemperatureLoss(new CurriculumTemperature(), 0.9, 0.1);
        Assert.Null(loss.Temperature);
        Assert.Throws<InvalidOperationException>(() => loss.Loss(ones(2, 3), ones(2, 3), zeros(2, dtype: ScalarType.Int64)));
        loss.Connect(new ConnectorContext(new Dictionary<string, long[]>(), new Dictionary<string, long[]>(), [], 0));
        using var connector = loss.Connector!;
        Assert.Equal(1 + 20 / (1 + Math.Exp(-1)), loss.Temperature!.Value, 5); // t_start + t_end sigmoid(1)

        var theta = connector.parameters().Single();
        using var student = tensor(new float[] { 2, 0, -1, 0.5f, 1, 0 }).reshape(2, 3);
        using var teacher = tensor(new float[] { 3, 0, 0, 0, 2, 1 }).reshape(2, 3);
        using var labels = tensor(new long[] { 0, 1 });
        float Gradient(double reversal, out double value)
        {
            theta.grad?.zero_();
            using var loss2 = loss.Loss(student, teacher, labels, reversal);
            loss2.backward();
            value = loss2.item<float>();
            return theta.grad!.item<float>();
        }
        float forward = Gradient(1, out double plain), reversed = Gradient(-0.5, out double value);
        Assert.Equal(plain, value);
        Assert.NotEqual(0, forward);
        Assert.Equal(-0.5f * forward, reversed, 6);
    }

    [Fact]
    public void Nst_is_the_polynomial_mmd_of_normalised_channels_worked_by_hand()
    {
        // One example, 2x2 maps. Student: one channel [1, 0, 0, 0]. Teacher: two channels [1, 0, 0, 0] and [0, 1, 0, 0],
        // already unit vectors. k(t, t) = [[1, 0], [0, 1]] (mean 1/2), k(s, s) = 1, k(s, t) = [1, 0] (mean 1/2):
        // 1/2 + 1 - 2 * 1/2 = 1/2. A teacher of the student's channel alone, at any scale, gives 0.
        using var student = tensor(new double[] { 1, 0, 0, 0 }).reshape(1, 1, 2, 2);
        using var teacher = tensor(new double[] { 1, 0, 0, 0, 0, 1, 0, 0 }).reshape(1, 2, 2, 2);
        var term = new NeuronSelectivityTerm(["stage1"]);
        Tensor Loss(Tensor s, Tensor t) => term.Loss(
            new Distill.Learning.Models.ModelOutputs(zeros(1, 2), new Dictionary<string, Tensor> { ["stage1"] = s }),
            new Distill.Learning.Models.ModelOutputs(zeros(1, 2), new Dictionary<string, Tensor> { ["stage1"] = t }), null!);
        using var loss = Loss(student, teacher);
        Assert.Equal(0.5, loss.item<double>(), 12);
        using var same = Loss(student, student.mul(3));
        Assert.Equal(0, same.item<double>(), 12);
    }

    [Fact]
    public void Cc_multiplies_consecutive_examples_distances_worked_by_hand()
    {
        // Heads set to the identity without bias: delta = |s - t| = [1, 2], [3, 0], [0, 5] over three examples;
        // consecutive products summed: 1*3 + 2*0 = 3 and 3*0 + 0*5 = 0, mean 1.5.
        var term = new CorrelationCongruenceTerm("embedding", 2);
        term.Connect(new ConnectorContext(new Dictionary<string, long[]> { ["embedding"] = [2] }, new Dictionary<string, long[]> { ["embedding"] = [2] }, [], 1));
        using var heads = term.Connector!;
        using (no_grad())
            foreach (var (name, parameter) in heads.named_parameters())
                parameter.copy_(name.EndsWith("weight") ? eye(2) : zeros(2));
        using var student = tensor(new float[] { 1, 2, 3, 0, 0, 5 }).reshape(3, 2);
        using var teacher = zeros(3, 2);
        using var loss = term.Loss(
            new Distill.Learning.Models.ModelOutputs(zeros(3, 2), new Dictionary<string, Tensor> { ["embedding"] = student }),
            new Distill.Learning.Models.ModelOutputs(zeros(3, 2), new Dictionary<string, Tensor> { ["embedding"] = teacher }), null!);
        Assert.Equal(1.5, loss.item<float>(), 6);
    }

    [Fact]
    public void Fsp_compares_the_flow_between_consecutive_maps_worked_by_hand()
    {
        // One example, one channel, 2x2 maps. Bottom [1, 2, 3, 4], top [1, 1, 1, 1]: the flow is the mean of the
        // products, 10 / 4 = 2.5, for the student; the teacher's bottom doubled gives 5; (2.5 - 5)^2 = 6.25.
        using var bottom = tensor(new double[] { 1, 2, 3, 4 }).reshape(1, 1, 2, 2);
        using var top = ones(1, 1, 2, 2, dtype: ScalarType.Float64);
        var term = new FlowOfSolutionTerm(["stem", "stage1"]);
        using var student = new Distill.Learning.Models.ModelOutputs(zeros(1, 2), new Dictionary<string, Tensor> { ["stem"] = bottom, ["stage1"] = top });
        using var teacher = new Distill.Learning.Models.ModelOutputs(zeros(1, 2), new Dictionary<string, Tensor> { ["stem"] = bottom.mul(2), ["stage1"] = top });
        using var loss = term.Loss(student, teacher, null!);
        Assert.Equal(6.25, loss.item<double>(), 12);
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
