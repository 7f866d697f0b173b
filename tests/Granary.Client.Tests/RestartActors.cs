namespace Granary.Client.Tests;

/// <summary>
/// An actor for restart tests. Each construction leaves a file "ctor@NODE.UNIQUE" in the test's folder (the
/// folder is shared by every silo and job load context, statics are not), so a test counts constructions
/// and sees where they ran. <see cref="Hold"/> blocks on a node the test marked, so a call is known to be in
/// flight there when the test kills it.
/// </summary>
public sealed class Phoenix
{
    private readonly string _folder;
    private readonly List<int> _seen = [];

    public Phoenix(string folder)
    {
        _folder = folder;
        File.WriteAllText(Path.Combine(folder, $"ctor@{TaskContext.Current!.NodeId}.{Guid.NewGuid():N}"), string.Empty);
    }

    public static IReadOnlyList<string> Constructions(string folder) =>
        [.. Directory.GetFiles(folder, "ctor@*").Select(f => Path.GetFileNameWithoutExtension(f)["ctor@".Length..])];

    /// <summary>From now on a <see cref="Hold"/> that starts on <paramref name="nodeId"/> blocks until <see cref="Release"/>.</summary>
    public static void HoldOn(string folder, string nodeId) => File.WriteAllText(Path.Combine(folder, "hold@" + nodeId), string.Empty);

    public static bool IsHeld(string folder, string nodeId) => File.Exists(Path.Combine(folder, "held@" + nodeId));

    public static void Release(string folder) => File.WriteAllText(Path.Combine(folder, "release"), string.Empty);

    public int Add(int amount)
    {
        _seen.Add(amount);
        return _seen.Sum();
    }

    public IReadOnlyList<int> Seen() => [.. _seen];

    public string Node() => TaskContext.Current!.NodeId;

    /// <summary>Records <paramref name="amount"/>; on a held node, marks itself held and blocks (a killed in-process silo's thread lives on, at most a minute).</summary>
    public string Hold(int amount)
    {
        _seen.Add(amount);
        var node = TaskContext.Current!.NodeId;
        if (File.Exists(Path.Combine(_folder, "hold@" + node)))
        {
            File.WriteAllText(Path.Combine(_folder, "held@" + node), string.Empty);
            var until = Environment.TickCount64 + 60_000;
            while (!File.Exists(Path.Combine(_folder, "release")) && Environment.TickCount64 < until)
            {
                Thread.Sleep(10);
            }
        }

        return node;
    }
}
