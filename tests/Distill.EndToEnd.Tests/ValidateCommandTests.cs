using Distill.EndToEnd.Tests.Support;

namespace Distill.EndToEnd.Tests;

/// <summary>`distill validate` states each model's size, so that a user can check it against the paper's.</summary>
public sealed class ValidateCommandTests
{
    [Fact]
    public void The_CIFAR_100_benchmark_validates_with_the_published_models_parameter_counts()
    {
        var file = Path.Combine(DistillCli.RepositoryRoot, "pipelines", "cifar100-kd-benchmark.yaml");
        var (code, text) = DistillCli.Run(TimeSpan.FromMinutes(1), "validate", file);
        Assert.True(code == 0, text);
        // RepDistiller's models' counts (sum of their parameters' sizes), rebuilt from their code in RepDistillerCheckpointTests.
        foreach (var (model, count) in new[]
                 {
                     ("resnet56", "861,620"), ("resnet20", "278,324"), ("resnet32x4", "7,433,860"), ("resnet8x4", "1,233,540"),
                     ("wrn-40-2", "2,255,156"), ("wrn-16-2", "703,284"), ("vgg13", "9,462,180"), ("vgg8", "3,965,028"),
                 })
            Assert.Contains($"model {model} on cifar100: {count} parameters", text);
    }
}
