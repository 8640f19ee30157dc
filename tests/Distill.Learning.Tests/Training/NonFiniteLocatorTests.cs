using Distill.Learning.Models;
using Distill.Learning.Training;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Distill.Learning.Tests.Training;

public sealed class NonFiniteLocatorTests
{
    [Fact]
    public void Names_the_first_module_whose_output_is_not_finite()
    {
        using var model = new CifarResNet(8, 1, 10, 8);
        using (no_grad())
            model.named_parameters().Single(p => p.name.EndsWith("stage1_block1.conv2.weight", StringComparison.Ordinal)).parameter.fill_(double.NaN);

        string? where = Locate(model);

        Assert.NotNull(where);
        Assert.StartsWith("the output of ", where);
        Assert.Contains("stage1_block1.conv2 (RoutedConv2d)", where);
    }

    [Fact]
    public void Names_the_module_whose_backward_pass_made_a_gradient_non_finite()
    {
        // sqrt(|x|) at x = 0: a finite output with an infinite derivative.
        using var model = new SquareRootNet();

        string? where = NonFiniteLocator.Locate(model, () => model.forward(zeros(4, 3)).sum());

        Assert.Equal("the input gradient of root (SquareRoot)", where);
    }

    [Fact]
    public void Finds_nothing_in_a_healthy_step()
    {
        using var model = new CifarResNet(8, 1, 10, 8);
        Assert.Null(Locate(model));
        Assert.All(model.parameters(), p => Assert.True(p.grad is null || p.grad.abs().sum().item<float>() == 0));
    }

    private static string? Locate(ClassifierNet model)
    {
        using var scope = NewDisposeScope();
        var inputs = randn(4, 1, 12, 12, generator: new Generator(3));
        var labels = tensor(new long[] { 0, 1, 2, 3 });
        return NonFiniteLocator.Locate(model, () => functional.cross_entropy(model.forward(inputs), labels));
    }

    private sealed class SquareRootNet : ClassifierNet
    {
        private readonly Linear input = Linear(3, 3);
        private readonly SquareRoot root = new();
        private readonly Linear output = Linear(3, 2);

        public SquareRootNet() : base(nameof(SquareRootNet))
        {
            using (no_grad())
            {
                input.weight!.fill_(0);
                input.bias!.fill_(0);
            }
            RegisterComponents();
        }

        public override Linear Classifier => output;

        protected override IEnumerable<(string Point, Module<Tensor, Tensor> Layer)> FeatureLayers() =>
            [(FeaturePoints.Embedding, input), (FeaturePoints.Embedding, root)];

        public override string ExportOnnx(Learning.Export.OnnxGraphBuilder graph, string input, string path) => throw new NotSupportedException();

        public override Tensor Features(Tensor x)
        {
            using var hidden = input.call(x);
            return root.call(hidden);
        }
    }

    private sealed class SquareRoot() : Module<Tensor, Tensor>(nameof(SquareRoot))
    {
        public override Tensor forward(Tensor x) => x.abs().sqrt();
    }
}
