namespace Distill.Benchmarks;

internal sealed record BenchmarkOptions(IReadOnlyList<string> Suites, int Steps, int Warmup, int Threads, int BatchSize, int Epochs, int Width,
    int Images = 600, int Repeats = 3, string? Connection = null, string? Python = null)
{
    public static BenchmarkOptions Parse(string[] args)
    {
        var suites = new List<string>();
        int steps = 10, warmup = 3, threads = 0, batch = 128, epochs = 10, width = 16, images = 600, repeats = 3;
        string? connection = null, python = null;
        for (int i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--steps": steps = int.Parse(args[++i]); break;
                case "--warmup": warmup = int.Parse(args[++i]); break;
                case "--threads": threads = int.Parse(args[++i]); break;
                case "--batch-size": batch = int.Parse(args[++i]); break;
                case "--epochs": epochs = int.Parse(args[++i]); break;
                case "--width": width = int.Parse(args[++i]); break;
                case "--images": images = int.Parse(args[++i]); break;
                case "--repeats" or "--rounds": repeats = int.Parse(args[++i]); break;
                case "--connection": connection = args[++i]; break;
                case "--python": python = args[++i]; break;
                default: suites.Add(args[i]); break;
            }
        }
        return new BenchmarkOptions(suites.Count == 0 ? ["training"] : suites, steps, warmup, threads, batch, epochs, width, images, repeats, connection, python);
    }
}
