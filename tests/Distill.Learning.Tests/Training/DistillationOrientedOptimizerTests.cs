using System.Globalization;
using System.Text.Json;
using Distill.Learning.Models;
using Distill.Learning.Training;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Distill.Learning.Tests.Training;

/// <summary>
/// DOT against a PyTorch twin written here after mdistiller's DistillationOrientedTrainer (engine/dot.py) and its DOT
/// trainer's step (the KD part's backward with the graph kept, step_kd, the task part's backward, step), in float64:
/// a two-layer network both parts reach, a parameter only the distillation part reaches (a connector's place) and one
/// only the task part reaches, so every branch of the update runs, with weight decay.
/// </summary>
public sealed class DistillationOrientedOptimizerTests : IDisposable
{
    private const int Steps = 4, Batch = 8, Inputs = 6, Hidden = 5, Classes = 3;
    private const double LearningRate = 0.05, WeightDecay = 5e-4, TaskMomentum = 0.825, DistillationMomentum = 0.975;
    private const double Temperature = 4, TaskWeight = 0.1, KdWeight = 0.9;

    private readonly string _folder = Directory.CreateTempSubdirectory("distill-dot-twin-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private sealed class Tiny : IDisposable
    {
        public Tiny(long seed)
        {
            var generator = new TorchSharp.torch.Generator((ulong)seed);
            Parameter Draw(params long[] shape) => new(randn(shape, dtype: ScalarType.Float64, generator: generator).mul(0.5));
            Parameters = [Draw(Hidden, Inputs), Draw(Hidden), Draw(Classes, Hidden), Draw(Classes), Draw(Classes), Draw(Classes)];
        }

        /// <summary>w1, b1, w2, b2; then `extra`, read by the distillation part only, and `task_bias`, by the task part only.</summary>
        public Parameter[] Parameters { get; }

        public LossParts Parts(Tensor x, Tensor labels, Tensor teacher)
        {
            var logits = nn.functional.relu(x.matmul(Parameters[0].t()).add(Parameters[1])).matmul(Parameters[2].t()).add(Parameters[3]);
            var task = nn.functional.cross_entropy(logits.add(Parameters[5]), labels).mul(TaskWeight);
            var target = nn.functional.softmax(teacher.div(Temperature), 1);
            var student = nn.functional.log_softmax(logits.add(Parameters[4]).div(Temperature), 1);
            var kl = target.mul(target.log().sub(student)).sum(1).mean();
            return new LossParts(task, kl.mul(KdWeight * Temperature * Temperature));
        }

        public double[][] Values => [.. Parameters.Select(p => p.detach().flatten().data<double>().ToArray())];

        public void Dispose()
        {
            foreach (var parameter in Parameters) parameter.Dispose();
        }
    }

    private static (Tensor X, Tensor Labels, Tensor Teacher) BatchOf(int step)
    {
        var generator = new TorchSharp.torch.Generator((ulong)(100 + step));
        return (randn([Batch, Inputs], dtype: ScalarType.Float64, generator: generator),
            randint(0, Classes, [Batch], generator: generator),
            randn([Batch, Classes], dtype: ScalarType.Float64, generator: generator).mul(3));
    }

    private static void Train(Tiny model, DistillationOrientedOptimizer dot, int from, int count)
    {
        for (int step = from; step < from + count; step++)
        {
            using var scope = NewDisposeScope();
            var (x, labels, teacher) = BatchOf(step);
            dot.ClearGradients();
            var parts = model.Parts(x, labels, teacher);
            parts.Distillation.backward(retain_graph: true);
            var distillation = dot.TakeGradients();
            parts.Task.backward();
            dot.Step(distillation, LearningRate);
        }
    }

    private static DistillationOrientedOptimizer Optimizer(Tiny model) =>
        new(model.Parameters, TaskMomentum, DistillationMomentum, WeightDecay);

    [Fact]
    public void Takes_the_steps_of_mdistillers_distillation_oriented_trainer()
    {
        using var initial = new Tiny(7);
        using var model = new Tiny(7);
        var twin = Twin(initial);
        using var dot = Optimizer(model);

        Train(model, dot, 0, Steps);

        var ours = model.Values;
        for (int p = 0; p < ours.Length; p++)
        {
            Assert.NotEqual(initial.Values[p], ours[p]); // every parameter moved, so each branch was compared
            for (int i = 0; i < ours[p].Length; i++)
                Assert.True(Math.Abs(ours[p][i] - twin[p][i]) <= 1e-10, $"parameter {p}[{i}]: {ours[p][i]:R}, PyTorch {twin[p][i]:R}");
        }
    }

    [Fact]
    public void Resumed_from_its_checkpoint_it_takes_the_uninterrupted_steps_to_the_bit()
    {
        using var straight = new Tiny(11);
        using var straightDot = Optimizer(straight);
        Train(straight, straightDot, 0, Steps);

        using var first = new Tiny(11);
        using var firstDot = Optimizer(first);
        Train(first, firstDot, 0, 2);
        using var state = new MemoryStream();
        using (var writer = new BinaryWriter(state, System.Text.Encoding.UTF8, leaveOpen: true)) firstDot.Save(writer);

        using var resumed = new Tiny(99); // other weights, then the checkpoint's
        for (int p = 0; p < resumed.Parameters.Length; p++)
            using (no_grad()) resumed.Parameters[p].copy_(first.Parameters[p]);
        using var resumedDot = Optimizer(resumed);
        state.Position = 0;
        using (var reader = new BinaryReader(state)) resumedDot.Load(reader);
        Train(resumed, resumedDot, 2, Steps - 2);

        Assert.Equal(straight.Values, resumed.Values);
    }

    [Fact]
    public void A_distillation_objectives_parts_are_its_weighted_cross_entropy_and_the_rest()
    {
        var generator = new TorchSharp.torch.Generator(5);
        using var scope = NewDisposeScope();
        var student = randn([Batch, Classes], dtype: ScalarType.Float64, generator: generator);
        var teacher = randn([Batch, Classes], dtype: ScalarType.Float64, generator: generator);
        var labels = randint(0, Classes, [Batch], generator: generator);
        var loss = new SoftTargetLoss(4, 4, 0.9, true);
        var objective = new DistillationObjective(new FixedTeacher(teacher), loss);
        var batch = new TrainingBatch(student, labels, [.. Enumerable.Range(0, Batch).Select(i => (long)i)]);

        var parts = objective.Parts(new ModelOutputs(student), batch);

        Assert.Equal(0.1, loss.TaskWeight, 12);
        Assert.Equal(nn.functional.cross_entropy(student, labels).mul(0.1).item<double>(), parts.Task.item<double>(), 12);
        Assert.Equal(loss.Loss(student, teacher, labels).item<double>(), parts.Task.add(parts.Distillation).item<double>(), 12);
        Assert.NotEqual(0, parts.Distillation.item<double>());
    }

    private sealed class FixedTeacher(Tensor logits) : ITeacherOutputs
    {
        public bool Offers(string point) => false;

        public ModelOutputs For(TrainingBatch batch, IReadOnlyCollection<string> points) => new(logits.alias());
    }

    /// <summary>The parameters after <see cref="Steps"/> steps of the PyTorch twin, from the same start and batches.</summary>
    private double[][] Twin(Tiny initial)
    {
        var batches = Enumerable.Range(0, Steps).Select(step =>
        {
            var (x, labels, teacher) = BatchOf(step);
            return new { x = Rows(x), labels = labels.data<long>().ToArray(), teacher = Rows(teacher) };
        }).ToList();
        var input = Path.Combine(_folder, "case.json");
        var output = Path.Combine(_folder, "result.json");
        var script = Path.Combine(_folder, "dot_twin.py");
        File.WriteAllText(input, JsonSerializer.Serialize(new
        {
            parameters = initial.Parameters.Select(p => p.detach().flatten().data<double>().ToArray()),
            shapes = initial.Parameters.Select(p => p.shape),
            batches,
        }));
        File.WriteAllText(script, Script.Replace("{CONSTANTS}", string.Create(CultureInfo.InvariantCulture,
            $"LR, WD, M_TASK, M_KD, T, CE_W, KD_W = {LearningRate:R}, {WeightDecay:R}, {TaskMomentum:R}, {DistillationMomentum:R}, {Temperature:R}, {TaskWeight:R}, {KdWeight:R}")));
        var outcome = ChildProcess.Run("/usr/bin/python3", [script, input, output]);
        Assert.True(outcome.ExitCode == 0, $"the PyTorch twin failed; it needs Debian's python3-torch (tools/setup.sh --tests):\n{outcome.Errors}");
        return JsonSerializer.Deserialize<double[][]>(File.ReadAllText(output))!;
    }

    private static double[][] Rows(Tensor matrix) =>
        [.. Enumerable.Range(0, (int)matrix.shape[0]).Select(r => matrix[r].data<double>().ToArray())];

    private const string Script = """
        import json, sys
        import torch
        import torch.nn.functional as F

        torch.set_default_dtype(torch.float64)
        {CONSTANTS}

        def check_in(t, l):
            return any(t is i for i in l)

        # mdistiller/engine/dot.py's dot(), line for line (dampening 0).
        def dot(params, d_p_list, momentum_buffer_list, kd_grad_buffer, kd_momentum_buffer, kd_params,
                weight_decay, momentum, momentum_kd, lr):
            for i, param in enumerate(params):
                d_p = d_p_list[i]
                if weight_decay != 0:
                    d_p = d_p.add(param, alpha=weight_decay)
                buf = momentum_buffer_list[i]
                if buf is None:
                    buf = torch.clone(d_p).detach()
                    momentum_buffer_list[i] = buf
                elif check_in(param, kd_params):
                    buf.mul_(momentum).add_(d_p)
                else:
                    buf.mul_((momentum_kd + momentum) / 2.).add_(d_p)
                param.add_(buf, alpha=-lr)
            for i, (d_p, buf, p) in enumerate(zip(kd_grad_buffer, kd_momentum_buffer, kd_params)):
                if buf is None:
                    buf = torch.clone(d_p).detach()
                    kd_momentum_buffer[i] = buf
                elif check_in(p, params):
                    buf.mul_(momentum_kd).add_(d_p)
                else:
                    if weight_decay != 0:
                        d_p = d_p.add(p, alpha=weight_decay)
                    buf.mul_((momentum_kd + momentum) / 2.).add_(d_p)
                p.add_(buf, alpha=-lr)

        # DistillationOrientedTrainer's step_kd and step, their state kept per parameter.
        class Dot:
            def __init__(self, params):
                self.params, self.state = params, {id(p): {} for p in params}
            def zero_grad(self):
                for p in self.params:
                    p.grad = None
            @torch.no_grad()
            def step_kd(self):
                with_grad = [p for p in self.params if p.grad is not None]
                self.kd_params, self.kd_grads = with_grad, [p.grad for p in with_grad]
                self.kd_buffers = [self.state[id(p)].get("kd") for p in with_grad]
            @torch.no_grad()
            def step(self):
                with_grad = [p for p in self.params if p.grad is not None]
                buffers = [self.state[id(p)].get("task") for p in with_grad]
                dot(with_grad, [p.grad for p in with_grad], buffers, self.kd_grads, self.kd_buffers, self.kd_params,
                    WD, M_TASK, M_KD, LR)
                for p, b in zip(with_grad, buffers):
                    self.state[id(p)]["task"] = b
                for p, b in zip(self.kd_params, self.kd_buffers):
                    self.state[id(p)]["kd"] = b

        case = json.load(open(sys.argv[1]))
        params = [torch.tensor(v).reshape(s).requires_grad_() for v, s in zip(case["parameters"], case["shapes"])]
        w1, b1, w2, b2, extra, task_bias = params
        optimizer = Dot(params)
        for batch in case["batches"]:
            x, y, t = torch.tensor(batch["x"]), torch.tensor(batch["labels"]), torch.tensor(batch["teacher"])
            logits = F.relu(x @ w1.t() + b1) @ w2.t() + b2
            loss_ce = CE_W * F.cross_entropy(logits + task_bias, y)
            log_student = F.log_softmax((logits + extra) / T, dim=1)
            loss_kd = KD_W * F.kl_div(log_student, F.softmax(t / T, dim=1), reduction="none").sum(1).mean() * T ** 2
            optimizer.zero_grad()
            loss_kd.backward(retain_graph=True)
            optimizer.step_kd()
            optimizer.zero_grad()
            loss_ce.backward()
            optimizer.step()
        json.dump([p.detach().flatten().tolist() for p in params], open(sys.argv[2], "w"))
        """;
}
