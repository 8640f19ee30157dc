// Knowledge distillation in your own TorchSharp training loop, with Distill's models, losses and ONNX export
// (the Distill.Learning package). Replace the random batches with your data.
using Distill.Learning.Export;
using Distill.Learning.Models;
using Distill.Learning.Training;
using static TorchSharp.torch;

manual_seed(1);
using var teacher = new CifarResNet(depth: 20, inputChannels: 3, classes: 10);      // load trained weights here
using var student = new CifarResNet(depth: 8, inputChannels: 3, classes: 10, width: 8);
teacher.eval();

// Hinton et al.: 0.9 KL at T = 4 (teacher and student softened, times T^2) + 0.1 cross-entropy. Every logit method
// takes the same three tensors: new DecoupledLoss(4, 1, 8, 1), new TransformedTeacherLoss(0.25, 4, 1), ...
var distillation = new SoftTargetLoss(temperature: 4, studentTemperature: 4, beta: 0.9, tSquared: true);
using var optimizer = optim.SGD(student.parameters(), learningRate: 0.05, momentum: 0.9, weight_decay: 5e-4);

int steps = args.Length > 0 ? int.Parse(args[0]) : 20;
for (int step = 0; step < steps; step++)
{
    using var scope = NewDisposeScope();
    var images = rand(32, 3, 32, 32);
    var labels = randint(0, 10, [32]);
    Tensor teacherLogits;
    using (no_grad()) teacherLogits = teacher.call(images);
    var loss = distillation.Loss(student.call(images), teacherLogits, labels);
    optimizer.zero_grad();
    loss.backward();
    optimizer.step();
    if (step % 5 == 0) Console.WriteLine($"step {step}: loss {loss.item<float>():F4}");
}

// The student as a self-contained ONNX model: pixels in [0, 1], standardised inside the graph, logits out.
student.eval();
using (var file = File.Create("student.onnx"))
    OnnxModel.Write(student, new OnnxInput(3, 32, 32, 10, [0.5f, 0.5f, 0.5f], [0.25f, 0.25f, 0.25f]), new Dictionary<string, string>(), file);
Console.WriteLine("wrote student.onnx");
