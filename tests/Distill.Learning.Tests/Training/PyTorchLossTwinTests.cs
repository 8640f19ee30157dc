using System.Diagnostics;
using System.Text.Json;
using TorchSharp;
using Distill.Learning.Models;
using Distill.Learning.Training;
using static TorchSharp.torch;

namespace Distill.Learning.Tests.Training;

/// <summary>
/// Every distillation loss against a PyTorch implementation written here, line for line after the authors' published
/// code (RepDistiller for RKD, PKT, SP, AT and FitNet; mdistiller for DKD; the DIST authors' repository for DIST), run by
/// Debian's python3-torch on the same random float64 tensors: the loss value and its gradient with respect to the
/// student's tensors, to 1e-6. One Python process computes every case.
/// </summary>
public sealed class PyTorchLossTwinTests : IClassFixture<PyTorchLossTwinTests.Twins>
{
    private const string Python = "/usr/bin/python3";
    private const int Batch = 12, Classes = 7;

    private const string Script = """
import json, sys
import numpy as np
import torch
import torch.nn.functional as F

def load(case, name):
    spec = case["tensors"][name]
    return torch.from_numpy(np.fromfile(spec["file"], dtype="<f8").reshape(spec["shape"]))

# Hinton et al. 2015, student softened too, times T^2 (the `kd` loss with student-temperature T and t-squared).
def kd(s, t, y, p):
    T = p["temperature"]
    return -(F.softmax(t / T, 1) * F.log_softmax(s / T, 1)).sum(1).mean() * T * T

# mdistiller, mdistiller/distillers/DKD.py, plus ce-weight times the cross-entropy (no warm-up).
def dkd(s, t, y, p):
    T, alpha, beta = p["temperature"], p["alpha"], p["beta"]
    gt = torch.zeros_like(s).scatter_(1, y.unsqueeze(1), 1)
    other = torch.ones_like(s).scatter_(1, y.unsqueeze(1), 0)
    def cat_mask(x):
        return torch.cat([(x * gt).sum(1, keepdims=True), (x * other).sum(1, keepdims=True)], dim=1)
    ps, pt = cat_mask(F.softmax(s / T, 1)), cat_mask(F.softmax(t / T, 1))
    tckd = F.kl_div(torch.log(ps), pt, reduction="sum") * T ** 2 / y.shape[0]
    pt2 = F.softmax(t / T - 1000.0 * gt, 1)
    ls2 = F.log_softmax(s / T - 1000.0 * gt, 1)
    nckd = F.kl_div(ls2, pt2, reduction="sum") * T ** 2 / y.shape[0]
    return p["ce"] * F.cross_entropy(s, y) + alpha * tckd + beta * nckd

# hunto/DIST_KD, dist_kd.py, plus ce-weight times the cross-entropy.
def cosine_similarity(a, b, eps=1e-8):
    return (a * b).sum(1) / (a.norm(dim=1) * b.norm(dim=1) + eps)
def pearson_correlation(a, b, eps=1e-8):
    return cosine_similarity(a - a.mean(1).unsqueeze(1), b - b.mean(1).unsqueeze(1), eps)
def dist(s, t, y, p):
    tau = p["temperature"]
    ys, yt = (s / tau).softmax(dim=1), (t / tau).softmax(dim=1)
    inter = tau ** 2 * (1 - pearson_correlation(ys, yt).mean())
    intra = tau ** 2 * (1 - pearson_correlation(ys.transpose(0, 1), yt.transpose(0, 1)).mean())
    return p["beta"] * inter + p["gamma"] * intra + p["ce"] * F.cross_entropy(s, y)

# RepDistiller, distiller_zoo/RKD.py
def pdist(e, squared=False, eps=1e-12):
    e_square = e.pow(2).sum(dim=1)
    prod = e @ e.t()
    res = (e_square.unsqueeze(1) + e_square.unsqueeze(0) - 2 * prod).clamp(min=eps)
    if not squared:
        res = res.sqrt()
    res = res.clone()
    res[range(len(e)), range(len(e))] = 0
    return res
def rkd(s, t, y, p):
    student, teacher = s.view(s.shape[0], -1), t.view(t.shape[0], -1)
    with torch.no_grad():
        t_d = pdist(teacher, squared=False)
        t_d = t_d / t_d[t_d > 0].mean()
    d = pdist(student, squared=False)
    d = d / d[d > 0].mean()
    loss_d = F.smooth_l1_loss(d, t_d)
    with torch.no_grad():
        td = teacher.unsqueeze(0) - teacher.unsqueeze(1)
        norm_td = F.normalize(td, p=2, dim=2)
        t_angle = torch.bmm(norm_td, norm_td.transpose(1, 2)).view(-1)
    sd = student.unsqueeze(0) - student.unsqueeze(1)
    norm_sd = F.normalize(sd, p=2, dim=2)
    s_angle = torch.bmm(norm_sd, norm_sd.transpose(1, 2)).view(-1)
    loss_a = F.smooth_l1_loss(s_angle, t_angle)
    return p["distance"] * loss_d + p["angle"] * loss_a

# RepDistiller, distiller_zoo/PKT.py
def pkt(s, t, y, p, eps=1e-7):
    output_net, target_net = s.view(s.shape[0], -1), t.view(t.shape[0], -1)
    output_net = output_net / (torch.sqrt(torch.sum(output_net ** 2, dim=1, keepdim=True)) + eps)
    target_net = target_net / (torch.sqrt(torch.sum(target_net ** 2, dim=1, keepdim=True)) + eps)
    model_similarity = (torch.mm(output_net, output_net.transpose(0, 1)) + 1.0) / 2.0
    target_similarity = (torch.mm(target_net, target_net.transpose(0, 1)) + 1.0) / 2.0
    model_similarity = model_similarity / torch.sum(model_similarity, dim=1, keepdim=True)
    target_similarity = target_similarity / torch.sum(target_similarity, dim=1, keepdim=True)
    return torch.mean(target_similarity * torch.log((target_similarity + eps) / (model_similarity + eps)))

# RepDistiller, distiller_zoo/SP.py
def sp(s, t, y, p):
    bsz = s.shape[0]
    f_s, f_t = s.view(bsz, -1), t.view(bsz, -1)
    G_s = F.normalize(torch.mm(f_s, torch.t(f_s)))
    G_t = F.normalize(torch.mm(f_t, torch.t(f_t)))
    G_diff = G_t - G_s
    return ((G_diff * G_diff).view(-1, 1).sum(0) / (bsz * bsz)).sum()

# RepDistiller, distiller_zoo/AT.py: one term per pair of maps, summed as train_student.py sums the group.
def at(s_maps, t_maps, y, p):
    def attention(f):
        return F.normalize(f.pow(p["power"]).mean(1).view(f.size(0), -1))
    return sum((attention(fs) - attention(ft)).pow(2).mean() for fs, ft in zip(s_maps, t_maps))

# RepDistiller, models/util.py ConvReg (train mode, so batch norm normalises with the batch's statistics) and
# distiller_zoo/FitNet.py HintLoss (MSE); its weights are the ones Distill drew, passed in.
def fitnet(s, t, w, b, p):
    y = F.conv2d(s, w, b, stride=p["stride"], padding=p["padding"])
    y = F.batch_norm(y, None, None, training=True, eps=1e-5)
    return F.mse_loss(F.relu(y), t)

losses = {"kd": kd, "dkd": dkd, "dist": dist, "rkd": rkd, "pkt": pkt, "sp": sp}
results = {}
for case in json.load(open(sys.argv[1])):
    y = load(case, "labels").long()
    if case["loss"] == "at":
        s = [load(case, n).requires_grad_() for n in case["maps"]["student"]]
        t = [load(case, n) for n in case["maps"]["teacher"]]
        value = at(s, t, y, case["parameters"])
    elif case["loss"] == "fitnet":
        s = [load(case, "student").requires_grad_(), load(case, "weight").requires_grad_()]
        value = fitnet(s[0], load(case, "teacher"), s[1], load(case, "bias"), case["parameters"])
    else:
        s = [load(case, "student").requires_grad_()]
        t = load(case, "teacher")
        value = losses[case["loss"]](s[0], t, y, case["parameters"])
    value.backward()
    results[case["name"]] = {"loss": value.item(), "gradients": [x.grad.reshape(-1).tolist() for x in s]}
json.dump(results, open(sys.argv[2], "w"))
""";

