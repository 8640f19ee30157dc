using System.CommandLine;
using Distill.Learning.Training;
using Distill.Cli.Commands;

// LibTorch allocates and frees large tensors constantly; glibc's default mmap threshold turns each
// into page faults. Raising the thresholds (before the first tensor) roughly doubled ResNet training
// speed here (README, "Platform notes").
NativeMemoryTuning.Apply();

// Logs and pipes get whole lines, not lines wrapped at a guessed 80 columns.
if (Console.IsOutputRedirected) Spectre.Console.AnsiConsole.Profile.Width = 400;

var root = new RootCommand("Distill: knowledge-distillation pipelines (\"When Does Label Smoothing Help?\") on TorchSharp")
{
    RunCommand.Create(),
    ValidateCommand.Create(),
    TrainCommand.Create(),
    WorkerCommand.Create(),
    SubmitCommand.Create(),
    StatusCommand.Create(),
    CancelCommand.Create(),
    CompareCommand.Create(),
    PlanCommand.Create(),
    GcCommand.Create(),
    RunStageCommand.Create(),
    DashboardCommand.Create(),
    ExportCommand.Create(),
};
return await root.Parse(args).InvokeAsync();
