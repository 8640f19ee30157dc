using System.Text;
using Distill.Pipelines.Catalogue;
using Distill.Pipelines.Yaml;

namespace Distill.Pipelines;

/// <summary>What loading a pipeline file gave: a definition when there are no errors, else the errors.</summary>
public sealed record PipelineLoadResult(PipelineDefinition? Pipeline, IReadOnlyList<PipelineError> Errors)
{
    public bool Succeeded => Pipeline is not null && Errors.Count == 0;
}

/// <summary>Entry point: reads, validates and resolves a pipeline file against the stage kinds of a catalogue.</summary>
public static class PipelineLoader
{
    /// <summary>Largest pipeline file accepted, in bytes.</summary>
    public const int MaxFileBytes = 1 << 20;

    public static PipelineLoadResult Load(string path, StageCatalogue catalogue)
    {
        var display = path;
        try
        {
            var info = new FileInfo(path);
            if (!info.Exists) return Fail(display, $"pipeline file not found: {Path.GetFullPath(path)}");
            if (info.Length > MaxFileBytes) return TooLarge(display, info.Length);
            return LoadFromText(File.ReadAllText(path, Encoding.UTF8), path, catalogue);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return Fail(display, $"cannot read the pipeline file: {ex.Message}");
        }
    }

    /// <param name="text">The YAML text.</param>
    /// <param name="fileName">Used in error messages and to resolve relative dataset paths (its folder).</param>
    public static PipelineLoadResult LoadFromText(string text, string fileName, StageCatalogue catalogue)
    {
        var bytes = Encoding.UTF8.GetByteCount(text);
        if (bytes > MaxFileBytes) return TooLarge(fileName, bytes);
        var errors = new ErrorSink(fileName);
        var root = YamlTreeReader.Read(text, errors);
        var pipeline = root is null ? null : new PipelineCompiler(errors, fileName, catalogue).Compile(root);
        var list = errors.ToList();
        return new PipelineLoadResult(list.Count == 0 ? pipeline : null, list);
    }

    private static PipelineLoadResult TooLarge(string file, long bytes) =>
        Fail(file, $"the pipeline file is {bytes} bytes; the limit is {MaxFileBytes} bytes");

    private static PipelineLoadResult Fail(string file, string message) =>
        new(null, [new PipelineError(file, 1, 1, message)]);
}