    /// <summary>A case: the loss's name, its parameters, and the C# side computing (loss, student tensors).</summary>
    private sealed record Case(string Name, string Loss, object Parameters, long[] StudentShape, long[] TeacherShape,
        Func<Tensor, Tensor, Tensor, Tensor> Ours, int Maps = 0);

    private static readonly Case[] Cases =
    [
        new("kd T4", "kd", new { temperature = 4.0 }, [Batch, Classes], [Batch, Classes], (s, t, y) => new SoftTargetLoss(4, 4, 1, true).Loss(s, t, y)),
        new("dkd", "dkd", new { temperature = 4.0, alpha = 1.0, beta = 8.0, ce = 1.0 }, [Batch, Classes], [Batch, Classes], (s, t, y) => new DecoupledLoss(4, 1, 8, 1).Loss(s, t, y)),
        new("dist", "dist", new { temperature = 4.0, beta = 2.0, gamma = 2.0, ce = 1.0 }, [Batch, Classes], [Batch, Classes], (s, t, y) => new CorrelationLoss(4, 2, 2, 1).Loss(s, t, y)),
        new("dist T1 no ce", "dist", new { temperature = 1.0, beta = 1.0, gamma = 1.0, ce = 0.0 }, [Batch, Classes], [Batch, Classes], (s, t, y) => new CorrelationLoss(1, 1, 1, 0).Loss(s, t, y)),
        new("rkd", "rkd", new { distance = 25.0, angle = 50.0 }, [Batch, 10], [Batch, 16], (s, t, _) => new RelationalTerm("embedding", 25, 50).Loss(s, t)),
        new("pkt", "pkt", new { }, [Batch, 10], [Batch, 16], (s, t, _) => new ProbabilisticTransferTerm("embedding").Loss(s, t)),
        new("sp maps", "sp", new { }, [Batch, 4, 3, 3], [Batch, 8, 3, 3], (s, t, _) => new SimilarityPreservingTerm("stage3").Loss(s, t)),
    ];

