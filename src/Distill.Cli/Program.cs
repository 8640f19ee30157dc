using System.CommandLine;
using Distill.Learning.Training;
using Distill.Cli.Commands;

// LibTorch allocates and frees large tensors constantly; glibc's default mmap threshold turns each
// into page faults. Raising the thresholds (before the first tensor) roughly doubled ResNet training
// speed here (DESIGN.md, "Platform facts").
NativeMemoryTuning.Apply();

var root = new RootCommand("Distill: knowledge-distillation pipelines (\"When Does Label Smoothing Help?\") on TorchSharp")
{
    TrainCommand.Create(),
};
return await root.Parse(args).InvokeAsync();
