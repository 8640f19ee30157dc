namespace Distill.Learning.Tests.Platform;

/// <summary>Tests that set the process-wide convolution policy run alone, never beside other tests.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class KernelPolicyCollection
{
    public const string Name = "convolution kernel policy";
}