    public sealed class Twins : IDisposable
    {
        private readonly string _folder = Directory.CreateTempSubdirectory("distill-loss-twins-").FullName;

        public Dictionary<string, (double Loss, double[][] Gradients)> Results { get; } = [];

        public Dictionary<string, Dictionary<string, Tensor>> Inputs { get; } = [];

        /// <summary>The FitNet cases' terms, each with the regressor whose weights PyTorch was given.</summary>
        public Dictionary<string, HintTerm> Hints { get; } = [];

        public Twins()
        {
            var cases = new List<object>();
            int seed = 1;
            foreach (var c in Cases)
            {
                var generator = new Generator((ulong)seed++);
                var tensors = new Dictionary<string, Tensor>
                {
                    ["student"] = randn(c.StudentShape, dtype: ScalarType.Float64, generator: generator).mul(2),
                    ["teacher"] = randn(c.TeacherShape, dtype: ScalarType.Float64, generator: generator).mul(2),
                    ["labels"] = randint(0, Classes, [Batch], generator: generator).to(ScalarType.Float64),
                };
                cases.Add(new { name = c.Name, loss = c.Loss, parameters = c.Parameters, tensors = Files(c.Name, tensors) });
                Inputs[c.Name] = tensors;
            }
            // AT: three stage maps per model, of one spatial size per stage, the channels differing.
            var at = new Generator(99);
            var maps = new Dictionary<string, Tensor> { ["labels"] = zeros(Batch, dtype: ScalarType.Float64) };
            foreach (var (stage, size) in new[] { ("stage1", 8L), ("stage2", 4L), ("stage3", 2L) })
            {
                maps[$"s-{stage}"] = randn([Batch, 4, size, size], dtype: ScalarType.Float64, generator: at).abs();
                maps[$"t-{stage}"] = randn([Batch, 6, size, size], dtype: ScalarType.Float64, generator: at).abs();
            }
            Inputs["at"] = maps;
            cases.Add(new
            {
                name = "at", loss = "at", parameters = new { power = 2.0 }, tensors = Files("at", maps),
                maps = new { student = new[] { "s-stage1", "s-stage2", "s-stage3" }, teacher = new[] { "t-stage1", "t-stage2", "t-stage3" } },
            });

            // FitNet: the student's map regressed onto the teacher's, of the same size (1x1) and of half the size (3x3, stride 2).
            foreach (var (name, studentSize, teacherSize, stride, padding) in new[] { ("fitnet same size", 6L, 6L, 1, 0), ("fitnet halving", 8L, 4L, 2, 1) })
            {
                var generator = new Generator((ulong)seed++);
                var term = new HintTerm("stage2");
                term.Connect(new Dictionary<string, long[]> { ["stage2"] = [4, studentSize, studentSize] }, new Dictionary<string, long[]> { ["stage2"] = [6, teacherSize, teacherSize] }, seed);
                term.Connector!.to(ScalarType.Float64);
                var parameters = term.Connector!.named_parameters().ToDictionary(p => p.name, p => p.parameter);
                var tensors = new Dictionary<string, Tensor>
                {
                    ["student"] = randn([Batch, 4, studentSize, studentSize], dtype: ScalarType.Float64, generator: generator),
                    ["teacher"] = randn([Batch, 6, teacherSize, teacherSize], dtype: ScalarType.Float64, generator: generator).abs(),
                    ["labels"] = zeros(Batch, dtype: ScalarType.Float64),
                    ["weight"] = parameters["conv.weight"].detach().clone(),
                    ["bias"] = parameters["conv.bias"].detach().clone(),
                };
                cases.Add(new { name, loss = "fitnet", parameters = new { stride, padding }, tensors = Files(name, tensors) });
                Inputs[name] = tensors;
                Hints[name] = term;
            }

            var input = Path.Combine(_folder, "cases.json");
            var output = Path.Combine(_folder, "results.json");
            File.WriteAllText(input, JsonSerializer.Serialize(cases));
            File.WriteAllText(Path.Combine(_folder, "twins.py"), Script);
            RunPython(Path.Combine(_folder, "twins.py"), input, output);
            using var json = JsonDocument.Parse(File.ReadAllText(output));
            foreach (var result in json.RootElement.EnumerateObject())
                Results[result.Name] = (result.Value.GetProperty("loss").GetDouble(),
                    result.Value.GetProperty("gradients").EnumerateArray().Select(g => g.EnumerateArray().Select(v => v.GetDouble()).ToArray()).ToArray());
        }

