namespace Distill.Pipelines.Tests;

/// <summary>Finds files of the repository the tests were built from.</summary>
internal static class RepoFiles
{
    public static string Root
    {
        get
        {
            for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
                if (File.Exists(Path.Combine(dir.FullName, "Distill.sln"))) return dir.FullName;
            throw new InvalidOperationException("Distill.sln not found above " + AppContext.BaseDirectory);
        }
    }

    public static string SchemaPath => Path.Combine(Root, "pipelines", "schema", "pipeline.schema.json");
    public static string ReadmePath => Path.Combine(Root, "pipelines", "README.md");
}
