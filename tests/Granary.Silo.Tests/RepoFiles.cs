namespace Granary.Silo.Tests;

/// <summary>
/// Files of the repository the tests were built from (the README, sources), found by walking up from the
/// test's output folder to the folder that holds Runtime.sln; for tests that keep docs and code in step.
/// </summary>
public static class RepoFiles
{
    public static string Root { get; } = FindRoot();

    public static string Read(string relativePath) => File.ReadAllText(Path.Combine(Root, relativePath));

    /// <summary>
    /// The rows of the first markdown table after the line <paramref name="heading"/>, each as its cells
    /// (trimmed, backticks removed); the header and separator rows are left out.
    /// </summary>
    public static List<string[]> TableAfter(string markdown, string heading)
    {
        var lines = markdown.Split('\n').Select(l => l.TrimEnd('\r')).ToList();
        var at = lines.IndexOf(heading);
        if (at < 0)
        {
            throw new InvalidOperationException($"the README has no line '{heading}'");
        }

        var rows = lines.Skip(at + 1).SkipWhile(l => !l.StartsWith('|')).TakeWhile(l => l.StartsWith('|'))
            .Select(l => l.Trim('|').Split('|').Select(c => c.Trim().Replace("`", string.Empty, StringComparison.Ordinal)).ToArray())
            .ToList();
        return rows.Count >= 2 ? rows[2..] : throw new InvalidOperationException($"no table after '{heading}'");
    }

    private static string FindRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "Runtime.sln")))
            {
                return directory.FullName;
            }
        }

        throw new InvalidOperationException($"no Runtime.sln above {AppContext.BaseDirectory}");
    }
}