        private Dictionary<string, object> Files(string name, Dictionary<string, Tensor> tensors) =>
            tensors.ToDictionary(t => t.Key, t =>
            {
                var file = Path.Combine(_folder, $"{name.Replace(' ', '-')}-{t.Key}.bin");
                File.WriteAllBytes(file, t.Value.contiguous().bytes.ToArray());
                return (object)new { file, shape = t.Value.shape };
            });

        private static void RunPython(string script, string input, string output)
        {
            var info = new ProcessStartInfo(Python) { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
            foreach (var a in new[] { script, input, output }) info.ArgumentList.Add(a);
            using var process = Process.Start(info)!;
            var stdout = process.StandardOutput.ReadToEndAsync();
            var errors = process.StandardError.ReadToEnd();
            process.WaitForExit();
            _ = stdout.Result;
            if (process.ExitCode != 0)
                throw new InvalidOperationException($"the PyTorch twins failed ({process.ExitCode}); they need Debian's python3-torch (tools/setup.sh installs it):\n{errors}");
        }

        public void Dispose()
        {
            foreach (var tensor in Inputs.Values.SelectMany(t => t.Values)) tensor.Dispose();
            foreach (var hint in Hints.Values) hint.Connector?.Dispose();
            Directory.Delete(_folder, recursive: true);
        }
    }

    private readonly Twins _twins;

    public PyTorchLossTwinTests(Twins twins) => _twins = twins;

    public static TheoryData<string> Names => [.. Cases.Select(c => c.Name)];

    [Theory]
    [MemberData(nameof(Names))]
    public void The_loss_and_its_gradient_match_the_published_code(string name)
    {
        var c = Cases.Single(x => x.Name == name);
        var inputs = _twins.Inputs[name];
        using var scope = NewDisposeScope();
        var student = inputs["student"].clone().requires_grad_();
        var loss = c.Ours(student, inputs["teacher"], inputs["labels"].to(ScalarType.Int64));
        loss.backward();

        var (expected, gradients) = _twins.Results[name];
        Assert.True(Math.Abs(loss.item<double>() - expected) <= 1e-6, $"{name}: loss {loss.item<double>():R}, PyTorch {expected:R}");
        AssertClose(name, gradients[0], student.grad!.data<double>().ToArray());
        Assert.True(student.grad!.abs().max().item<double>() > 1e-6, $"{name}: the gradient is zero, so the comparison shows nothing");
    }

    [Fact]
    public void Attention_transfer_over_three_stages_matches_the_published_code()
    {
        var inputs = _twins.Inputs["at"];
        using var scope = NewDisposeScope();
        string[] stages = ["stage1", "stage2", "stage3"];
        var students = stages.ToDictionary(s => s, s => inputs[$"s-{s}"].clone().requires_grad_());
        using var student = new ModelOutputs(zeros(Batch, Classes), students);
        using var teacher = new ModelOutputs(zeros(Batch, Classes), stages.ToDictionary(s => s, s => inputs[$"t-{s}"]));
        var loss = new AttentionTransferTerm(stages, 2).Loss(student, teacher, null!);
        loss.backward();

        var (expected, gradients) = _twins.Results["at"];
        Assert.True(Math.Abs(loss.item<double>() - expected) <= 1e-6, $"at: loss {loss.item<double>():R}, PyTorch {expected:R}");
        for (int i = 0; i < stages.Length; i++)
            AssertClose($"at {stages[i]}", gradients[i], students[stages[i]].grad!.data<double>().ToArray());
    }

    [Theory]
    [InlineData("fitnet same size")]
    [InlineData("fitnet halving")]
    public void FitNets_hint_through_its_regressor_matches_the_published_code(string name)
    {
        var inputs = _twins.Inputs[name];
        var term = _twins.Hints[name];
        using var scope = NewDisposeScope();
        var weight = term.Connector!.named_parameters().Single(p => p.name == "conv.weight").parameter;
        weight.grad?.zero_();
        var student = inputs["student"].clone().requires_grad_();
        using var studentOutputs = new ModelOutputs(zeros(Batch, Classes), new Dictionary<string, Tensor> { ["stage2"] = student });
        using var teacherOutputs = new ModelOutputs(zeros(Batch, Classes), new Dictionary<string, Tensor> { ["stage2"] = inputs["teacher"] });
        var loss = term.Loss(studentOutputs, teacherOutputs, null!);
        loss.backward();

        var (expected, gradients) = _twins.Results[name];
        Assert.True(Math.Abs(loss.item<double>() - expected) <= 1e-6, $"{name}: loss {loss.item<double>():R}, PyTorch {expected:R}");
        AssertClose($"{name} student", gradients[0], student.grad!.data<double>().ToArray());
        AssertClose($"{name} regressor", gradients[1], weight.grad!.data<double>().ToArray());
        Assert.True(weight.grad!.abs().max().item<double>() > 1e-6, $"{name}: the regressor's gradient is zero, so the comparison shows nothing");
    }

    private static void AssertClose(string name, double[] expected, double[] actual)
    {
        Assert.Equal(expected.Length, actual.Length);
        double worst = expected.Zip(actual, (e, a) => Math.Abs(e - a)).Max();
        Assert.True(worst <= 1e-6, $"{name}: gradients differ from PyTorch's by up to {worst:G3}");
    }
}
